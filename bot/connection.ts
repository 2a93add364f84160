import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { qrcodeValueToImageUrl, type WechatyBuilder } from 'wechaty'
import { acquireLease, releaseLease } from '../core/accounts/lease'
import type { Deps } from '../core/shared/deps'
import type { BotState, BotStatus } from './bot'
import { createCollapsedLog } from './collapsed-log'

export type WechatyInterface = ReturnType<typeof WechatyBuilder.build>

export interface ConnectionOptions {
  /** The account's name, for the status (the lease's account by default). */
  account?: string
  /** The puppet's name, for the status. */
  puppet: string
  /** Who this process is, in the lease and in bot_status (host:pid:random); one is made when absent. */
  holder?: string
  /**
   * Writes the status where other processes see it (bot_status): called at each state change or new QR
   * code, and with each lease renewal (or every `reportEveryMs` without a lease), one call at a time.
   */
  report?(status: BotStatus): Promise<unknown>
  /** Without a lease: how often the status is reported although nothing changed. */
  reportEveryMs?: number
  /** A fresh wechaty with a fresh puppet: a connection whose own reset failed is rebuilt, not reused. */
  build(): WechatyInterface
  /** Registers the event handlers on a new instance (messages, rooms, friendships). */
  attach(wechaty: WechatyInterface): void
  /** At each login: waking the sender. */
  onLogin?(wechaty: WechatyInterface): Promise<void> | void
  /**
   * Once the puppet has loaded its rooms and contacts after a login (its `ready` event, or `settleMs`
   * after the login for puppets that never say so): reconciling ids that changed.
   */
  onSettled?(wechaty: WechatyInterface): Promise<void> | void
  settleMs?: number
  /** Right after start (the sandbox logs its mock account in here). */
  afterStart?(wechaty: WechatyInterface): void
  /** One process per account (PostgreSQL lease); absent in the sandbox. */
  lease?: { account: string; leaseMs: number }
  /**
   * Probe a gateway (puppet service) that may drop or freeze silently: ding every `pingMs`, and count it
   * dropped when nothing at all (heartbeat, dong, message) has come for `deadMs` — once the gateway has
   * shown that it answers a ding. One whose puppet never answers is judged by its heartbeats (every
   * ~15 s on real puppets) with `quietMs`, so a healthy connection is never dropped for want of a dong.
   */
  liveness?: { pingMs: number; deadMs: number; quietMs: number }
  /** Longest pause between two attempts to connect. */
  reconnectMaxMs: number
  /** Give up and exit after this long without a login (0 = never), so a supervisor restarts us. */
  exitAfterMs: number
  exit(code: number): void
  /** How long one attempt to start may take. */
  startTimeoutMs?: number
  /**
   * Rebuild when connected but neither logged in nor showing a QR code for this long (wechat4u gives up
   * for good after one failed request for its QR code, e.g. while the network is down). 0 = never.
   */
  stuckMs?: number
}

export interface Connection {
  status(): BotStatus
  /** The wechaty instance of the current attempt, if any. */
  current(): WechatyInterface | undefined
  /** Logged in over a live connection: only then may anything be sent. */
  ready(): boolean
  /** Called with each new status (state changes, QR codes). */
  onChange(listener: (status: BotStatus) => void): void
  /** Stops reading messages (first step of a graceful shutdown). */
  stopReading(): void
  stop(): Promise<void>
}

// gRPC status codes that mean the channel is gone: CANCELLED, DEADLINE_EXCEEDED, INTERNAL, UNAVAILABLE.
const connectionLost = /^(1|4|13|14) [A-Z_]+:/

/** This process, as a lease holder and in bot_status: host, pid and a random part (pids repeat in containers). */
export const processHolder = () => `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`

/** wechaty is an EventEmitter, though its types do not say so. */
const emitter = (instance: WechatyInterface) => instance as unknown as import('node:events').EventEmitter

const timeout = <T>(promise: Promise<T>, ms: number, what: string) =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })

