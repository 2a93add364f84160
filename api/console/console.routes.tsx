import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { secureHeaders } from 'hono/secure-headers'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { BotStatus } from '../../bot/bot'
import { currentStatuses, reportedStatuses } from '../../core/accounts/bot-health'
import type { Deps } from '../../core/shared/deps'
import { retryAfterSeconds } from '../../core/shared/rate-limit'
import { missingNoticeYears } from '../../core/sla/calendar'
import { authenticate } from '../../core/staff/staff.usecases'
import { isConsoleUploadPath } from '../body-limits'
import { createErrorHandler } from '../errors'
import { tokenAttempts, tooManyAttemptsMessage } from '../guard'
import { statusFromReported } from '../routes/bot.routes'
import { registerAuditPages } from './audit.routes'
import { type ConsoleBot, registerBotPages } from './bot.page'
import { bannerOf } from './bot-banner'
import { registerCalendarPages } from './calendar.routes'
import { registerConsentPages } from './consent.routes'
import { registerDashboardPages } from './dashboard.routes'
import { registerDataPages } from './data.routes'
import { registerGroupPages } from './groups.routes'
import { type C, type Ctx, noticeReader, render, viewerOf } from './kit'
import { Layout } from './layout'
import { BarePage, LoginPage, LogoutPage } from './login.page'
import { registerNoticePages } from './notices.routes'
import { registerPeoplePages } from './people.routes'
import { registerProjectPages } from './projects.routes'
import { registerRequestPages } from './requests.routes'
import { registerRoutingPages } from './routing.routes'
import {
  type ConsoleEnv,
  consolePath,
  csrfTokenFor,
  csrfValid,
  endSession,
  ensureNonce,
  requireConsoleStaff,
  safeNext,
  startSession,
} from './session'
import { registerSettingsPages } from './settings.routes'
import { registerTaskPages } from './tasks.routes'

const noticeOf = noticeReader({
  logged_out: '您已退出登录。',
})

/** How long a banner read from bot_status is reused: it is read for every page. */
const bannerCacheMs = 5_000

/**
 * The bot status every page's banner reflects: this process's bot's accounts when it runs one, else every
 * enabled account as its bot process reported it (bot_status), read at most every few seconds.
 */
function botBannerSource(deps: Deps, bot: ConsoleBot | undefined) {
  if (bot) return async () => bannerOf(bot.accounts?.() ?? [bot.status()])
  let cached: { at: number; value: BotStatus | undefined } | undefined
  return async (): Promise<BotStatus | undefined> => {
    if (cached && Date.now() - cached.at < bannerCacheMs) return cached.value
    try {
      const rows = currentStatuses(await reportedStatuses(deps.db, deps.config.bot.leaseMs))
      const labels = new Map(rows.map((r) => [r.account, r.label]))
      const value = bannerOf(
        rows.map((r) => statusFromReported(r, deps.config.puppet)),
        (s) => labels.get(s.account) ?? s.account,
      )
      cached = { at: Date.now(), value }
      return value
    } catch (error) {
      // The banner is a hint: a page whose database is away fails on its own, not here.
      deps.log.warn('could not read the bot status for the banner', { err: error })
      return cached?.value
    }
  }
}

