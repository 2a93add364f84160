import { createMiddleware } from 'hono/factory'
import { requestId } from 'hono/request-id'
import { type Log, logWith } from '../core/shared/log'

declare module 'hono' {
  interface ContextVariableMap {
    /** The app's log with this request's id on every line. */
    log: Log
  }
}

/**
 * Every request gets an id: the caller's X-Request-Id when it is short and plain (letters, digits, `_ - =`,
 * at most 64), else a new UUID. It is echoed in the X-Request-Id header, bound to the request's log lines
 * and put in error bodies.
 */
export const assignRequestId = () => requestId({ limitLength: 64 })

/** Probes scraped every few seconds: their lines only at debug. */
const quietPaths = new Set(['/healthz', '/readyz', '/metrics'])

/**
 * One line per request at info: method, path, status, milliseconds, request id. The query string's values
 * are left out (a `next=` or a search may carry what should not be logged); its keys stay.
 */
export function accessLog(log: Log) {
  return createMiddleware(async (c, next) => {
    const started = performance.now()
    const requestLog = logWith(log, { requestId: c.get('requestId') })
    c.set('log', requestLog)
    await next()
    // Most requests carry no query string: the URL is parsed only for one that does.
    const url = c.req.url
    const keys = url.includes('?') ? [...new Set(new URL(url).searchParams.keys())] : []
    const fields = {
      method: c.req.method,
      path: c.req.path,
      ...(keys.length > 0 ? { queryKeys: keys.join(',') } : {}),
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    }
    if (quietPaths.has(c.req.path)) requestLog.debug('request', fields)
    else requestLog.info('request', fields)
  })
}

/** Error answers carry the request id in their envelope: `{ error: { code, message, requestId } }`. */
export const requestIdInErrors = () =>
  createMiddleware(async (c, next) => {
    await next()
    const res = c.res
    const id = c.get('requestId')
    if (res.status < 400 || !id || !res.headers.get('content-type')?.startsWith('application/json')) return
    const body = (await res
      .clone()
      .json()
      .catch(() => undefined)) as { error?: Record<string, unknown> } | undefined
    if (!body?.error || typeof body.error !== 'object' || 'requestId' in body.error) return
    body.error.requestId = id
    const headers = new Headers(res.headers)
    headers.delete('content-length')
    // Cleared first: assigning over a response would copy its headers, a stale length among them.
    c.res = undefined
    c.res = new Response(JSON.stringify(body), { status: res.status, statusText: res.statusText, headers })
  })