/**
 * Keeps one bot account connected for as long as the process lives: takes the account's lease, starts
 * wechaty, notices a dropped or frozen gateway (puppet errors, a silent stream, logout), rebuilds the
 * puppet and tries again with capped backoff, forever — or, as a last resort, exits so that docker's
 * `restart:` takes over.
 */
export function startConnection(
  deps: Pick<Deps, 'db' | 'log' | 'clock'>,
  options: ConnectionOptions,
): Connection {
  const { log } = deps
  const collapsed = createCollapsedLog(log)
  const holder = options.holder ?? processHolder()
  const account = options.account ?? options.lease?.account ?? 'default'
  const listeners: ((status: BotStatus) => void)[] = []
  let status: BotStatus = {
    account,
    puppet: options.puppet,
    state: 'connecting',
    since: deps.clock.now().toISOString(),
    loggedIn: false,
  }
  let wechaty: WechatyInterface | undefined
  let stopped = false
  let lastLoginAt = Date.now()
  /** The lease renewal and the last-resort check; each attempt's own timers are cleared with it. */
  const timers: NodeJS.Timeout[] = []
  let stopSignal: () => void = () => {}
  const stoppedPromise = new Promise<string>((resolve) => {
    stopSignal = () => resolve('stopped')
  })
  /** Waits `ms`, or less when the connection is stopped meanwhile. */
  const sleep = (ms: number) =>
    Promise.race([
      new Promise<string>((resolve) => setTimeout(() => resolve('timer'), ms).unref()),
      stoppedPromise,
    ])

  // Reports go out one at a time, in order, each with the status as it was when it changed.
  let reporting: Promise<void> = Promise.resolve()
  const report = () => {
    const write = options.report
    if (!write) return
    const snapshot = { ...status }
    reporting = reporting
      .then(() => write(snapshot))
      .then(
        () => {},
        (error: unknown) => collapsed.report('could not report the bot status to the database', error),
      )
  }

  const update = (change: Partial<BotStatus> & { state?: BotState }) => {
    const wasOnline = status.state === 'online'
    const changed = change.state !== undefined && change.state !== status.state
    const newQr = change.qr !== undefined && change.qr.value !== status.qr?.value
    status = {
      ...status,
      ...change,
      since: changed ? deps.clock.now().toISOString() : status.since,
    }
    status.loggedIn = status.state === 'online'
    if (status.state !== 'scan') status.qr = undefined
    if (status.state === 'online') status.detail = undefined
    if (changed) {
      const fields = { account, puppet: status.puppet, state: status.state, detail: status.detail }
      if (status.state === 'online') log.info('bot online', { ...fields, self: status.self?.name })
      else if (wasOnline || status.state === 'scan' || status.state === 'stopped')
        log.warn('bot not online', fields)
      // Between two attempts of a long outage: once a minute is enough (the collapsed errors say why).
      else log.debug('bot not online', fields)
    }
    for (const listener of listeners) listener({ ...status })
    if (changed || newQr) report()
  }

  const holdLease = async () => {
    if (!options.lease) return true
    let announced = false
    while (!stopped) {
      try {
        const lease = await acquireLease(deps.db, options.lease.account, holder, options.lease.leaseMs)
        if (lease.held) {
          if (announced) log.info('bot account lease taken over', { account, holder })
          return true
        }
        const detail = `账号 ${options.lease.account} 正由另一进程 ${lease.holder} 使用`
        if (!announced) {
          log.warn(
            'another process holds this bot account; waiting for its lease to lapse (BOT_ACCOUNTS names the accounts a process runs)',
            { account, holder: lease.holder, until: lease.expiresAt.toISOString() },
          )
          announced = true
        }
        update({ state: 'waiting_lease', detail })
      } catch (error) {
        collapsed.report('could not reach the database for the bot account lease', error)
      }
      await sleep(Math.max(1_000, Math.floor(options.lease.leaseMs / 3)))
    }
    return false
  }

  /**
   * Ends an attempt the way wechaty does: a puppet service is told to stop, which also frees its event
   * stream for our next attempt (a gateway serves one stream at a time; a frozen one may not have
   * noticed ours is gone). A puppet service restores its account's session when started again.
   */
  const teardown = async (instance: WechatyInterface) => {
    emitter(instance).removeAllListeners()
    // Errors after teardown would otherwise be unhandled: keep a listener that ignores them.
    instance.on('error', () => {})
    await timeout(instance.stop(), 5_000, 'wechaty stop').catch((error) =>
      log.debug('wechaty stop failed', { error: error instanceof Error ? error.message : String(error) }),
    )
  }

  /** One connection, from start until it drops; resolves with why it ended. */
  const connectOnce = async (): Promise<{ connected: boolean; reason: string }> => {
    const instance = options.build()
    wechaty = instance
    // Why this attempt ended, once something said so; `dropped` resolves with the first reason.
    let dropReason: string | undefined
    let resolveDropped: (reason: string) => void = () => {}
    const dropped = new Promise<string>((resolve) => {
      resolveDropped = resolve
    })
    const drop = (reason: string) => {
      dropReason ??= reason
      resolveDropped(reason)
    }
    dropCurrent = drop
    const local: NodeJS.Timeout[] = []
    try {
      let lastEventAt = Date.now()
      const alive = () => {
        lastEventAt = Date.now()
      }
      instance.on('error', (error) => {
        const message = error instanceof Error ? error.message : String(error)
        collapsed.report('wechaty error', error)
        if (options.liveness && connectionLost.test(message)) drop(`gateway: ${message.slice(0, 120)}`)
      })
      instance.on('scan', (value, scanStatus) => {
        alive()
        update({
          state: 'scan',
          detail: '等待扫码登录',
          qr: { value, imageUrl: qrcodeValueToImageUrl(value), status: String(scanStatus) },
        })
        log.info('scan the QR code to log in (also at GET /api/v1/bot/qr.svg and in the console)', {
          imageUrl: status.qr?.imageUrl,
        })
      })
      let settleTimer: NodeJS.Timeout | undefined
      let settled = false
      const settle = () => {
        clearTimeout(settleTimer)
        if (settled || !instance.isLoggedIn) return
        settled = true
        Promise.resolve(options.onSettled?.(instance)).catch((error) =>
          log.error('after-login work failed', { err: error }),
        )
      }
      instance.on('login', (user) => {
        alive()
        lastLoginAt = Date.now()
        settled = false
        update({ state: 'online', self: { id: user.id, name: user.name() } })
        Promise.resolve(options.onLogin?.(instance)).catch((error) =>
          log.error('after-login work failed', { err: error }),
        )
        clearTimeout(settleTimer)
        settleTimer = setTimeout(settle, options.settleMs ?? 60_000)
        local.push(settleTimer)
      })
      instance.on('ready', () => {
        alive()
        settle()
      })
      instance.on('logout', () => {
        alive()
        update({ state: 'offline', detail: '机器人账号已退出登录' })
      })
      let answersDing = false
      instance.on('heartbeat', alive)
      instance.on('dong', () => {
        answersDing = true
        alive()
      })
      instance.on('message', alive)
      options.attach(instance)
      update({ state: 'connecting', detail: status.detail })
      try {
        await timeout(instance.start(), options.startTimeoutMs ?? 20_000, 'wechaty start')
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error)
        update({ state: 'connecting', detail: `无法连接：${reason.slice(0, 80)}` })
        return { connected: false, reason }
      }
      if (dropReason) return { connected: false, reason: dropReason }
      options.afterStart?.(instance)
      if (!instance.isLoggedIn && status.state !== 'scan') update({ state: 'offline', detail: '等待登录' })
      alive()
      const stuckMs = options.stuckMs ?? 0
      if (stuckMs > 0) {
        const watch = () => {
          if (status.state === 'offline' && Date.now() - Date.parse(status.since) > stuckMs) {
            drop(`no login and no QR code for ${Math.round(stuckMs / 1000)} s`)
          }
        }
        local.push(setInterval(watch, Math.min(5_000, stuckMs)))
      }
      const probe = options.liveness
      if (probe) {
        const ping = () => {
          try {
            instance.ding('gaizao')
          } catch {
            // the gateway is gone; the silence check notices
          }
        }
        // Checked every second, so a silence is noticed within a second of its limit.
        const silence = () => {
          const limit = answersDing ? probe.deadMs : probe.quietMs
          if (Date.now() - lastEventAt > limit) drop(`gateway silent for ${limit} ms`)
        }
        local.push(setInterval(ping, probe.pingMs), setInterval(silence, 1_000))
      }
      return { connected: true, reason: await Promise.race([dropped, stoppedPromise]) }
    } finally {
      for (const timer of local) clearTimeout(timer)
    }
  }

  // The lease is renewed while held; losing it (another process took it after a long pause of ours)
  // drops the connection at once, so the account never speaks from two processes.
  let dropCurrent: (reason: string) => void = () => {}
  if (options.lease) {
    const lease = options.lease
    const renew = setInterval(
      async () => {
        if (stopped || status.state === 'waiting_lease') return
        try {
          const result = await acquireLease(deps.db, lease.account, holder, lease.leaseMs)
          if (!result.held) {
            log.error('lost the bot account lease; disconnecting', { account, holder: result.holder })
            dropCurrent(`账号由 ${result.holder} 接管`)
          } else report()
        } catch (error) {
          collapsed.report('could not renew the bot account lease', error)
        }
      },
      Math.max(1_000, Math.floor(lease.leaseMs / 3)),
    )
    renew.unref()
    timers.push(renew)
  } else if (options.report) {
    const heartbeat = setInterval(() => stopped || report(), options.reportEveryMs ?? 10_000)
    heartbeat.unref()
    timers.push(heartbeat)
  }

  if (options.exitAfterMs > 0) {
    const check = setInterval(() => {
      if (stopped || status.state === 'online' || status.state === 'waiting_lease') return
      if (Date.now() - lastLoginAt > options.exitAfterMs) {
        log.error(
          'no login for too long; exiting so that the supervisor restarts Gaizao (BOT_EXIT_AFTER_MINUTES)',
          {
            minutes: Math.round(options.exitAfterMs / 60_000),
          },
        )
        options.exit(1)
      }
    }, 5_000)
    check.unref()
    timers.push(check)
  }

  const loop = async () => {
    let failures = 0
    let first = true
    while (!stopped) {
      const waited = status.state === 'waiting_lease'
      if (!(await holdLease())) break
      if (waited || status.state === 'waiting_lease') lastLoginAt = Date.now()
      // The account is ours: said before the first attempt, which may stay `connecting` (a gateway down) and so
      // change nothing; after a wait, the change to `connecting` says it.
      if (first && status.state === 'connecting') report()
      first = false
      const { connected, reason } = await connectOnce()
      const instance = wechaty
      wechaty = undefined
      const wasLoggedIn = status.loggedIn
      if (connected && wasLoggedIn && !stopped) log.warn('bot connection lost; reconnecting', { reason })
      else if (!stopped) collapsed.report('bot could not connect; trying again', reason)
      if (!stopped && status.state !== 'connecting') {
        update({ state: 'connecting', detail: `连接中断：${reason.slice(0, 80)}` })
      }
      if (instance) await teardown(instance)
      if (stopped) break
      failures = wasLoggedIn ? 0 : failures + 1
      const pause = Math.min(options.reconnectMaxMs, 500 * 2 ** Math.min(failures, 10))
      await sleep(pause)
    }
  }
  const done = loop().catch((error) => log.error('bot connection loop failed', { err: error }))

  return {
    status: () => ({ ...status }),
    current: () => wechaty,
    ready: () => !stopped && status.state === 'online' && wechaty !== undefined,
    onChange(listener) {
      listeners.push(listener)
    },
    stopReading() {
      if (wechaty) emitter(wechaty).removeAllListeners('message')
    },
    async stop() {
      if (stopped) return
      stopped = true
      stopSignal()
      for (const timer of timers) clearInterval(timer)
      // The loop ends the current attempt and tears its wechaty down.
      await done
      update({ state: 'stopped', detail: undefined })
      // Written while the lease is still ours, then the lease goes: a successor's report follows ours.
      await reporting
      collapsed.close()
      if (options.lease) await releaseLease(deps.db, options.lease.account, holder).catch(() => {})
    },
  }
}
