import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { serve } from '@hono/node-server'
import { createApi, createHealthApi } from './api/app'
import { startAlerts } from './bot/alerts'
import type { Bot } from './bot/bot'
import type { SandboxWorld } from './bot/sandbox/sandbox-world'
import { type Config, ConfigError, loadConfig } from './config'
import { createClassifier } from './core/classify/classifier'
import { systemClock } from './core/shared/clock'
import { isDatabaseUnavailable } from './core/shared/db-errors'
import type { Deps } from './core/shared/deps'
import { createLog } from './core/shared/log'
import { createNotifier, createPostgresNotifier, type SharedNotifier } from './core/shared/notifier'
import { loadTokenSecret, useTokenSecret } from './core/shared/tokens'
import { missingNextYearWarning } from './core/sla/calendar'
import { loadCalendar } from './core/sla/calendar-store'
import { ensureAdmin } from './core/staff/staff.usecases'
import { openDatabase } from './db/client'
import { startJobs } from './jobs'
import { registerCalendarReloadJob } from './jobs/calendar-check.job'

/** Start-up steps that meet an unavailable database try again once a second, this many times. */
const startRetries = 60

/**
 * The one composition root: builds the dependencies and starts what this process's ROLE runs. `all` (the
 * default): the bot, the API and the jobs, as one process. `api`: the HTTP API and the console. `bot`: the
 * bot accounts with their senders and alerts. `jobs`: the scheduled jobs. Any of them several times against
 * one PostgreSQL; a process without the API still answers /healthz, /readyz and /metrics on PORT.
 */
export async function startGaizao(config: Config) {
  const log = createLog(config.logLevel)
  const clock = systemClock
  const { role } = config
  const runsBot = role === 'all' || role === 'bot'
  const runsApi = role === 'all' || role === 'api'
  const runsJobs = role === 'all' || role === 'jobs'
  // wechaty takes a second or two to load: load it while the database starts instead of before.
  const botModules = runsBot
    ? Promise.all([import('./bot/bot'), import('./bot/sandbox/sandbox-world')])
    : undefined
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    connectTimeoutSeconds: config.databaseConnectTimeoutSeconds,
    log,
  })
  log.info('database ready', {
    driver: database.driver,
    where: config.databaseUrl ? 'DATABASE_URL' : config.dataDir,
    role,
  })
  const { db } = database
  useTokenSecret(loadTokenSecret({ configured: config.tokenSecret, dataDir: config.dataDir }))
  // A database slow to answer while it starts (or under load) is waited for, not a reason to exit.
  const whenAvailable = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work()
      } catch (error) {
        if (!isDatabaseUnavailable(error) || attempt >= startRetries) throw error
        log.warn('database unavailable while starting: retrying', { step, attempt })
        await new Promise((resolve) => setTimeout(resolve, 1_000))
      }
    }
  }
  // The admin token is printed where the API is: a bot or jobs process has no use for it.
  const admin = runsApi
    ? await whenAvailable('admin', () =>
        db.transaction((tx) => ensureAdmin(tx, config.adminToken, clock.now())),
      )
    : undefined
  if (admin?.printedToken) {
    process.stdout.write(
      `\n  Admin API token (shown once, keep it safe): ${admin.printedToken}\n  Set GAIZAO_ADMIN_TOKEN to choose your own.\n\n`,
    )
  }
  const calendar = await whenAvailable('calendar', () => loadCalendar(db))
  const warning = missingNextYearWarning(calendar, clock.now())
  if (warning) log.warn(warning)
  // On PostgreSQL the sender may be in another process (ROLE=api, jobs): an enqueue wakes it through
  // LISTEN/NOTIFY. Only a process running senders listens. PGlite is one process: the signal stays in it.
  const outboxSignal =
    database.driver === 'postgres'
      ? createPostgresNotifier({ database, log, listen: runsBot })
      : createNotifier()
  const deps: Deps = {
    db,
    database,
    clock,
    log,
    config,
    classifier: createClassifier(),
    calendar,
    outboxSignal,
  }

  let sandbox: SandboxWorld | undefined
  let bot: Bot | undefined
  if (botModules) {
    const [{ createBot }, { createSandboxWorld }] = await botModules
    // config.ts allows the sandbox with ROLE=all only: its simulated WeChat lives in this process.
    if (config.puppet === 'sandbox' || config.puppet === 'wechaty-puppet-mock') {
      sandbox = createSandboxWorld(config.botName)
      if (config.sandboxSeed && role === 'all') {
        const { seedDemoCommunity } = await import('./core/demo/demo.seed')
        const { seeded } = await whenAvailable('demo seed', () => seedDemoCommunity(db, clock.now(), deps))
        if (seeded) log.info('seeded the demo community')
      }
    }
    bot = await createBot(deps, { sandbox, ...(await lifecycleHooks(deps)) })
  }
  const app = runsApi ? createApi(deps, { bot, sandbox }) : createHealthApi(deps, { bot })
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  // `url` first: tests and scripts read it from this line.
  log.info('gaizao is up', {
    url: `http://localhost:${port}`,
    sandbox: sandbox ? `http://localhost:${port}/sandbox` : undefined,
    docs: runsApi ? `http://localhost:${port}/api/docs` : undefined,
    role,
  })
  // Every process computes deadlines: one without the jobs still reloads the calendar admins edit elsewhere.
  const jobs = runsJobs ? startJobs(deps) : onlyCalendarReload(deps)
  const alerts = bot ? startAlerts(deps, bot) : undefined

  return {
    port,
    role,
    bot,
    /**
     * Graceful: read no more messages, finish the message in hand and put back what was claimed, let
     * running jobs end, close the server, disconnect (giving up the account's lease), close the database.
     */
    async stop() {
      bot?.stopReading()
      alerts?.stop()
      await Promise.all([bot?.stop(), jobs.stop()])
      if ('closeAllConnections' in server) server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await (outboxSignal as Partial<SharedNotifier>).close?.()
      await database.close()
    },
  }
}

