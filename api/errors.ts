import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { locales, type ZodError, config as zodConfig } from 'zod'
import { isDatabaseUnavailable } from '../core/shared/db-errors'
import { isAppError } from '../core/shared/errors'
import type { Log } from '../core/shared/log'

// Zod's own messages (a missing field, a wrong type) in Chinese, like the ones our schemas name.
zodConfig(locales.zhCN())

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'requests.not_found' }),
      message: z.string().openapi({ example: '没有找到诉求 Q9999。' }),
      details: z.unknown().optional(),
      requestId: z
        .string()
        .optional()
        .openapi({ description: 'The X-Request-Id of the request: quote it when reporting a problem' }),
    }),
  })
  .openapi('Error')

const errorDescriptions = {
  400: '请求参数不合法',
  401: '未提供或无效的令牌',
  403: '超出权限或管辖范围',
  404: '对象不存在',
  409: '状态冲突',
  413: '请求体过大',
  429: '尝试次数过多，请稍后再试',
  503: '数据库暂时不可用，请稍后重试',
} as const

type ErrorStatus = keyof typeof errorDescriptions

/** The error responses a route lists in the OpenAPI document, all with the one envelope. */
export function errorResponses(...statuses: ErrorStatus[]) {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: errorDescriptions[s], content: { 'application/json': { schema: ErrorSchema } } },
    ]),
  ) as {
    [K in ErrorStatus]: {
      description: string
      content: { 'application/json': { schema: typeof ErrorSchema } }
    }
  }
}

export const errorBody = (code: string, message: string, details?: unknown) => ({
  error: details === undefined ? { code, message } : { code, message, details },
})

export function validationError(c: Context, error: ZodError) {
  const fields = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
  return c.json(
    errorBody(
      'validation',
      `参数不合法：${fields.map((f) => `${f.path || '(body)'} ${f.message}`).join('；')}`,
      { fields },
    ),
    400,
  )
}

/** Chinese messages for the HTTP errors Hono and its validators raise in English. */
const httpMessages: Partial<Record<number, string>> = {
  400: '请求格式不正确（请检查 JSON）。',
  413: '请求体过大。',
  415: '请求体须为 JSON：请加上请求头 Content-Type: application/json。',
}

/** The SQLSTATE of a database error, wherever the driver or drizzle put it. */
function sqlState(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code
  }
  return undefined
}

/** Input the database refuses is the caller's mistake: a 4xx, never a 500, and nothing is stored. */
const databaseRefusals: Record<string, { status: 400 | 404 | 409; code: string; message: string }> = {
  '22021': { status: 400, code: 'validation.nul', message: '内容里有无法保存的字符（NUL），请删去后重试。' },
  '22P05': { status: 400, code: 'validation.nul', message: '内容里有无法保存的字符（NUL），请删去后重试。' },
  '23503': {
    status: 404,
    code: 'reference.not_found',
    message: '引用的对象不存在（请检查编号，例如 organisationId、supervisorId）。',
  },
  '23505': { status: 409, code: 'conflict.duplicate', message: '已存在相同的记录。' },
  '22003': { status: 400, code: 'validation.out_of_range', message: '数值超出范围。' },
}

/** Every error leaves through here: known ones with their code, anything else as a bare 500. */
export function createErrorHandler(log: Log) {
  return (error: Error, c: Context) => {
    if (isAppError(error)) {
      return c.json(errorBody(error.code, error.message, error.details), error.status as ContentfulStatusCode)
    }
    if (error instanceof HTTPException) {
      const status = error.status as ContentfulStatusCode
      const message = httpMessages[status] ?? `请求失败（HTTP ${status}）。`
      return c.json(
        errorBody(`http.${status}`, message, error.message ? { reason: error.message } : undefined),
        status,
      )
    }
    const refusal = databaseRefusals[sqlState(error) ?? '']
    if (refusal) return c.json(errorBody(refusal.code, refusal.message), refusal.status)
    // An outage, not a bug: db/client.ts logs when it starts and ends, not once per request.
    if (isDatabaseUnavailable(error)) {
      c.header('Retry-After', '5')
      return c.json(errorBody('database.unavailable', '数据库暂时不可用，请稍后重试'), 503)
    }
    // The request's own log (its id on the line) when the app set one; a failed query's parameters are
    // left out of the line by the log itself.
    const requestLog = (c.get('log') as Log | undefined) ?? log
    requestLog.error('unhandled API error', { err: error, path: c.req.path })
    return c.json(errorBody('internal', '服务器内部错误，请稍后重试。'), 500)
  }
}
