import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import QRCode from 'qrcode'
import { WechatyBuilder } from 'wechaty'
import { log as wechatyLog } from 'wechaty-puppet'
import { reportBotStatus } from '../core/accounts/status'
import { loadAttachment } from '../core/notices/attachments'
import { groupGoneReason } from '../core/outbox/conversations'
import { startOutboxSender } from '../core/outbox/outbox.sender'
import type { Deps } from '../core/shared/deps'
import { createNotifier, type Notifier } from '../core/shared/notifier'
import { processHolder, startConnection, type WechatyInterface } from './connection'
import { type AccountPlan, planAccounts, readAccountRows } from './fleet'
import type { InboundSpoolStats } from './inbound-queue'
import { createMessageHandler } from './on-message'
import { type AccountPuppet, accountPuppetOptions } from './puppet'
import type { SandboxWorld } from './sandbox/sandbox-world'
import { createWechatyTransport } from './transport'
import { tameWechat4u } from './wechat4u'

/**
 * Where an account's connection stands: `misconfigured` (this process cannot run it: its token variable is
 * unset, it is unknown), `waiting_lease` (another process holds this account), `connecting` (gateway down
 * or starting), `scan` (a login QR is waiting), `online` (logged in and connected), `offline` (connected
 * but logged out), `stopped`.
 */
export type BotState =
  | 'misconfigured'
  | 'waiting_lease'
  | 'connecting'
  | 'scan'
  | 'online'
  | 'offline'
  | 'stopped'

export interface BotStatus {
  /** The account's name (bot_accounts.name, or BOT_ACCOUNT). */
  account: string
  puppet: string
  state: BotState
  /** When the current state began (ISO). */
  since: string
  /** Why, in a few words, when not online (the lease holder, the last connection error, the missing variable). */
  detail?: string
  loggedIn: boolean
  self?: { id: string; name: string }
  /** While waiting for a scan: the login QR code as a value and as an image URL. */
  qr?: { value: string; imageUrl: string; status: string }
}

export interface Bot {
  /** The first account's status (the only one in a one-account deployment). */
  status(): BotStatus
  /** Every account this process runs or was told to run, in BOT_ACCOUNTS order (by name for `*`). */
  accounts(): BotStatus[]
  /** Graceful shutdown, first step: read no more messages. */
  stopReading(): void
  /** Stops sending (the message in hand is finished, claimed ones are put back), then disconnects. */
  stop(): Promise<void>
  /** Inbound messages waiting on disk for the database, and how many were spooled or lost (all accounts). */
  inboundSpool(): InboundSpoolStats
}

export interface BotOptions {
  sandbox?: SandboxWorld
  /** Registers more handlers on each wechaty instance (group and contact lifecycle), for its account. */
  attach?: (wechaty: WechatyInterface, account: string) => void
  /** Once the rooms and contacts are loaded after a login (reconciling ids that change per login). */
  onSettled?: (wechaty: WechatyInterface, account: string) => Promise<void>
  /** How the process exits as a last resort (BOT_EXIT_AFTER_MINUTES). */
  exit?: (code: number) => void
  /** Where the accounts' token variables are read (process.env). */
  env?: Record<string, string | undefined>
  /** How often bot_accounts is read again to start, stop or restart accounts (a minute). */
  rereadMs?: number
}

/** One account as the fleet runs it. */
interface AccountRunner {
  plan: AccountPlan | { name: string; signature: 'sandbox' }
  status(): BotStatus
  stopReading(): void
  stop(): Promise<void>
  inboundSpool(): InboundSpoolStats
}

const noSpool = (): InboundSpoolStats => ({
  waiting: 0,
  bytes: 0,
  spooled: 0,
  dropped: { full: 0, unwritable: 0, rejected: 0 },
})

/**
 * Runs the bot accounts of BOT_ACCOUNTS (or the sandbox's mock): each with its own wechaty, lease, message
 * handler and outbox sender, reported to bot_status. `*` and the rows behind the names are read again each
 * minute: a new account starts, a disabled one stops, a changed one restarts. An account this process
 * cannot run is `misconfigured`, said once in the log; the others are not affected.
 */
