import { isIP } from 'node:net'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { Config } from '../config'
import { createRateLimiter, type RateLimiter, retryAfterSeconds } from '../core/shared/rate-limit'

/**
 * Who is calling, and how often they may get things wrong: the client's address, and the limits on failed
 * tokens (API, console sign-in and session, /metrics) and on the unauthenticated sandbox. One set per app,
 * in memory: several instances each keep their own.
 */
export interface Guards {
  /** Failed tokens per client address: 10 a minute, then 429 until the oldest leaves the minute. */
  failedByIp: RateLimiter
  /** Failed tokens per token prefix, whatever the address: guesses spread over many addresses. */
  failedByPrefix: RateLimiter
  /** Sandbox messages per client address. */
  sandboxSay: RateLimiter
}

declare module 'hono' {
  interface ContextVariableMap {
    guards: Guards
    clientIp: string
  }
}

export function createGuards(now?: () => number): Guards {
  return {
    failedByIp: createRateLimiter({ limit: 10, windowMs: 60_000, now }),
    failedByPrefix: createRateLimiter({ limit: 10, windowMs: 60_000, now }),
    sandboxSay: createRateLimiter({ limit: 60, windowMs: 60_000, now }),
  }
}

/** A request handled in-process (`app.request` in a test) has no socket: it came over no network. */
export const inProcess = 'in-process'

// A keep-alive socket carries many requests from one peer: its address is read once.
const peerOf = new WeakMap<object, string>()

function socketAddress(c: Context): string | undefined {
  const socket = (c.env as { incoming?: { socket?: object } } | undefined)?.incoming?.socket
  const known = socket && peerOf.get(socket)
  if (known) return known
  let address: string | undefined
  try {
    address = getConnInfo(c).remote.address ?? undefined
  } catch {
    address = undefined
  }
  if (socket && address) peerOf.set(socket, address)
  return address
}

const normalise = (address: string) => {
  const trimmed = address.trim().replace(/^\[|\]$/g, '')
  return trimmed.toLowerCase().startsWith('::ffff:') && isIP(trimmed.slice(7)) === 4
    ? trimmed.slice(7)
    : trimmed
}

/**
 * The client's address: the socket's, or with TRUST_PROXY=n the address the n-th proxy from us saw
 * (X-Forwarded-For's n-th entry from the right; the entries to its left are whatever the client claimed).
 */
export function clientAddress(c: Context, trustProxy: number): string {
  const socket = socketAddress(c)
  if (trustProxy > 0) {
    const chain = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((part) => normalise(part))
      .filter(Boolean)
    const claimed = chain[Math.max(0, chain.length - trustProxy)]
    if (claimed && isIP(claimed)) return claimed
  }
  return socket ? normalise(socket) : inProcess
}

export const isLoopback = (address: string) =>
  address === '::1' || (isIP(address) === 4 && address.startsWith('127.'))

/**
 * Whether the request comes from this machine itself. A proxy on this machine forwards everyone else's
 * requests from loopback too: unless TRUST_PROXY says to read them, forwarding headers make it remote.
 */
export function isLocalRequest(c: Context, config: Pick<Config, 'trustProxy'>): boolean {
  const address = c.get('clientIp') ?? clientAddress(c, config.trustProxy)
  if (address === inProcess) return true
  if (!isLoopback(address)) return false
  if (config.trustProxy > 0) return true
  return !['x-forwarded-for', 'forwarded', 'x-real-ip'].some((h) => c.req.header(h) !== undefined)
}

/** Puts the guards and the client's address on the context, for the routes below. */
export function provideGuards(guards: Guards, config: Pick<Config, 'trustProxy'>) {
  return createMiddleware(async (c, next) => {
    c.set('guards', guards)
    c.set('clientIp', clientAddress(c, config.trustProxy))
    await next()
  })
}

/** A token's first characters name it loosely enough to group guesses at it, not to find it. */
const prefixOf = (token: string) => `p:${token.slice(0, 8)}`

/**
 * Token failures for this request: `blockedFor` before checking a token (ms to wait, 0 = go ahead),
 * `failed` after a wrong one. Apps built without guards (a sub-app on its own) get no limits.
 */
export function tokenAttempts(c: Context, token?: string) {
  const guards = c.get('guards') as Guards | undefined
  const ip = c.get('clientIp') ?? inProcess
  return {
    blockedFor(): number {
      if (!guards) return 0
      return Math.max(
        guards.failedByIp.retryAfterMs(ip),
        token ? guards.failedByPrefix.retryAfterMs(prefixOf(token)) : 0,
      )
    },
    failed() {
      if (!guards) return
      guards.failedByIp.hit(ip)
      if (token) guards.failedByPrefix.hit(prefixOf(token))
    },
  }
}

export const tooManyAttemptsMessage = (ms: number) => `尝试次数过多，请 ${retryAfterSeconds(ms)} 秒后再试。`

export const retryAfterHeader = (ms: number) => ({ 'Retry-After': String(retryAfterSeconds(ms)) })
