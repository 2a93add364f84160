import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'

/** The repository's root: `npm start` there starts Gaizao. */
export const root = join(import.meta.dirname, '..', '..')
/** `npm start` there starts the bare Hono server (bare-server.mjs). */
export const bareDir = import.meta.dirname

export const adminToken = 'startup-bench-admin-token-0123456789abcdef'

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** A process started as an operator starts it: `npm start` in `cwd`, configured by environment only. */
export interface Started {
  /** Milliseconds from spawn to the first 200 from /readyz. */
  readyMs: number
  /** Resident set size of the server's own process (the deepest Node process under npm), in MB. */
  rssMb(): number
  /** The same summed over every process under npm and its shell (tsx's launcher and esbuild, if any). */
  treeRssMb(): number
  readyz(): Promise<unknown>
  port: number
  output(): string
  stop(): Promise<void>
}

export async function startNpm(
  cwd: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<Started> {
  const port = await freePort()
  let output = ''
  const started = process.hrtime.bigint()
  // Its own process group, so stop() reaches npm, the shell and the server alike.
  const child: ChildProcess = spawn('npm', ['start', '--silent'], {
    cwd,
    detached: true,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let gone = false
  void exited.then(() => {
    gone = true
  })
  const url = `http://127.0.0.1:${port}/readyz`
  const stop = async () => {
    if (!gone && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {}
      const timer = setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL')
        } catch {}
      }, 15_000)
      await exited
      clearTimeout(timer)
    }
  }
  let readyMs: number | undefined
  for (;;) {
    if (gone) throw new Error(`npm start in ${cwd} exited before /readyz answered:\n${output.slice(-3000)}`)
    try {
      const res = await fetch(url)
      await res.arrayBuffer()
      if (res.status === 200) {
        readyMs = Number(process.hrtime.bigint() - started) / 1e6
        break
      }
    } catch {}
    if (Number(process.hrtime.bigint() - started) / 1e6 > timeoutMs) {
      await stop()
      throw new Error(`/readyz did not answer 200 within ${timeoutMs} ms:\n${output.slice(-3000)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const tree = () => descendants(child.pid!)
  return {
    readyMs,
    port,
    rssMb: () => {
      const node = tree().filter(isNode)
      return rssOf(node[node.length - 1]!)
    },
    treeRssMb: () =>
      tree()
        .slice(2)
        .reduce((sum, pid) => sum + rssOf(pid), 0),
    readyz: async () => (await fetch(url)).json(),
    output: () => output,
    stop,
  }
}

/** `pid` and every process under it, parents before children. */
function descendants(pid: number): number[] {
  const out = [pid]
  for (let i = 0; i < out.length; i++) {
    const parent = out[i]!
    for (const task of safeList(`/proc/${parent}/task`)) {
      const children = safeRead(`/proc/${parent}/task/${task}/children`).trim()
      if (children) out.push(...children.split(/\s+/).map(Number))
    }
  }
  return out
}

/** Node's own binary, not npm's shell nor a helper such as tsx's esbuild service. */
function isNode(pid: number) {
  try {
    return readlinkSync(`/proc/${pid}/exe`) === readlinkSync('/proc/self/exe')
  } catch {
    return false
  }
}

function rssOf(pid: number): number {
  const line = safeRead(`/proc/${pid}/status`)
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))
  return line ? Number(line.split(/\s+/)[1]) / 1024 : 0
}

function safeList(path: string) {
  try {
    return readdirSync(path)
  } catch {
    return []
  }
}

function safeRead(path: string) {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}
