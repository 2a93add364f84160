import type { Inbound } from '../core/chat/chat.types'
import { isDatabaseUnavailable } from '../core/shared/db-errors'
import { isAppError } from '../core/shared/errors'
import type { Log } from '../core/shared/log'
import type { FileOmitted, InboundSpool, SpoolEntry } from './inbound-spool'

/**
 * SQLSTATE classes that blame the data, not the database: 22 (data exception), 23 (integrity constraint).
 * Retrying such a message can never succeed, and at the head of the spool it would block every other one.
 */
const messageFaultClasses = new Set(['22', '23'])

/**
 * Whether a failure to store a message is the storage's (the database away, restarting, out of
 * connections, a lost serialization race: spool it and retry) rather than the message's (refused by core,
 * or data the database rejects: log it, as before). Unknown errors count as the storage's: losing a
 * message is worse than retrying it, and a replay that keeps failing while the database answers is set
 * aside after a few tries.
 */
export function shouldSpool(error: unknown): boolean {
  if (isDatabaseUnavailable(error)) return true
  if (isAppError(error)) return false
  let cause: unknown = error
  for (let depth = 0; cause && depth < 5; depth++) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && messageFaultClasses.has(code.slice(0, 2))) {
      return false
    }
    cause = (cause as { cause?: unknown }).cause
  }
  return true
}

export interface InboundQueueOptions {
  spool: InboundSpool
  /** Stores one message and enqueues its reply; `receivedAt` is given when it comes from the spool. */
  store(inbound: Inbound, receivedAt?: Date): Promise<void>
  /** Whether the database answers now: a replay failing while it does counts against that message. */
  databaseUp(): Promise<boolean>
  log: Log
  retryBaseMs: number
  retryMaxMs: number
  /** Media larger than this are spooled without their bytes (core would refuse them anyway). */
  maxFileBytes: number
  /** Replays of one message that may fail while the database answers before it is set aside. */
  maxFailuresWhileUp?: number
}

export interface InboundSpoolStats {
  waiting: number
  bytes: number
  spooled: number
  dropped: { full: number; unwritable: number; rejected: number }
}

/**
 * Takes inbound messages in order: one conversation's messages one after another, straight to the
 * database while the spool is empty, to the spool's tail otherwise (so no message overtakes a spooled
 * one), and to the spool when the database fails. The spool is replayed oldest first, with backoff.
 */
