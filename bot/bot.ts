import { mkdirSync } from 'node:fs'
import QRCode from 'qrcode'
import { qrcodeValueToImageUrl, WechatyBuilder } from 'wechaty'
import { loadAttachment } from '../core/notices/attachments'
import { startOutboxSender } from '../core/outbox/outbox.sender'
import type { Deps } from '../core/shared/deps'
import { createMessageHandler } from './on-message'
import { realPuppetOptions } from './puppet'
import type { SandboxWorld } from './sandbox/sandbox-world'
import { createWechatyTransport } from './transport'

type WechatyInterface = ReturnType<typeof WechatyBuilder.build>

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
  wechaty: WechatyInterface
  status(): BotStatus
  stop(): Promise<void>
}

/** Starts wechaty with the configured puppet (or the sandbox's mock) and the outbox sender. */
export async function createBot(deps: Deps, options: { sandbox?: SandboxWorld } = {}): Promise<Bot> {
  const { config, log } = deps
  // A real account's login session (wechaty's memory card) is kept in DATA_DIR, even when the data is in Postgres.
  if (!options.sandbox) mkdirSync(config.dataDir, { recursive: true })
  const wechaty = options.sandbox
    ? WechatyBuilder.build({ puppet: options.sandbox.puppet })
    : WechatyBuilder.build(realPuppetOptions(config))
  const status: BotStatus = {
    puppet: options.sandbox ? 'sandbox' : config.puppet,
    state: 'connecting',
    since: deps.clock.now().toISOString(),
    loggedIn: false,
  }

  // Without an error listener wechaty throws on any puppet hiccup.
  wechaty.on('error', (error) => log.error('wechaty error', { err: error }))
  wechaty.on('scan', (value, scanStatus) => {
    status.qr = { value, imageUrl: qrcodeValueToImageUrl(value), status: String(scanStatus) }
    log.info('scan the QR code to log in (also at GET /api/v1/bot/qr.svg)', { imageUrl: status.qr.imageUrl })
    // The terminal QR is for whoever started Gaizao by hand; the log line and the API serve the rest.
    QRCode.toString(value, { type: 'terminal', small: true })
      .then((art) => process.stdout.write(`\n${art}\n`))
      .catch(() => {})
  })
  wechaty.on('login', (user) => {
    status.loggedIn = true
    status.self = { id: user.id, name: user.name() }
    status.qr = undefined
    log.info('bot logged in', { id: user.id, name: user.name() })
  })
  wechaty.on('logout', () => {
    status.loggedIn = false
    log.warn('bot logged out')
  })
  wechaty.on('message', createMessageHandler(deps))

  await wechaty.start()
  options.sandbox?.login()
  const sender = startOutboxSender(
    deps,
    createWechatyTransport(wechaty, (id) => loadAttachment(deps.db, id)),
  )
  return {
    wechaty,
    status: () => ({ ...status }),
    async stop() {
      await sender.stop()
      await wechaty.stop().catch((error: unknown) => log.warn('wechaty stop failed', { err: error }))
    },
  }
}
