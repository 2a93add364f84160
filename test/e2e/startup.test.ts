import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')

function start(env: Record<string, string>) {
  // The app from its sources (`npm start` runs the compiled build, covered by test/integration/build.test.ts), as one process, so that a kill reaches Gaizao itself.
  return spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Resolves with the URL the process announces, or rejects with what it printed when it exits first. */
function announcedUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = ''
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /"msg":"gaizao is up","url":"([^"]+)"/.exec(output)
      if (match) resolve(match[1]!)
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)))
  })
}

describe('npm start as a newcomer runs it', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gaizao-start-'))
  const children: ChildProcess[] = []
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('becomes ready with no settings but a free port and a fresh data directory, and prints the admin token once', async () => {
    const started = Date.now()
    const child = start({ PORT: '0', DATA_DIR: dataDir })
    children.push(child)
    let stdout = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    const url = await announcedUrl(child)
    let ready = 0
    for (let i = 0; i < 200 && ready !== 200; i++) {
      ready = await fetch(`${url}/readyz`).then(
        (r) => r.status,
        () => 0,
      )
      if (ready !== 200) await new Promise((r) => setTimeout(r, 50))
    }
    expect(ready).toBe(200)
    console.log(
      `start-up to /readyz: ${Date.now() - started} ms (cold tsx + PGlite + migrations + demo seed)`,
    )
    const token = /Admin API token[^:]*: (\S+)/.exec(stdout)?.[1]
    expect(token).toBeDefined()
    const me = await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })
    expect(me.status).toBe(200)
    const state = (await (await fetch(`${url}/sandbox/api/state`)).json()) as { rooms: unknown[] }
    expect(state.rooms.length).toBeGreaterThanOrEqual(4)
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))

    // A second start reuses the data: no new token is printed and the demo is not seeded twice.
    const again = start({ PORT: '0', DATA_DIR: dataDir })
    children.push(again)
    let againOut = ''
    again.stdout!.on('data', (chunk: Buffer) => {
      againOut += chunk.toString()
    })
    const url2 = await announcedUrl(again)
    const state2 = (await (await fetch(`${url2}/sandbox/api/state`)).json()) as { rooms: unknown[] }
    expect(state2.rooms.length).toBe(state.rooms.length)
    expect(againOut).not.toContain('Admin API token')
    const still = await fetch(`${url2}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })
    expect(still.status).toBe(200)
  }, 90_000)

  it('refuses to start on a bad setting, naming the variable', async () => {
    const child = start({ PORT: 'not-a-port', DATA_DIR: dataDir })
    children.push(child)
    let output = ''
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const code = await new Promise((r) => child.once('exit', r))
    expect(code).toBe(1)
    expect(output).toContain('PORT')
  }, 60_000)
})
