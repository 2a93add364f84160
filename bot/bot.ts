import { mkdirSync } from 'node:fs'
import QRCode from 'qrcode'
import { WechatyBuilder } from 'wechaty'
import { log as wechatyLog } from 'wechaty-puppet'
import { loadAttachment } from '../core/notices/attachments'
import { groupGoneReason } from '../core/outbox/conversations'
import { startOutboxSender } from '../core/outbox/outbox.sender'
import type { Deps } from '../core/shared/deps'
import { type Connection, startConnection, type WechatyInterface } from './connection'
import type { InboundSpoolStats } from './inbound-queue'
import { createMessageHandler } from './on-message'
import { realPuppetOptions } from './puppet'
import type { SandboxWorld } from './sandbox/sandbox-world'
import { createWechatyTransport } from './transport'
import { tameWechat4u } from './wechat4u'

/**
 * Where the connection stands: `waiting_lease` (another process holds this account), `connecting`
 * (gateway down or starting), `scan` (a login QR is waiting), `online` (logged in and connected),
 * `offline` (connected but logged out), `stopped`.
 */
export type BotState = 'waiting_lease' | 'connecting' | 'scan' | 'online' | 'offline' | 'stopped'

export interface BotStatus {
  puppet: string
  state: BotState
  /** When the current state began (ISO). */
  since: string
  /** Why, in a few words, when not online (the lease holder, the last connection error). */
  detail?: string
  loggedIn: boolean
  self?: { id: string; name: string }
  /** While waiting for a scan: the login QR code as a value and as an image URL. */
  qr?: { value: string; imageUrl: string; status: string }
}

export interface Bot {
  connection: Connection
  status(): BotStatus
  /** Graceful shutdown, first step: read no more messages. */
  stopReading(): void
  /** Stops sending (the message in hand is finished, claimed ones are put back), then disconnects. */
  stop(): Promise<void>
  /** Inbound messages waiting on disk for the database, and how many were spooled or lost. */
  inboundSpool(): InboundSpoolStats
}

export interface BotOptions {
  sandbox?: SandboxWorld
  /** Registers more handlers on each wechaty instance (group and contact lifecycle). */
  attach?: (wechaty: WechatyInterface) => void
  /** Once the rooms and contacts are loaded after a login (reconciling ids that change per login). */
  onSettled?: (wechaty: WechatyInterface) => Promise<void>
  /** How the process exits as a last resort (BOT_EXIT_AFTER_MINUTES). */
  exit?: (code: number) => void
}

/** Connects the configured puppet (or the sandbox's mock), keeps it connected, and runs the outbox sender. */
export async function createBot(deps: Deps, options: BotOptions = {}): Promise<Bot> {
  const { config, log } = deps
  const sandbox = options.sandbox
  // A real account's login session (wechaty's memory card) is kept in DATA_DIR, even when the data is in Postgres.
  if (!sandbox) mkdirSync(config.dataDir, { recursive: true })
  // wechaty's own logger repeats itself at every reconnection attempt; puppet errors reach our log through
  // the 'error' event, collapsed. WECHATY_LOG still chooses, for debugging a puppet.
  if (!process.env.WECHATY_LOG) wechatyLog.level(config.logLevel === 'debug' ? 'info' : 'silent')
  if (!sandbox && config.puppet === 'wechaty-puppet-wechat4u') await tameWechat4u(log)
  const handleMessage = createMessageHandler(deps)
  // Messages a database outage left on disk are replayed first; new ones queue behind them.
  await handleMessage.start()
  const isService = !sandbox && config.puppet === 'wechaty-puppet-service'
  // The commonest puppet-service mistake, said once in words instead of a certificate error each attempt.
  let tlsExplained = false
  const explainTlsMismatch = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error)
    if (tlsExplained || !message.includes('ERR_TLS_CERT_ALTNAME_INVALID')) return
    tlsExplained = true
    log.error(
      "the gateway's TLS certificate does not match the token: with the built-in certificate the token must be insecure_<token> with no further _ (the part before the last _ is the server name); for a gateway without TLS set WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT=true",
    )
  }
  const connection = startConnection(deps, {
    puppet: sandbox ? 'sandbox' : config.puppet,
    build: () =>
      sandbox
        ? WechatyBuilder.build({ puppet: sandbox.puppet })
        : WechatyBuilder.build(realPuppetOptions(config)),
    attach(wechaty) {
      wechaty.on('message', handleMessage)
      if (isService) wechaty.on('error', explainTlsMismatch)
      options.attach?.(wechaty)
    },
    afterStart: sandbox ? () => sandbox.login() : undefined,
    onLogin: () => deps.outboxSignal.notify(),
    onSettled: options.onSettled,
    lease: sandbox ? undefined : { account: config.bot.account, leaseMs: config.bot.leaseMs },
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
      .then((art) => process.stdout.write(`\n${art}\n`))
      .catch(() => {})
  })
  if (sandbox) await waitUntil(() => connection.ready(), 10_000)
  const sender = startOutboxSender(
    deps,
    createWechatyTransport(
      connection,
      (id) => loadAttachment(deps.db, id),
      (row) => (row.isRoom ? groupGoneReason(deps.db, row.conversationId) : Promise.resolve(undefined)),
    ),
  )
  return {
    connection,
    status: () => connection.status(),
    stopReading: () => connection.stopReading(),
    inboundSpool: () => handleMessage.spoolStats(),
    async stop() {
      connection.stopReading()
      // The messages in hand are stored, or spooled to disk, before the database closes.
      await handleMessage.stop()
      await sender.stop()
      await connection.stop().catch((error: unknown) => log.warn('bot stop failed', { err: error }))
    },
  }
}

async function waitUntil(condition: () => boolean, ms: number) {
  const deadline = Date.now() + ms
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
}