export function createInboundQueue(options: InboundQueueOptions) {
  const { spool, log } = options
  const maxFailuresWhileUp = options.maxFailuresWhileUp ?? 5
  const chains = new Map<string, Promise<void>>()
  const stats: InboundSpoolStats = {
    waiting: 0,
    bytes: 0,
    spooled: 0,
    dropped: { full: 0, unwritable: 0, rejected: 0 },
  }
  let stopped = false
  let running: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined
  let delay = options.retryBaseMs
  let failing = { name: '', count: 0 }
  let outage = false
  let waiters: (() => void)[] = []
  let opened: Promise<void> | undefined

  const notify = () => {
    const woken = waiters
    waiters = []
    for (const wake of woken) wake()
  }

  /** Reads what an earlier run left, once, before the first message is placed. */
  const open = () => {
    opened ??= spool.open().then(
      (count) => {
        if (count > 0) log.info('inbound spool: replaying messages left by the last run', { count })
      },
      (error: unknown) =>
        log.error('inbound spool: could not read the spool', { err: error, dir: spool.dir }),
    )
    return opened
  }

  async function mediaOf(file: NonNullable<Inbound['file']>) {
    try {
      const got = await file()
      if (!got) return { fileOmitted: 'unreadable' as FileOmitted }
      if (got.data.length > options.maxFileBytes) return { fileOmitted: 'too_large' as FileOmitted }
      return { file: got }
    } catch (error) {
      log.warn('inbound spool: the file could not be fetched; spooled without it', { err: error })
      return { fileOmitted: 'unreadable' as FileOmitted }
    }
  }

  async function toSpool(inbound: Inbound, receivedAt: Date, retryAfterMs = 0) {
    const { file, ...plain } = inbound
    const media = file ? await mediaOf(file) : {}
    const result = await spool.append({ receivedAt, inbound: plain, ...media })
    if (result.spooled) {
      stats.spooled++
      kick(retryAfterMs)
      return
    }
    stats.dropped[result.reason]++
    log.error(
      result.reason === 'full'
        ? 'inbound message lost: the spool is full (INBOUND_SPOOL_MAX_MESSAGES / INBOUND_SPOOL_MAX_MB)'
        : 'inbound message lost: the spool could not write it',
      { id: inbound.id, waiting: spool.size, dir: spool.dir },
    )
  }

  async function deliver(inbound: Inbound, receivedAt: Date) {
    await open()
    if (spool.size === 0) {
      try {
        await options.store(inbound)
        return
      } catch (error) {
        if (!shouldSpool(error)) {
          log.error('inbound message failed', { err: error, id: inbound.id })
          return
        }
        log.warn('inbound: the database did not take the message; kept in the spool to retry', {
          err: error,
          id: inbound.id,
        })
        // The database has just failed: the first retry waits like any other.
        return toSpool(inbound, receivedAt, options.retryBaseMs)
      }
    }
    await toSpool(inbound, receivedAt)
  }

  function replayable(entry: SpoolEntry): Inbound {
    if (entry.fileOmitted) {
      log.warn('inbound spool: filing a message without its file', {
        id: entry.inbound.id,
        why: entry.fileOmitted,
      })
    }
    const file = entry.file
    return { ...entry.inbound, file: file ? async () => file : undefined }
  }

  async function setAside(entry: SpoolEntry, error: unknown) {
    log.error('inbound spool: the database refuses this message; set aside in rejected/', {
      err: error,
      id: entry.inbound.id,
      file: entry.name,
    })
    stats.dropped.rejected++
    await spool.reject(entry.name)
  }

  /** Replays until the spool is empty (undefined) or a message fails for the storage (the wait before the next try). */
  async function drain(): Promise<number | undefined> {
    while (!stopped) {
      const entry = await spool.first()
      if (!entry) break
      try {
        await options.store(replayable(entry), entry.receivedAt)
        await spool.remove(entry.name)
        delay = options.retryBaseMs
      } catch (error) {
        if (!shouldSpool(error)) {
          await setAside(entry, error)
          continue
        }
        // An error that says the database is away is the database's; any other counts against the
        // message once the database answers a ping.
        const away = isDatabaseUnavailable(error) || !(await options.databaseUp().catch(() => false))
        if (!away) {
          failing = { name: entry.name, count: failing.name === entry.name ? failing.count + 1 : 1 }
          if (failing.count >= maxFailuresWhileUp) {
            await setAside(entry, error)
            continue
          }
        }
        if (!outage)
          log.warn('inbound spool: the database is away; retrying', { err: error, waiting: spool.size })
        outage = true
        const wait = delay
        delay = Math.min(delay * 2, options.retryMaxMs)
        return wait
      }
    }
    if (outage && !stopped) log.info('inbound spool: every kept message is stored')
    outage = false
    return undefined
  }

  function retryIn(wait: number) {
    timer = setTimeout(() => {
      timer = undefined
      kick()
    }, wait)
    // The spool is on disk: a retry pending must not keep a stopping process alive.
    timer.unref()
  }

  function kick(afterMs = 0) {
    if (stopped || running || timer) return
    if (afterMs > 0) return retryIn(afterMs)
    running = drain()
      .catch((error: unknown) => {
        log.error('inbound spool: replay failed', { err: error, dir: spool.dir })
        return options.retryMaxMs
      })
      .then((wait) => {
        running = undefined
        if (stopped) return
        if (wait !== undefined) retryIn(wait)
        else if (spool.ready > 0) {
          kick()
        }
      })
      .finally(notify)
  }

  return {
    /**
     * Takes one message of a conversation after that conversation's earlier ones; resolves once it is
     * stored, spooled or (a message refused for what it is, a spool full) logged as lost.
     */
    take(conversation: string, read: () => Promise<Inbound | null>, receivedAt: Date): Promise<void> {
      // Read at once (the puppet's answers as they are on arrival); placed after the conversation's earlier ones.
      const reading = Promise.resolve()
        .then(read)
        .catch((error: unknown) => {
          log.error('inbound message failed', { err: error })
          return null
        })
      const current = (chains.get(conversation) ?? Promise.resolve())
        .then(async () => {
          const inbound = await reading
          if (inbound) await deliver(inbound, receivedAt)
        })
        .catch((error: unknown) => log.error('inbound message failed', { err: error }))
      chains.set(conversation, current)
      void current.then(() => {
        if (chains.get(conversation) === current) chains.delete(conversation)
        notify()
      })
      return current
    },

    /** Reads the spool a previous run left, and starts replaying it. */
    async start() {
      await open()
      kick()
    },

    /** Retries no more; waits (5 s at most) for the messages in hand, which are stored or spooled. The spool stays on disk. */
    async stop() {
      stopped = true
      clearTimeout(timer)
      timer = undefined
      let giveUp: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.all([running, ...chains.values()]),
        new Promise((resolve) => {
          giveUp = setTimeout(resolve, 5_000)
          giveUp.unref()
        }),
      ])
      clearTimeout(giveUp)
      notify()
    },

    /** Resolves once every message taken is stored or dropped and the spool is empty (or the queue stopped). */
    async idle() {
      for (;;) {
        await Promise.all(chains.values())
        if (stopped || (chains.size === 0 && spool.size === 0 && !running)) return
        await new Promise<void>((resolve) => waiters.push(resolve))
      }
    },

    stats(): InboundSpoolStats {
      return { ...stats, waiting: spool.size, bytes: spool.bytes, dropped: { ...stats.dropped } }
    },
  }
}