export async function createBot(deps: Deps, options: BotOptions = {}): Promise<Bot> {
  const { config, log } = deps
  const sandbox = options.sandbox
  // A real account's login session (wechaty's memory card) is kept in DATA_DIR, even when the data is in Postgres.
  if (!sandbox) mkdirSync(config.dataDir, { recursive: true })
  // wechaty's own logger repeats itself at every reconnection attempt; puppet errors reach our log through
  // the 'error' event, collapsed. WECHATY_LOG still chooses, for debugging a puppet.
  if (!process.env.WECHATY_LOG) wechatyLog.level(config.logLevel === 'debug' ? 'info' : 'silent')
  const holder = processHolder()
  const relay = startSignalRelay(deps.outboxSignal)
  const runners = new Map<string, AccountRunner>()
  let order: string[] = []
  let stopped = false
  const context = { deps, options, holder, relay }

  if (sandbox) {
    const name = Array.isArray(config.bot.accounts)
      ? (config.bot.accounts[0] ?? config.bot.account)
      : config.bot.account
    runners.set(name, await startAccount(context, name, { sandbox }))
    order = [name]
  }

  let wechat4uTamed = false
  const told = new Map<string, string>()
  /** Brings the running accounts in line with the plan: starts, stops and restarts, one at a time. */
  const apply = async (plans: AccountPlan[]) => {
    const wanted = new Map(plans.map((plan) => [plan.name, plan]))
    for (const [name, runner] of runners) {
      if (wanted.get(name)?.signature === runner.plan.signature) continue
      runners.delete(name)
      log.info('bot account stopping', {
        account: name,
        why: wanted.has(name) ? 'changed' : 'no longer run here',
      })
      await runner.stop()
    }
    for (const plan of plans) {
      if (stopped || runners.has(plan.name)) continue
      if (plan.kind === 'idle') {
        if (told.get(plan.name) !== plan.detail) {
          told.set(plan.name, plan.detail)
          log[plan.state === 'misconfigured' ? 'error' : 'warn']('bot account not run', {
            account: plan.name,
            state: plan.state,
            detail: plan.detail,
          })
        }
        runners.set(plan.name, idleAccount(context, plan))
        continue
      }
      told.delete(plan.name)
      if (plan.puppet.puppet === 'wechaty-puppet-wechat4u' && !wechat4uTamed) {
        wechat4uTamed = true
        await tameWechat4u(log)
      }
      try {
        runners.set(plan.name, await startAccount(context, plan.name, { plan }))
      } catch (error) {
        // Tried again at the next read; the other accounts go on.
        log.error('bot account could not start', { account: plan.name, err: error })
      }
    }
    order = plans.map((plan) => plan.name)
  }

  let busy: Promise<void> | undefined
  let readFailed = false
  const reread = () => {
    if (busy || stopped) return busy
    busy = (async () => {
      try {
        const rows = await readAccountRows(deps.db)
        readFailed = false
        await apply(planAccounts(config, rows, options.env ?? process.env))
      } catch (error) {
        if (!readFailed) log.error('could not read the bot accounts; trying again', { err: error })
        readFailed = true
      } finally {
        busy = undefined
      }
    })()
    return busy
  }
  const timers: NodeJS.Timeout[] = []
  if (!sandbox) {
    await reread()
    const every = options.rereadMs ?? 60_000
    // Until the first read succeeds, it is tried every few seconds rather than each minute.
    timers.push(setInterval(() => void reread(), every))
    timers.push(setInterval(() => readFailed && void reread(), Math.min(every, 5_000)))
    for (const timer of timers) timer.unref()
  }

  const accounts = () =>
    order.map((name) => runners.get(name)?.status()).filter((status): status is BotStatus => Boolean(status))
  return {
    accounts,
    status: () =>
      accounts()[0] ?? {
        account: config.bot.account,
        puppet: config.puppet,
        state: readFailed || runners.size === 0 ? 'misconfigured' : 'connecting',
        since: deps.clock.now().toISOString(),
        detail: readFailed
          ? '无法读取机器人账号表，正在重试'
          : '没有要运行的机器人账号：BOT_ACCOUNTS=* 但机器人账号表中没有启用的账号',
        loggedIn: false,
      },
    stopReading() {
      for (const runner of runners.values()) runner.stopReading()
    },
    inboundSpool() {
      const total = noSpool()
      for (const runner of runners.values()) {
        const s = runner.inboundSpool()
        total.waiting += s.waiting
        total.bytes += s.bytes
        total.spooled += s.spooled
        total.dropped.full += s.dropped.full
        total.dropped.unwritable += s.dropped.unwritable
        total.dropped.rejected += s.dropped.rejected
      }
      return total
    },
    async stop() {
      stopped = true
      for (const timer of timers) clearInterval(timer)
      await busy
      await Promise.all([...runners.values()].map((runner) => runner.stop()))
      await relay.stop()
    },
  }
}

interface FleetContext {
  deps: Deps
  options: BotOptions
  holder: string
  relay: ReturnType<typeof startSignalRelay>
}

const statusRow = (status: BotStatus, holder: string) => ({
  account: status.account,
  holder,
  state: status.state,
  stateSince: new Date(status.since),
  detail: status.detail ?? null,
  qr: status.qr?.value ?? null,
  selfId: status.self?.id ?? null,
  selfName: status.self?.name ?? null,
})

/** An account this process will not run: its status, reported once and at the stop. */
function idleAccount(context: FleetContext, plan: AccountPlan & { kind: 'idle' }): AccountRunner {
  const { deps, holder } = context
  let status: BotStatus = {
    account: plan.name,
    puppet: plan.puppet,
    state: plan.state,
    since: deps.clock.now().toISOString(),
    detail: plan.detail,
    loggedIn: false,
  }
  const report = (row: BotStatus) =>
    reportBotStatus(deps.db, statusRow(row, holder)).catch((error: unknown) =>
      deps.log.warn('could not report the bot status to the database', { account: plan.name, err: error }),
    )
  const reported = report(status)
  return {
    plan,
    status: () => ({ ...status }),
    stopReading() {},
    inboundSpool: noSpool,
    async stop() {
      await reported
      if (status.state === 'stopped') return
      status = { ...status, state: 'stopped', since: deps.clock.now().toISOString(), detail: undefined }
      await report(status)
    },
  }
}

