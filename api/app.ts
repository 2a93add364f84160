import { OpenAPIHono } from '@hono/zod-openapi'
import { secureHeaders } from 'hono/secure-headers'
import type { Bot } from '../bot/bot'
import type { SandboxWorld } from '../bot/sandbox/sandbox-world'
import type { Config } from '../config'
import type { Deps } from '../core/shared/deps'
import { type ApiEnv, requireStaff } from './auth'
import { bodyLimits } from './body-limits'
import { createConsoleRoutes } from './console/console.routes'
import { createDocsRoutes } from './docs'
import { createErrorHandler, errorBody, errorResponses, validationError } from './errors'
import { createGuards, type Guards, provideGuards } from './guard'
import { wellFormedJson } from './json-body'
import { createMetricsRoutes } from './metrics'
import { metricsAccess } from './metrics-access'
import { accessLog, assignRequestId, requestIdInErrors } from './observability'
import { registerAdminRoutes } from './routes/admin.routes'
import { registerAttachmentRoutes } from './routes/attachments.routes'
import { registerBotRoutes } from './routes/bot.routes'
import { registerConsentRoutes } from './routes/consent.routes'
import { registerExportRoutes } from './routes/exports.routes'
import { registerGroupRoutes } from './routes/groups.routes'
import { registerNoticeRoutes } from './routes/notices.routes'
import { registerOutboxRoutes } from './routes/outbox.routes'
import { registerProjectRoutes } from './routes/projects.routes'
import { registerPublicityRoutes } from './routes/publicities.routes'
import { registerRequestRoutes } from './routes/requests.routes'
import { registerRoutingRoutes } from './routes/routing.routes'
import { registerScheduleRoutes } from './routes/schedules.routes'
import { registerStatsRoutes } from './routes/stats.routes'
import { createSandboxRoutes } from './sandbox/sandbox.routes'

export interface ApiOptions {
  /** Absent in API-only tests and in ROLE=api; /readyz then reports the bot as not required. */
  bot?: Pick<Bot, 'status'> & Partial<Pick<Bot, 'accounts' | 'inboundSpool'>>
  sandbox?: SandboxWorld
  /** The failed-token and sandbox limits; a test passes its own to move their clock. */
  guards?: Guards
}

export interface HealthOptions {
  /** The bot this process runs (ROLE=bot): /readyz waits for it; absent for ROLE=jobs. */
  bot?: ApiOptions['bot']
  guards?: Guards
}

/** For everything that sets no policy of its own: JSON, redirects, errors. Loads nothing, framed nowhere. */
const apiSecureHeaders: Parameters<typeof secureHeaders>[0] = {
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
  xFrameOptions: 'DENY',
  referrerPolicy: 'same-origin',
  // HSTS is the deployment's (its reverse proxy's) to decide, for the whole host.
  strictTransportSecurity: false,
  // The console, the docs and the sandbox set their own: theirs stand.
  overwrite: false,
}

const defaultHook = (
  result: { success: boolean; error?: unknown },
  c: Parameters<typeof validationError>[0],
) => {
  if (!result.success) return validationError(c, result.error as never)
}

/** The bare app every role starts from: errors, 404s, and the middleware that must run before any route. */
function baseApp(deps: Deps) {
  const app = new OpenAPIHono({ defaultHook })
  app.onError(createErrorHandler(deps.log))
  app.notFound((c) => c.json(errorBody('not_found', `没有这个地址：${c.req.method} ${c.req.path}`), 404))
  return app
}

/**
 * /healthz (the process answers), /readyz (it can do its work: the database answers and, where this process
 * runs the bot, the bot is logged in) and /metrics, for every role.
 */
