import { createHash, timingSafeEqual } from 'node:crypto'
import { createMiddleware } from 'hono/factory'
import type { Config } from '../config'
import { errorBody } from './errors'
import { isLocalRequest, retryAfterHeader, tokenAttempts, tooManyAttemptsMessage } from './guard'

const digest = (text: string) => createHash('sha256').update(text).digest()

/**
 * Who may read /metrics. With METRICS_TOKEN: whoever sends `Authorization: Bearer <METRICS_TOKEN>`, from
 * anywhere (a wrong token counts as a failed token, like the API's). Without it: this machine only (a
 * Prometheus or an operator's curl on the host); everyone else is told how to get access.
 */
export function metricsAccess(config: Pick<Config, 'metricsToken' | 'trustProxy'>) {
  const expected = config.metricsToken ? digest(config.metricsToken) : undefined
  return createMiddleware(async (c, next) => {
    if (!expected) {
      if (isLocalRequest(c, config)) return next()
      return c.json(
        errorBody(
          'metrics.local_only',
          '监控指标仅限本机访问。如需从其他机器抓取，请设置 METRICS_TOKEN，并在请求头加上 Authorization: Bearer <METRICS_TOKEN>。',
        ),
        403,
      )
    }
    const token = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1]
    if (!token) {
      return c.json(
        errorBody(
          'metrics.token_missing',
          '读取监控指标需要令牌：请在请求头加上 Authorization: Bearer <METRICS_TOKEN>。',
        ),
        401,
      )
    }
    const attempts = tokenAttempts(c)
    const wait = attempts.blockedFor()
    if (wait > 0) {
      return c.json(errorBody('auth.rate_limited', tooManyAttemptsMessage(wait)), 429, retryAfterHeader(wait))
    }
    if (!timingSafeEqual(digest(token), expected)) {
      attempts.failed()
      return c.json(errorBody('metrics.token_invalid', '监控令牌不正确（应与 METRICS_TOKEN 一致）。'), 401)
    }
    await next()
  })
}
