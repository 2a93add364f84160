import type { Sql } from 'postgres'
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../core/shared/db-errors'
import type { Log } from '../core/shared/log'

export interface DatabaseHealthOptions {
  /** One `select 1` on a connection of its own, so a busy pool cannot delay it. */
  probe(): Promise<void>
  /** Drops the probe's connection after a probe that failed, so the next one starts afresh. */
  resetProbe(): void
  log?: Pick<Log, 'info' | 'warn'>
  /** A probe not answered within this is a failure: a frozen server never refuses, it only goes quiet. */
  probeTimeoutMs?: number
  /** A query unanswered this long makes the database suspect, and it is probed. */
  suspectAfterMs?: number
  /** While down, the database is probed this often; service resumes on the first answer. */
  retryEveryMs?: number
}

export interface DatabaseHealth {
  available(): boolean
  /**
   * Runs one piece of database work: refused at once while the database is known to be down, and given up
   * (DatabaseUnavailableError) as soon as it is found down, rather than waiting on a server that is gone.
   */
  run<T>(work: () => PromiseLike<T>): Promise<T>
  /** A bounded probe: resolves if the database answers, rejects with DatabaseUnavailableError if not. */
  ping(): Promise<void>
  stop(): void
}

interface InFlight {
  since: number
  fail(error: Error): void
}

/**
 * Watches whether PostgreSQL answers. A connection error, or a query left unanswered past
 * `suspectAfterMs`, triggers a probe; a failed probe marks the database down, fails the work in flight
 * and refuses new work until a probe (every `retryEveryMs`) answers again.
 */
export function createDatabaseHealth(options: DatabaseHealthOptions): DatabaseHealth {
  const { probe, resetProbe, log } = options
  const probeTimeoutMs = options.probeTimeoutMs ?? 1_000
  const suspectAfterMs = options.suspectAfterMs ?? 400
  const retryEveryMs = options.retryEveryMs ?? 1_000
  let outage: DatabaseUnavailableError | null = null
  let downSince = 0
  let answeredAt = 0
  let checking: Promise<boolean> | null = null
  let retryTimer: NodeJS.Timeout | undefined
  let watchdog: NodeJS.Timeout | undefined
  let stopped = false
  const inFlight = new Set<InFlight>()

  const markDown = (cause: unknown) => {
    if (outage) return
    outage = new DatabaseUnavailableError('the database is unavailable', { cause })
    downSince = Date.now()
    log?.warn('database unavailable: answering 503 and probing it every second', {
      err: cause instanceof Error ? cause : new Error(String(cause)),
    })
    for (const work of inFlight) work.fail(outage)
    scheduleRetry()
  }
  const markUp = () => {
    answeredAt = Date.now()
    if (!outage) return
    log?.info('database available again', { downMs: answeredAt - downSince })
    outage = null
  }
  const scheduleRetry = () => {
    if (stopped) return
    clearTimeout(retryTimer)
    retryTimer = setTimeout(async () => {
      if (!(await check()) && !stopped) scheduleRetry()
    }, retryEveryMs)
    retryTimer.unref()
  }
  const probeOnce = async () => {
    if (stopped) return false
    try {
      await withTimeout(probe(), probeTimeoutMs)
      markUp()
      return true
    } catch (error) {
      resetProbe()
      markDown(error)
      return false
    }
  }
  const check = (): Promise<boolean> => {
    if (!checking) {
      const current = probeOnce()
      checking = current
      void current.finally(() => {
        if (checking === current) checking = null
      })
    }
    return checking
  }
  const startWatchdog = () => {
    if (watchdog || stopped) return
    watchdog = setInterval(
      () => {
        if (inFlight.size === 0) {
          clearInterval(watchdog)
          watchdog = undefined
          return
        }
        const now = Date.now()
        if (outage || checking || now - answeredAt < suspectAfterMs) return
        for (const work of inFlight) {
          if (now - work.since >= suspectAfterMs) {
            void check()
            return
          }
        }
      },
      Math.max(20, Math.floor(suspectAfterMs / 4)),
    )
    watchdog.unref()
  }

  return {
    available: () => !outage,
    run<T>(work: () => PromiseLike<T>): Promise<T> {
      if (outage) return Promise.reject(outage)
      // One promise per piece of work (this runs for every query): settled by the work, or failed with the
      // outage as soon as one is found, whichever comes first.
      return new Promise<T>((resolve, reject) => {
        const entry: InFlight = {
          since: Date.now(),
          fail: (error) => {
            inFlight.delete(entry)
            reject(error)
          },
        }
        inFlight.add(entry)
        startWatchdog()
        const failed = (error: unknown) => {
          inFlight.delete(entry)
          if (!outage && isDatabaseUnavailable(error)) void check()
          reject(error)
        }
        try {
          work().then((value) => {
            inFlight.delete(entry)
            resolve(value)
          }, failed)
        } catch (error) {
          failed(error)
        }
      })
    },
    async ping() {
      if (outage) throw outage
      if (!(await check())) throw outage ?? new DatabaseUnavailableError()
    },
    stop() {
      stopped = true
      clearTimeout(retryTimer)
      clearInterval(watchdog)
      watchdog = undefined
    },
  }
}

