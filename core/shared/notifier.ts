import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type { Database } from '../../db/client'
import type { Log } from './log'

/** A tiny wake-up signal: the sender sleeps until the poll interval or until someone calls `notify`. */
export interface Notifier {
  notify(): void
  wait(ms: number): Promise<void>
}

export function createNotifier(): Notifier {
  let wake: (() => void) | undefined
  let pending = false
  return {
    notify() {
      pending = true
      wake?.()
    },
    wait(ms) {
      if (pending) {
        pending = false
        return Promise.resolve()
      }
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms)
        function done() {
          clearTimeout(timer)
          wake = undefined
          pending = false
          resolve()
        }
        wake = done
      })
    },
  }
}

/** The PostgreSQL channel the outbox wake-ups travel on (per database, so test databases never mix). */
export const outboxChannel = 'gaizao_outbox'

export interface SharedNotifier extends Notifier {
  /** Sends a wake-up still waiting out its throttle and stops hearing others'. */
  close(): Promise<void>
}

export interface PostgresNotifierOptions {
  /** The process's database: NOTIFY goes through its pool, LISTEN through its one listening connection. */
  database: Pick<Database, 'db' | 'listen'>
  log: Pick<Log, 'debug' | 'info'>
  /** Whether this process sleeps on the signal (it runs a sender): else it only wakes the others. */
  listen: boolean
  /** Notifies within this window go out as one NOTIFY. */
  throttleMs?: number
  channel?: string
}

/**
 * The outbox signal across processes (several roles against one PostgreSQL): `notify` wakes this process's
 * sender at once and, throttled so that a burst is one NOTIFY, every other process's through LISTEN/NOTIFY.
 * A lost wake-up costs only latency: the sender polls anyway (OUTBOX_POLL_MS). Database.listen listens again
 * after the connection drops (a database restart), retried until the server is back; each (re)listen wakes
 * the sender too, for whatever was enqueued while no notification could arrive.
 */
export function createPostgresNotifier(options: PostgresNotifierOptions): SharedNotifier {
  const { log, database } = options
  const channel = options.channel ?? outboxChannel
  const throttleMs = options.throttleMs ?? 20
  const local = createNotifier()
  // Our own notifications come back to us; the local sender was woken already.
  const origin = randomUUID()
  let closed = false
  let timer: NodeJS.Timeout | undefined
  let sending: Promise<void> | undefined
  let again = false

  const publish = () => {
    timer = undefined
    if (closed) return
    if (sending) {
      again = true
      return
    }
    sending = database.db
      .execute(sql`select pg_notify(${channel}, ${origin})`)
      .then(
        () => {},
        (error: unknown) => log.debug('outbox wake-up not sent', { err: error }),
      )
      .finally(() => {
        sending = undefined
        if (again) {
          again = false
          schedule()
        }
      })
  }
  const schedule = () => {
    if (closed || timer) return
    timer = setTimeout(publish, throttleMs)
  }

  if (options.listen) {
    let listened = false
    database.listen(channel, (payload) => {
      if (closed || payload === origin) return
      if (payload === undefined) {
        if (listened) log.info('listening for outbox wake-ups again')
        listened = true
      }
      local.notify()
    })
  }

  return {
    notify() {
      local.notify()
      schedule()
    },
    wait: (ms) => local.wait(ms),
    async close() {
      // A wake-up still waiting out its throttle goes now: what was just enqueued should not wait a poll.
      if (timer) {
        clearTimeout(timer)
        publish()
      }
      closed = true
      local.notify()
      await sending
    },
  }
}
