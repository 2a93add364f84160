import { EventEmitter } from 'node:events'
import { describe, expect, it, vi } from 'vitest'
import { startConnection, type WechatyInterface } from '../../bot/connection'
import { systemClock } from '../../core/shared/clock'
import { silentLog } from '../../core/shared/log'

/** A stand-in wechaty: starts as told, logs in on demand, counts its attempts. */
function fakeWechaty(behaviour: { start: () => Promise<void> }) {
  const emitter = new EventEmitter() as EventEmitter & Record<string, unknown>
  emitter.isLoggedIn = false
  emitter.start = behaviour.start
  emitter.stop = async () => {}
  emitter.ding = () => {}
  return emitter as unknown as WechatyInterface & EventEmitter
}

const deps = { db: undefined as never, log: silentLog, clock: systemClock }
const quiet = { attach: () => {}, exitAfterMs: 0, exit: () => {} }

/** A build function whose every instance starts and logs in at once; `built` collects them. */
function loggingIn(built: (WechatyInterface & EventEmitter)[], onDing?: (instance: EventEmitter) => void) {
  return () => {
    const instance = fakeWechaty({
      start: async () => {
        setImmediate(() => instance.emit('login', { id: 'bot', name: () => '改造助手' }))
      },
    })
    if (onDing) (instance as unknown as { ding: () => void }).ding = () => onDing(instance)
    built.push(instance)
    return instance
  }
}
const until = async (condition: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('the bot connection', () => {
  it('keeps trying with capped backoff while the gateway refuses, and connects when it answers', async () => {
    let attempts = 0
    let gatewayUp = false
    const instances: (WechatyInterface & EventEmitter)[] = []
    const connection = startConnection(deps, {
      puppet: 'test',
      build: () => {
        const instance = fakeWechaty({
          start: async () => {
            attempts++
            if (!gatewayUp) throw new Error('14 UNAVAILABLE: No connection established')
            setImmediate(() => instance.emit('login', { id: 'bot', name: () => '改造助手' }))
          },
        })
        instances.push(instance)
        return instance
      },
      attach: () => {},
      reconnectMaxMs: 200,
      exitAfterMs: 0,
      exit: () => {},
    })
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      // 0.5 s, then at most 0.2 s between attempts: several, not one, and each on a fresh instance.
      expect(attempts).toBeGreaterThanOrEqual(4)
      expect(new Set(instances).size).toBe(attempts)
      expect(connection.status().state).toBe('connecting')
      expect(connection.ready()).toBe(false)
      gatewayUp = true
      await until(() => connection.ready())
      expect(connection.status()).toMatchObject({ state: 'online', loggedIn: true, self: { id: 'bot' } })
    } finally {
      await connection.stop()
    }
    expect(connection.status().state).toBe('stopped')
  })

  it('rebuilds the puppet when its gateway falls silent, and goes offline on a logout without reconnecting', async () => {
    const instances: (WechatyInterface & EventEmitter)[] = []
    const connection = startConnection(deps, {
      ...quiet,
      puppet: 'test',
      build: loggingIn(instances),
      liveness: { pingMs: 50, deadMs: 300, quietMs: 300 },
      reconnectMaxMs: 100,
    })
    try {
      await until(() => connection.ready())
      // Nothing comes from the first gateway: it is dropped and a new instance is built.
      await until(() => instances.length >= 2, 3_000)
      await until(() => connection.ready())
      const current = instances.at(-1)!
      const heartbeat = setInterval(() => current.emit('heartbeat', {}), 50)
      current.emit('logout', {})
      expect(connection.status().state).toBe('offline')
      await new Promise((resolve) => setTimeout(resolve, 500))
      clearInterval(heartbeat)
      expect(connection.status().state).toBe('offline')
      expect(instances.at(-1)).toBe(current)
    } finally {
      await connection.stop()
    }
  })

  it('judges a gateway that never answers a ding by its heartbeats, and one that does by its dongs', async () => {
    const built: (WechatyInterface & EventEmitter)[] = []
    let answers = false
    const connection = startConnection(deps, {
      ...quiet,
      puppet: 'test',
      build: loggingIn(built, (instance) => {
        if (answers) setImmediate(() => instance.emit('dong', {}))
      }),
      liveness: { pingMs: 100, deadMs: 300, quietMs: 1_500 },
      reconnectMaxMs: 100,
    })
    const heartbeat = setInterval(() => built.at(-1)?.emit('heartbeat', {}), 600)
    try {
      await until(() => connection.ready())
      // Heartbeats 600 ms apart: longer than deadMs, but the gateway never showed it answers a ding.
      await new Promise((resolve) => setTimeout(resolve, 2_000))
      expect(built).toHaveLength(1)
      expect(connection.ready()).toBe(true)
      // A gateway that answers dings and then falls silent is dropped after deadMs.
      answers = true
      await new Promise((resolve) => setTimeout(resolve, 300))
      answers = false
      await until(() => built.length >= 2, 3_000)
    } finally {
      clearInterval(heartbeat)
      await connection.stop()
    }
  })

  it('exits non-zero after the configured time without a login, as the last resort', async () => {
    const exit = vi.fn()
    const connection = startConnection(deps, {
      puppet: 'test',
      build: () => fakeWechaty({ start: async () => Promise.reject(new Error('refused')) }),
      attach: () => {},
      reconnectMaxMs: 100,
      exitAfterMs: 1_000,
      exit,
    })
    try {
      await until(() => exit.mock.calls.length > 0, 10_000)
      expect(exit).toHaveBeenCalledWith(1)
    } finally {
      await connection.stop()
    }
  }, 15_000)
})
