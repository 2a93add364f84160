import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { Config } from '../config'
import { tooLarge as attachmentTooLarge } from '../core/notices/attachments'
import { errorBody } from './errors'

const KB = 1024
const MB = 1024 * KB

export const defaultBodyLimit = 1 * MB
export const sandboxSayBodyLimit = 16 * KB
/** The same as the households import route's own limit (api/routes/consent.routes.ts). */
export const householdsCsvBodyLimit = 5 * MB

export const formatBytes = (bytes: number) => {
  const [unit, size] = bytes >= MB ? ['MB', bytes / MB] : ['KB', bytes / KB]
  return `${Number.isInteger(size) ? size : size.toFixed(1)} ${unit}`
}

/** A console form that carries files posts to a path ending in /upload (multipart); the rest take 64 KB. */
export const isConsoleUploadPath = (path: string) => /^\/console\/.+\/upload$/.test(path)

interface RouteLimit {
  matches(path: string): boolean
  maxSize: number
  /** The route's own code and message, where it has them. */
  code?: string
  message?: string
}

/** The routes that take more (uploads, imports) or less (the open sandbox) than the default. */
function limitsFor(config: Pick<Config, 'attachmentMaxBytes'>): RouteLimit[] {
  return [
    {
      matches: (path) => path === '/api/v1/attachments',
      maxSize: config.attachmentMaxBytes,
      code: 'attachments.too_large',
      message: attachmentTooLarge(config.attachmentMaxBytes).message,
    },
    {
      matches: (path) => /^\/api\/v1\/xiaoqu\/[^/]+\/households\.csv$/.test(path),
      maxSize: householdsCsvBodyLimit,
      code: 'households.too_large',
      message: `CSV 文件不能超过 ${formatBytes(householdsCsvBodyLimit)}，请分批导入。`,
    },
    { matches: (path) => path === '/sandbox/api/say', maxSize: sandboxSayBodyLimit },
    {
      // The console's file forms (attachments, imports): each use case then checks its own ceiling.
      matches: isConsoleUploadPath,
      maxSize: Math.max(config.attachmentMaxBytes, householdsCsvBodyLimit),
      code: 'console.too_large',
      message: `文件过大（上限 ${formatBytes(Math.max(config.attachmentMaxBytes, householdsCsvBodyLimit))}），请压缩或分批上传。`,
    },
  ]
}

const tooLarge = (limit: Omit<RouteLimit, 'matches'>) => (c: Context) =>
  c.json(
    errorBody(
      limit.code ?? 'http.413',
      limit.message ?? `请求体过大（上限 ${formatBytes(limit.maxSize)}）。`,
      { maxBytes: limit.maxSize },
    ),
    413,
  )

/**
 * Every request body has a ceiling, checked while it streams in: a declared Content-Length over it is
 * refused before a byte is read, a chunked body as soon as it passes it. 1 MB unless the route needs
 * another; a route may keep a lower limit of its own with its own message (the console's 64 KB).
 *
 * A declared length is checked here from the header alone. Hono's `bodyLimit` first asks `c.req.raw.body`
 * whether there is a body, and on @hono/node-server that builds the whole web Request (an AbortController
 * and a stream over the socket), which turns off the server's fast path (reading the body straight from the
 * socket) for every request, GET included. Only a chunked body goes through its streaming check.
 */
export function bodyLimits(config: Pick<Config, 'attachmentMaxBytes'>): MiddlewareHandler {
  const fallbackLimit: RouteLimit = { matches: () => true, maxSize: defaultBodyLimit }
  const byRoute = [...limitsFor(config), fallbackLimit].map((l) => {
    const onError = tooLarge(l)
    return { ...l, onError, limit: bodyLimit({ maxSize: l.maxSize, onError }) }
  })
  return async (c, next) => {
    const method = c.req.method
    if (method === 'GET' || method === 'HEAD') return next()
    const path = c.req.path
    const route = byRoute.find((r) => r.matches(path))!
    const declared = c.req.header('content-length')
    if (declared !== undefined && c.req.header('transfer-encoding') === undefined) {
      return Number.parseInt(declared, 10) > route.maxSize ? route.onError(c) : next()
    }
    return route.limit(c, next)
  }
}