/** One account connected for real (or the sandbox's mock): its connection, message handler and sender. */
async function startAccount(
  context: FleetContext,
  name: string,
  how:
    | { plan: AccountPlan & { kind: 'run' }; sandbox?: undefined }
    | { sandbox: SandboxWorld; plan?: undefined },
): Promise<AccountRunner> {
  const { deps, options, holder, relay } = context
  const { config, log } = deps
  const sandbox = how.sandbox
  const puppet: AccountPuppet | undefined = how.plan?.puppet
  const handleMessage = createMessageHandler(deps, {
    spoolDir: join(config.dataDir, 'inbound-spool', name),
    account: name,
  })
  // Messages a database outage left on disk are replayed first; new ones queue behind them.
  await handleMessage.start()
  const isService = puppet?.puppet === 'wechaty-puppet-service'
  // The commonest puppet-service mistake, said once in words instead of a certificate error each attempt.
  let tlsExplained = false
  const explainTlsMismatch = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error)
    if (tlsExplained || !message.includes('ERR_TLS_CERT_ALTNAME_INVALID')) return
    tlsExplained = true
    log.error(
      "the gateway's TLS certificate does not match the token: with the built-in certificate the token must be insecure_<token> with no further _ (the part before the last _ is the server name); for a gateway without TLS set WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT=true",
      { account: name },
    )
  }
  // The sender sleeps on its own signal; the relay wakes every account's sender when anything is enqueued.
  const signal = createNotifier()
  relay.add(signal)
  const connection = startConnection(deps, {
    account: name,
    holder,
    puppet: puppet?.puppet ?? 'sandbox',
    build: () =>
      sandbox
        ? WechatyBuilder.build({ puppet: sandbox.puppet })
        : WechatyBuilder.build(accountPuppetOptions(puppet!)),
    attach(wechaty) {
      wechaty.on('message', handleMessage)
      if (isService) wechaty.on('error', explainTlsMismatch)
      options.attach?.(wechaty, name)
    },
    afterStart: sandbox ? () => sandbox.login() : undefined,
    onLogin: () => signal.notify(),
    onSettled: options.onSettled ? (wechaty) => options.onSettled?.(wechaty, name) : undefined,
    lease: sandbox ? undefined : { account: name, leaseMs: config.bot.leaseMs },
    report: (status) => reportBotStatus(deps.db, statusRow(status, holder)),
    reportEveryMs: Math.max(1_000, Math.floor(config.bot.leaseMs / 3)),
    liveness: isService ? { pingMs: 2_000, deadMs: 7_000, quietMs: 45_000 } : undefined,
    stuckMs: sandbox ? 0 : 60_000,
    reconnectMaxMs: config.bot.reconnectMaxMs,
    exitAfterMs: sandbox ? 0 : config.bot.exitAfterMs,
    exit: options.exit ?? ((code) => process.exit(code)),
  })
  connection.onChange((status) => {
    if (status.state !== 'scan' || !status.qr) return
    // The terminal QR is for whoever started Gaizao by hand; the log line, the API and the console serve the rest.
    QRCode.toString(status.qr.value, { type: 'terminal', small: true })
      .then((art) => process.stdout.write(`\n${name}:\n${art}\n`))
      .catch(() => {})
  })
  if (sandbox) await waitUntil(() => connection.ready(), 10_000)
  const sender = startOutboxSender(
    { ...deps, outboxSignal: signal },
    createWechatyTransport(
      connection,
      (id) => loadAttachment(deps.db, id),
      (row) => (row.isRoom ? groupGoneReason(deps.db, row.conversationId) : Promise.resolve(undefined)),
    ),
    { account: name },
  )
  return {
    plan: how.plan ?? { name, signature: 'sandbox' },
    status: () => connection.status(),
    stopReading: () => connection.stopReading(),
    inboundSpool: () => handleMessage.spoolStats(),
    async stop() {
      connection.stopReading()
      // The messages in hand are stored, or spooled to disk, before the database closes.
      await handleMessage.stop()
      await sender.stop()
      relay.remove(signal)
      await connection
        .stop()
        .catch((error: unknown) => log.warn('bot stop failed', { account: name, err: error }))
    },
  }
}

/**
 * The process has one outbox signal (use cases notify it after a commit) and one sender per account, each
 * sleeping on its own: this wakes them all.
 */
function startSignalRelay(source: Notifier) {
  const targets = new Set<Notifier>()
  let stopped = false
  const done = (async () => {
    while (!stopped) {
      await source.wait(60_000)
      for (const target of targets) target.notify()
    }
  })()
  return {
    add: (target: Notifier) => targets.add(target),
    remove: (target: Notifier) => targets.delete(target),
    async stop() {
      stopped = true
      source.notify()
      await done
    },
  }
}

async function waitUntil(condition: () => boolean, ms: number) {
  const deadline = Date.now() + ms
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
}
