import { execFile } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { freePort } from '../../support/gaizao-process'

const run = (file: string, args: string[]) =>
  new Promise<{ stdout: string }>((resolve, reject) =>
    execFile(file, args, (error, stdout, stderr) =>
      error
        ? reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`))
        : resolve({ stdout }),
    ),
  )
const binDir = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin'

/** Why a private cluster cannot be made here, or undefined when it can. */
export function clusterUnavailableReason(): string | undefined {
  if (!existsSync(join(binDir, 'initdb')) || !existsSync(join(binDir, 'pg_ctl'))) {
    return `no PostgreSQL binaries in ${binDir} (install postgresql-15 or set PG_BIN_DIR)`
  }
  if (userInfo().uid === 0) {
    if (!existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser'))
      return 'running as root without runuser'
    try {
      postgresIds()
    } catch {
      return 'running as root and there is no postgres user to run the cluster as'
    }
  }
  return undefined
}

/** PostgreSQL refuses to run as root: as root, it runs as the postgres user. */
function postgresIds() {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'))
  if (!line) throw new Error('no postgres user')
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

const asOwner = (command: string, args: string[]) =>
  userInfo().uid === 0
    ? run('runuser', ['-u', 'postgres', '--', join(binDir, command), ...args])
    : run(join(binDir, command), args)

/**
 * A PostgreSQL cluster of the test's own, on a free port, that the test may stop, start and freeze
 * (SIGSTOP) at will: never the shared one. `drop()` stops it and removes its files.
 */
export async function startPrivateCluster() {
  const root = mkdtempSync(join(tmpdir(), 'gaizao-pg-'))
  const dataDir = join(root, 'data')
  const logFile = join(root, 'postgres.log')
  if (userInfo().uid === 0) {
    const { uid, gid } = postgresIds()
    chownSync(root, uid, gid)
  }
  const port = await freePort()
  await asOwner('initdb', [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-locale',
    '--no-sync',
  ])
  const options = [
    `-p ${port}`,
    `-k ${root}`,
    "-c listen_addresses='127.0.0.1'",
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=60',
  ].join(' ')
  const pgCtl = (...args: string[]) => asOwner('pg_ctl', ['-D', dataDir, ...args])
  const start = () => pgCtl('-l', logFile, '-o', options, '-w', '-t', '60', 'start')
  const stop = (mode: 'fast' | 'immediate' = 'fast') => pgCtl('-m', mode, '-w', '-t', '60', 'stop')
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`
  try {
    await start()
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
    await admin.unsafe('create database gaizao')
    await admin.end()
  } catch (error) {
    await stop('immediate').catch(() => {})
    rmSync(root, { recursive: true, force: true })
    throw error
  }

  /** The postmaster and every process it started (backends, checkpointer, writers…). */
  const processes = async () => {
    const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
    const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(postmaster)]).catch(() => ({
      stdout: '',
    }))
    const children = stdout
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((pid) => pid > 0)
    return { postmaster, children }
  }

  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/gaizao`,
    adminUrl,
    logFile,
    start,
    stop,
    /** Stops every process of the cluster (postmaster first, so it starts no new ones). */
    async freeze() {
      const { postmaster, children } = await processes()
      process.kill(postmaster, 'SIGSTOP')
      for (const pid of children) process.kill(pid, 'SIGSTOP')
      // A backend forked just before the postmaster stopped: catch it too.
      for (const pid of (await processes()).children) process.kill(pid, 'SIGSTOP')
    },
    async thaw() {
      const { postmaster, children } = await processes()
      for (const pid of children) process.kill(pid, 'SIGCONT')
      process.kill(postmaster, 'SIGCONT')
    },
    async drop() {
      try {
        await this.thaw().catch(() => {})
        await stop('immediate').catch(() => {})
      } finally {
        rmSync(root, { recursive: true, force: true })
      }
    },
  }
}

export type PrivateCluster = Awaited<ReturnType<typeof startPrivateCluster>>