/**
 * Rejects when `ms` pass without an answer. The rejection waits one more turn of the event loop: after a
 * long synchronous stretch the timer fires before the socket is read, and an answer already there wins.
 */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        setImmediate(() =>
          reject(new DatabaseUnavailableError(`the database did not answer within ${ms} ms`)),
        ),
      ms,
    )
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

type Callback = (sql: Sql) => unknown

/**
 * The pool as drizzle uses it (`unsafe`, `begin`, `savepoint`, the tag), with every query and transaction
 * run under `health`. A transaction's own queries are watched too, so none of them waits on a dead server.
 */
export function watchedClient(client: Sql, health: DatabaseHealth): Sql {
  const scoped =
    (method: 'begin' | 'savepoint', target: Sql) =>
    (...args: unknown[]) => {
      const callback = args.pop() as Callback
      const run = (target as unknown as Record<typeof method, (...a: unknown[]) => Promise<unknown>>)[method]
      return health.run(() => run.call(target, ...args, (sql: Sql) => callback(watchedClient(sql, health))))
    }
  return new Proxy(client, {
    apply(target, thisArg, args) {
      const out = Reflect.apply(target, thisArg, args) as unknown
      return out instanceof Promise ? watchedQuery(out, health) : out
    },
    get(target, key, receiver) {
      if (key === 'unsafe') {
        return (...args: Parameters<Sql['unsafe']>) => watchedQuery(target.unsafe(...args), health)
      }
      if (key === 'begin' || key === 'savepoint') return scoped(key, target)
      return Reflect.get(target, key, receiver)
    },
  })
}

/**
 * A postgres.js query (a lazy promise: it runs when awaited) that runs under `health` when awaited; its
 * chainable modifiers (`values()`, `raw()`…) keep the watch.
 */
function watchedQuery<Q extends Promise<unknown>>(query: Q, health: DatabaseHealth): Q {
  let result: Promise<unknown> | undefined
  const settle = () => {
    result ??= health.run(() => query)
    return result
  }
  const proxy: Q = new Proxy(query, {
    get(target, key) {
      if (key === 'then') return (...args: Parameters<Promise<unknown>['then']>) => settle().then(...args)
      if (key === 'catch') return (...args: Parameters<Promise<unknown>['catch']>) => settle().catch(...args)
      if (key === 'finally') {
        return (...args: Parameters<Promise<unknown>['finally']>) => settle().finally(...args)
      }
      const value = Reflect.get(target, key, target) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        const out = (value as (...a: unknown[]) => unknown).apply(target, args)
        return out === target ? proxy : out
      }
    },
  })
  return proxy
}