function onlyCalendarReload(deps: Deps) {
  const task = registerCalendarReloadJob(deps)
  return {
    async stop() {
      await task.stop()
    },
  }
}

/**
 * The group and contact lifecycle handlers, for each wechaty instance the connection builds, told which
 * account it is. Each account has its own friend request throttle (WeChat limits each account), made once,
 * so a reconnection does not reset it.
 */
async function lifecycleHooks(deps: Deps) {
  const { attachLifecycleHandlers, reconcileOnLogin } = await import('./bot/on-lifecycle')
  const { createFriendThrottle } = await import('./core/groups/invitations.usecases')
  const throttles = new Map<string, ReturnType<typeof createFriendThrottle>>()
  const throttleOf = (account: string) => {
    let throttle = throttles.get(account)
    if (!throttle) {
      throttle = createFriendThrottle(deps.config.bot.friendsPerHour)
      throttles.set(account, throttle)
    }
    return throttle
  }
  return {
    attach: (wechaty: Parameters<typeof attachLifecycleHandlers>[0], account: string) =>
      attachLifecycleHandlers(wechaty, deps, { friendThrottle: throttleOf(account), account }),
    onSettled: async (wechaty: Parameters<typeof reconcileOnLogin>[0], account: string) => {
      await reconcileOnLogin(wechaty, deps, account)
    },
  }
}

/** Reads the configuration from the environment and runs Gaizao until SIGTERM or SIGINT (`npm start`). */
export async function main() {
  let config: Config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
  // PGlite is PostgreSQL compiled to WebAssembly. V8's optimising tier for it (TurboFan) kept ~75 MB more
  // resident and slowed the start by compiling in the background, and a loop of inserts and grouped
  // selects ran no faster with it: the baseline tier (Liftoff) alone runs it. Set before PGlite compiles;
  // JavaScript is not affected.
  if (!config.databaseUrl) setFlagsFromString('--liftoff-only')
  let app: Awaited<ReturnType<typeof startGaizao>> | undefined
  exitOnUncaughtErrors(config, () => app?.stop())
  app = await startGaizao(config)
  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    process.stderr.write(
      `${JSON.stringify({ level: 'info', time: new Date().toISOString(), msg: 'stopping', signal })}\n`,
    )
    // Whatever hangs, the process is gone within 10 s (docker stop waits 10 s, then kills).
    setTimeout(() => process.exit(1), 9_000).unref()
    await app?.stop().catch(() => {})
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
}

/**
 * The last resort: an error nothing caught leaves the process in an unknown state, so it is logged as one
 * line and the process exits 1 (after a best-effort graceful stop of at most 3 s) for its supervisor to
 * restart, rather than limping on. wechat4u's own throws are the exception: bot/wechat4u.ts logs them and
 * the puppet recovers by itself.
 */
function exitOnUncaughtErrors(config: Config, stop: () => Promise<void> | undefined) {
  const log = createLog(config.logLevel)
  let exiting = false
  let outageRejections = 0
  const fatal = (kind: 'uncaughtException' | 'unhandledRejection') => (error: unknown) => {
    if (kind === 'uncaughtException' && isFromWechat4u(error)) return
    // A query nobody awaited any more, failing because the database went away: the outage itself is
    // handled where it is noticed (db/health.ts answers 503 and probes; messages wait in the spool), so it
    // is no reason to kill a process that will work again when the database is back. Logged, counted once
    // per 100, never silent.
    if (kind === 'unhandledRejection' && isDatabaseUnavailable(error)) {
      if (outageRejections++ % 100 === 0)
        log.warn('a database call failed during an outage with nobody awaiting it; carrying on', {
          err: error instanceof Error ? error : new Error(String(error)),
          count: outageRejections,
        })
      return
    }
    if (exiting) return
    exiting = true
    log.error(`fatal ${kind}: exiting`, { err: error instanceof Error ? error : new Error(String(error)) })
    setTimeout(() => process.exit(1), 3_000).unref()
    Promise.resolve()
      .then(stop)
      .catch(() => {})
      .finally(() => process.exit(1))
  }
  process.on('uncaughtException', fatal('uncaughtException'))
  process.on('unhandledRejection', fatal('unhandledRejection'))
}

const isFromWechat4u = (error: unknown) =>
  error instanceof Error && /[\\/]node_modules[\\/]wechat4u[\\/]/.test(error.stack ?? '')

// Compared as paths: a URL is percent-encoded, so a folder named 改造助手 would never match as text.
if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((error) => {
    process.stderr.write(`Gaizao failed to start: ${error instanceof Error ? error.stack : String(error)}\n`)
    process.exit(1)
  })
}