function registerHealthRoutes(
  app: OpenAPIHono,
  deps: Deps,
  options: { bot?: ApiOptions['bot']; role: Config['role'] },
) {
  app.get('/healthz', (c) => c.json({ ok: true }))
  app.get('/readyz', async (c) => {
    // Bounded whatever the driver: a frozen database must make this answer 503 quickly, not hang.
    let timer: NodeJS.Timeout | undefined
    const database = await Promise.race([
      deps.database.ping().then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), 1_500)
      }),
    ]).finally(() => clearTimeout(timer))
    // ROLE=api and ROLE=jobs need the database only: the bot is another process's (and its own /readyz's).
    const status = options.role === 'api' || options.role === 'jobs' ? undefined : options.bot?.status()
    const ready = database && (status ? status.loggedIn : true)
    // Never the login QR here: whoever scans it first owns the bot's session.
    const bot = status
      ? { puppet: status.puppet, state: status.state, since: status.since, loggedIn: status.loggedIn }
      : null
    return c.json({ ready, role: options.role, database, bot }, ready ? 200 : 503)
  })

  app.use('/metrics', metricsAccess(deps.config))
  app.use('/metrics/*', metricsAccess(deps.config))
  app.route('/metrics', createMetricsRoutes(deps, options.bot))
}

/**
 * What a process without the API serves (ROLE=bot, ROLE=jobs): health, readiness and metrics on PORT, for
 * its supervisor and Prometheus; everything else is 404, so no one mistakes it for an API replica.
 */
export function createHealthApi(deps: Deps, options: HealthOptions = {}) {
  const app = baseApp(deps)
  app.use('*', assignRequestId())
  app.use('*', accessLog(deps.log))
  app.use('*', requestIdInErrors())
  app.use('*', secureHeaders(apiSecureHeaders))
  app.use('*', provideGuards(options.guards ?? createGuards(), deps.config))
  registerHealthRoutes(app, deps, { bot: options.bot, role: deps.config.role })
  return app
}

export function createApi(deps: Deps, options: ApiOptions = {}) {
  const onError = createErrorHandler(deps.log)
  const app = baseApp(deps)

  // Before any route, in this order: the request's id, its access log line, the security headers every
  // answer carries (pages set their own CSP; this strict one covers JSON and the rest), the body ceiling.
  app.use('*', assignRequestId())
  app.use('*', accessLog(deps.log))
  app.use('*', requestIdInErrors())
  app.use('*', secureHeaders(apiSecureHeaders))
  app.use('*', bodyLimits(deps.config))
  app.use('/api/*', wellFormedJson())
  app.use('/sandbox/*', wellFormedJson())
  app.use('*', provideGuards(options.guards ?? createGuards(), deps.config))

  app.get('/', (c) => c.redirect(options.sandbox ? '/sandbox' : '/api/docs'))
  registerHealthRoutes(app, deps, { bot: options.bot, role: deps.config.role })

  const v1 = new OpenAPIHono<ApiEnv>({ defaultHook })
  v1.onError(onError)
  v1.use('*', requireStaff(deps))
  registerRequestRoutes(v1, deps)
  registerAdminRoutes(v1, deps)
  registerOutboxRoutes(v1, deps)
  registerNoticeRoutes(v1, deps)
  registerPublicityRoutes(v1, deps)
  registerScheduleRoutes(v1, deps)
  registerAttachmentRoutes(v1, deps)
  registerProjectRoutes(v1, deps)
  registerConsentRoutes(v1, deps)
  registerExportRoutes(v1, deps)
  registerStatsRoutes(v1, deps)
  registerGroupRoutes(v1, deps)
  registerRoutingRoutes(v1, deps)
  registerBotRoutes(v1, deps, options.bot)
  app.route('/api/v1', v1)
  documentCommonErrors(app)

  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', { type: 'http', scheme: 'bearer' })
  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: '改造助手 Gaizao API',
      version: '1.0.0',
      description: '老旧小区综合整治协同：诉求、工作人员、小区与群。',
    },
    servers: [{ url: '/' }],
  })
  app.route('/api/docs', createDocsRoutes('/api/openapi.json'))
  app.route('/console', createConsoleRoutes(deps, { bot: options.bot }))
  if (options.sandbox) app.route('/sandbox', createSandboxRoutes(deps, options.sandbox))
  return app
}

export type Api = ReturnType<typeof createApi>

/**
 * What any call under /api/v1 may meet whatever its route, in the OpenAPI document: 429 (throttled), 503 (the
 * database away) and, for a call with a body, 413. A route's own description of these stands.
 */
function documentCommonErrors(app: OpenAPIHono) {
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== 'route' || !definition.route.path.startsWith('/api/v1/')) continue
    const { route } = definition
    const common = route.method === 'get' ? errorResponses(429, 503) : errorResponses(413, 429, 503)
    route.responses = { ...common, ...route.responses }
  }
}