/** The officers' web console (DESIGN §6): server-rendered pages under /console, no client script. */
export function createConsoleRoutes(deps: Deps, options: { bot?: ConsoleBot } = {}) {
  const { db } = deps
  const app = new Hono<ConsoleEnv>()
  const jsonErrors = createErrorHandler(deps.log)

  const mutate = async <T,>(work: (ctx: Ctx) => Promise<T>) => {
    const result = await db.transaction((tx) => work({ ...deps, db: tx }))
    deps.outboxSignal.notify()
    return result
  }

  /** Any error as a page: the AppError's Chinese message and status, never a stack trace. */
  const errorPage = async (c: C, status: ContentfulStatusCode, message: string) => {
    const title =
      status === 403
        ? '无权访问'
        : status === 404
          ? '未找到'
          : status === 503
            ? '暂时无法使用'
            : status >= 500
              ? '出错了'
              : '无法完成'
    const staff = c.get('staff')
    if (!staff) return render(c, <BarePage title={title} message={message} />, status)
    return render(
      c,
      <Layout title={title} viewer={viewerOf(c)} active="none" error={message}>
        <h1>{title}</h1>
        <p>
          <a href={consolePath}>返回收件箱</a>
        </p>
      </Layout>,
      status,
    )
  }

  app.onError(async (error, c) => {
    // The API's handler maps every error (AppError, HTTP, database refusals) and logs the unknown ones.
    const answer = await jsonErrors(error, c)
    const body = (await answer.json()) as { error: { message: string } }
    return errorPage(c as C, answer.status as ContentfulStatusCode, body.error.message)
  })

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: ["'unsafe-inline'"],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      xFrameOptions: 'DENY',
      referrerPolicy: 'same-origin',
      // HSTS is the deployment's (its reverse proxy's) to decide, for the whole host, not one path's.
      strictTransportSecurity: false,
    }),
  )
  app.use('*', async (c, next) => {
    await next()
    // Pages carry residents' details: never kept by the browser or a proxy.
    c.header('Cache-Control', 'no-store')
  })
  const formLimit = bodyLimit({
    maxSize: 64 * 1024,
    onError: (c) => errorPage(c as C, 413, '提交的内容过长。'),
  })
  // File forms (…/upload) are bounded by api/body-limits.ts and by their use case's own ceiling.
  app.use('*', (c, next) => (isConsoleUploadPath(c.req.path) ? next() : formLimit(c, next)))

  const csrfRefused = (c: C) =>
    render(
      c,
      <BarePage title="页面已过期" message="页面已过期或来源不明，操作没有执行。请返回刷新页面后重试。" />,
      403,
    )

  // ------------------------------------------------------------------------------------------------------
  // Login and logout

  const loginPage = (
    c: C,
    options: { next?: string; error?: string; notice?: string; status?: ContentfulStatusCode } = {},
  ) =>
    render(
      c,
      <LoginPage
        csrf={csrfTokenFor(ensureNonce(c))}
        next={safeNext(options.next)}
        error={options.error}
        notice={options.notice}
      />,
      options.status ?? 200,
    )

  app.get('/login', (c) => loginPage(c, { next: c.req.query('next'), notice: noticeOf(c) }))
  app.post('/login', async (c) => {
    const body = await c.req.parseBody()
    if (!(await csrfValid(c))) return csrfRefused(c)
    const next = typeof body.next === 'string' ? body.next : undefined
    const raw = typeof body.token === 'string' ? body.token.trim().replace(/^Bearer\s+/i, '') : ''
    if (!raw) return loginPage(c, { next, error: '请输入访问令牌。', status: 400 })
    // Wrong tokens count per address and token prefix, with the API's: past the limit, 429 for a while.
    const attempts = tokenAttempts(c, raw)
    const wait = attempts.blockedFor()
    if (wait > 0) {
      c.header('Retry-After', String(retryAfterSeconds(wait)))
      return loginPage(c, { next, error: tooManyAttemptsMessage(wait), status: 429 })
    }
    const staff = raw.length <= 200 ? await authenticate(db, raw) : undefined
    if (!staff) {
      attempts.failed()
      return loginPage(c, {
        next,
        error: '访问令牌无效或已停用，请核对后重试，或请管理员重新生成。',
        status: 401,
      })
    }
    startSession(c, raw)
    return c.redirect(safeNext(next), 303)
  })

  // Everything below needs a session; POSTs also a CSRF token.
  const guard = requireConsoleStaff(deps, csrfRefused)
  app.use('*', (c, next) => (c.req.path === `${consolePath}/login` ? next() : guard(c, next)))
  const bannerStatus = botBannerSource(deps, options.bot)
  app.use('*', async (c, next) => {
    c.set('bot', await bannerStatus())
    if (c.get('staff')?.role === 'admin')
      c.set('calendarMissing', missingNoticeYears(deps.calendar, deps.clock.now()))
    await next()
  })

  app.get('/logout', (c) => render(c, <LogoutPage csrf={c.get('csrf')} />))
  app.post('/logout', (c) => {
    endSession(c)
    return c.redirect(`${consolePath}/login?ok=logged_out`, 303)
  })

  registerRequestPages(app, { deps, mutate })
  registerTaskPages(app, { deps, mutate })
  registerProjectPages(app, { deps, mutate })
  registerDashboardPages(app, { deps, mutate })
  registerNoticePages(app, { deps, mutate })
  registerDataPages(app, { deps, mutate })
  registerPeoplePages(app, { deps, mutate })
  registerAuditPages(app, { deps, mutate })
  registerRoutingPages(app, { deps, mutate })
  registerCalendarPages(app, { deps, mutate })
  registerSettingsPages(app, { deps, mutate })
  // ------------------------------------------------------------------------------------------------------
  // Consent: 征询表决 and 房屋认证

  registerConsentPages(app, { deps, mutate })
  registerGroupPages(app, { deps, mutate })
  registerBotPages(app, { deps, mutate }, options.bot)

  // Anything else under /console.
  app.all('*', (c) =>
    c.req.path === `${consolePath}/` && c.req.method === 'GET'
      ? c.redirect(consolePath, 301)
      : errorPage(c, 404, `没有这个页面：${c.req.path}`),
  )

  return app
}
