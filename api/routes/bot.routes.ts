import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import QRCode from 'qrcode'
import type { BotStatus } from '../../bot/bot'
import {
  type AccountPuppet,
  accountPuppets,
  createBotAccount,
  deleteBotAccount,
  updateBotAccount,
} from '../../core/accounts/accounts.usecases'
import {
  type AccountOverview,
  accountsOverview,
  currentStatuses,
  type LiveStatus,
  type ReportedStatus,
  reportedStatuses,
  unreachableConversations,
} from '../../core/accounts/bot-health'
import { assertRole } from '../../core/shared/actor'
import type { Deps } from '../../core/shared/deps'
import { AppError } from '../../core/shared/errors'
import { formatShanghai } from '../../core/shared/time'
import type { DbOrTx } from '../../db/client'
import { type ApiEnv, staffActor } from '../auth'
import { errorResponses } from '../errors'

const tags = ['机器人 bot']
const security = [{ Bearer: [] }]
const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } })

/** Every state an account's connection can be in (bot/bot.ts BotState, as bot_status stores it). */
export const botStates = [
  'misconfigured',
  'waiting_lease',
  'connecting',
  'scan',
  'online',
  'offline',
  'stopped',
] as const
type AnyBotState = (typeof botStates)[number]

/** What the API and the console ask of the bot this process runs, if any. */
export interface BotView {
  status(): BotStatus
  /** Every account this process runs (several with BOT_ACCOUNTS); `status()` is the first one's. */
  accounts?(): BotStatus[]
}

const BotStatusSchema = z
  .object({
    account: z.string().optional().openapi({ description: 'The account (bot_accounts.name)' }),
    puppet: z.string(),
    state: z.enum(botStates),
    since: z.string().openapi({ description: 'When the current state began' }),
    detail: z.string().optional().openapi({ description: 'Why, when not online' }),
    loggedIn: z.boolean(),
    self: z.object({ id: z.string(), name: z.string() }).optional(),
    qr: z
      .object({ value: z.string(), imageUrl: z.string(), status: z.string() })
      .optional()
      .openapi({ description: 'Admins only, while a login QR code waits to be scanned' }),
    stale: z
      .boolean()
      .optional()
      .openapi({ description: 'Read from bot_status and no process has reported it for two lease periods' }),
  })
  .nullable()
  .openapi('BotStatus')

const getStatus = createRoute({
  method: 'get',
  path: '/bot',
  tags,
  security,
  summary:
    "The bot's connection: online, connecting (gateway down), offline (logged out), waiting for a scan, misconfigured",
  description:
    'The first account this process runs; in a process that runs no bot (ROLE=api), the first account as its bot process last reported it (bot_status).',
  responses: {
    200: {
      description: 'The status; null when no process has ever reported one',
      ...json(BotStatusSchema),
    },
    ...errorResponses(401),
  },
})

const getQr = createRoute({
  method: 'get',
  path: '/bot/qr.svg',
  tags,
  security,
  summary: 'The login QR code to scan with the bot account (admins only: whoever scans it owns the session)',
  responses: {
    200: { description: 'An SVG image', content: { 'image/svg+xml': { schema: z.string() } } },
    ...errorResponses(401, 403, 404),
  },
})

const Instant = z.string().openapi({ example: '2026-03-02T02:00:00.000Z' })
const Counts = z.object({ groups: z.number().int(), conversations: z.number().int() })

const AccountSchema = z
  .object({
    name: z.string().openapi({ example: 'dongcheng-1' }),
    label: z.string().openapi({ example: '东城一号' }),
    registered: z
      .boolean()
      .openapi({ description: 'false: known only from the environment (BOT_ACCOUNT), not in bot_accounts' }),
    puppet: z.string().nullable(),
    endpoint: z.string().nullable(),
    tokenEnv: z
      .string()
      .nullable()
      .openapi({ description: "The environment variable (in the bot's process) holding the token" }),
    enabled: z.boolean(),
    lease: z
      .object({ holder: z.string(), expiresAt: Instant, expired: z.boolean() })
      .nullable()
      .openapi({ description: 'The process running the account, and until when its lease holds' }),
    status: z
      .object({
        state: z.string().openapi({ description: `One of ${botStates.join(', ')}` }),
        since: Instant,
        detail: z.string().nullable(),
        selfId: z.string().nullable(),
        selfName: z.string().nullable(),
        holder: z.string(),
        reportedAt: Instant,
        stale: z.boolean().openapi({ description: 'No process has reported for two lease periods' }),
      })
      .nullable()
      .openapi({ description: 'As its bot process last reported it (bot_status); null: never reported' }),
    up: z.boolean().openapi({ description: 'Online, and reported recently' }),
    credentials: z.enum(['ok', 'missing', 'unknown', 'none']).openapi({
      description:
        'The token variable in the bot process: ok (running with it), missing (the bot reports it unset), unknown (no recent report), none (the account names no variable)',
    }),
    qr: z
      .object({ value: z.string(), imageUrl: z.string() })
      .optional()
      .openapi({ description: 'Admins only, while the account waits for a scan' }),
    reach: Counts.openapi({ description: 'Groups (and all conversations) the account is in' }),
    routed: Counts.openapi({ description: 'Groups (and all conversations) it speaks in now' }),
    pending: z.number().int().openapi({ description: 'Messages waiting for it (pending or being sent)' }),
  })
  .openapi('BotAccount')

const UnreachableSchema = z
  .object({
    total: z.number().int(),
    items: z.array(
      z.object({
        conversationId: z.string(),
        isRoom: z.boolean(),
        topic: z.string().nullable(),
        pending: z.number().int(),
        oldest: Instant,
      }),
    ),
  })
  .openapi('UnreachableConversations', {
    description: 'Conversations with pending messages that no enabled account is in (the first 100)',
  })

const puppetChoice = z
  .enum(accountPuppets as unknown as [AccountPuppet, ...AccountPuppet[]], {
    error: `接入方式应为以下之一：${accountPuppets.join('、')}。`,
  })
  .openapi({ example: 'wechaty-puppet-service' })
// Loose here (any text) so the use case answers a pasted token with its own message, not a pattern.
const tokenEnvField = z
  .string({ error: '令牌环境变量应为变量名，如 GAIZAO_ACCOUNT_A_TOKEN。' })
  .max(4096)
  .nullable()
  .openapi({
    example: 'GAIZAO_ACCOUNT_A_TOKEN',
    description:
      "The NAME of the environment variable holding the puppet token in the bot's process (^[A-Z_][A-Z0-9_]{0,63}$), never the token",
  })
const endpointField = z
  .string({ error: '网关地址应为文字，如 gateway.example.cn:8788。' })
  .max(200, { error: '网关地址最长 200 个字符。' })
  .nullable()
  .openapi({
    example: 'gateway.example.cn:8788',
    description: "The gateway's address; null: the puppet's default",
  })
const labelField = z
  .string({ error: '请填写账号名称，如「东城一号」。' })
  .max(100)
  .openapi({ example: '东城一号' })
const enabledField = z.boolean({ error: '是否启用应为 true 或 false。' })

const NewAccountSchema = z
  .object({
    name: z
      .string({ error: '请填写账号标识，如 dongcheng-1。' })
      .max(100)
      .openapi({ example: 'dongcheng-1', description: 'Letters, digits, _ . - (at most 64); cannot change' }),
    label: labelField,
    puppet: puppetChoice,
    endpoint: endpointField.optional(),
    tokenEnv: tokenEnvField.optional(),
    enabled: enabledField.optional(),
  })
  .openapi('NewBotAccount')

const AccountPatchSchema = z
  .object({
    label: labelField.optional(),
    puppet: puppetChoice.optional(),
    endpoint: endpointField.optional(),
    tokenEnv: tokenEnvField.optional(),
    enabled: enabledField.optional().openapi({ description: 'false: not run, nothing routed to it' }),
  })
  .openapi('BotAccountPatch')

const AccountRowSchema = z
  .object({
    name: z.string(),
    label: z.string(),
    puppet: z.string(),
    endpoint: z.string().nullable(),
    tokenEnv: z.string().nullable(),
    enabled: z.boolean(),
    createdAt: Instant,
    updatedAt: Instant,
  })
  .openapi('BotAccountRow')

const NameParam = z.object({
  name: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'name', in: 'path' }, example: 'dongcheng-1' }),
})

const accountRoutes = {
  list: createRoute({
    method: 'get',
    path: '/bot/accounts',
    tags,
    security,
    summary:
      'Every bot account: its process, reported state, token variable, groups it reaches and speaks in, messages waiting; and the groups no account reaches, within the caller’s scope (officers, admins)',
    responses: {
      200: {
        description: 'The accounts by name, and the unreachable conversations',
        ...json(z.object({ items: z.array(AccountSchema), unreachable: UnreachableSchema })),
      },
      ...errorResponses(401, 403),
    },
  }),
  create: createRoute({
    method: 'post',
    path: '/bot/accounts',
    tags,
    security,
    summary: 'Add a bot account; its token stays in an environment variable named here (admins, audited)',
    request: { body: { required: true, ...json(NewAccountSchema) } },
    responses: {
      201: { description: 'Created', ...json(AccountRowSchema) },
      ...errorResponses(400, 401, 403, 409),
    },
  }),
  update: createRoute({
    method: 'patch',
    path: '/bot/accounts/{name}',
    tags,
    security,
    summary: "Change an account's label, puppet, endpoint, token variable, or disable it (admins, audited)",
    request: { params: NameParam, body: { required: true, ...json(AccountPatchSchema) } },
    responses: {
      200: { description: 'Changed', ...json(AccountRowSchema) },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  remove: createRoute({
    method: 'delete',
    path: '/bot/accounts/{name}',
    tags,
    security,
    summary:
      'Delete an account that has no conversations routed to it and sent no message (otherwise 409: disable it) (admins, audited)',
    request: { params: NameParam },
    responses: {
      200: { description: 'Deleted', ...json(z.object({ deleted: z.string() })) },
      ...errorResponses(401, 403, 404, 409),
    },
  }),
  qr: createRoute({
    method: 'get',
    path: '/bot/accounts/{name}/qr.svg',
    tags,
    security,
    summary: "An account's login QR code while it waits for a scan (admins only)",
    request: { params: NameParam },
    responses: {
      200: { description: 'An SVG image', content: { 'image/svg+xml': { schema: z.string() } } },
      ...errorResponses(401, 403, 404),
    },
  }),
}

/** Why there is no QR code to show, in words for the admin looking for one. */
export function noQrReason(status: BotStatus | undefined) {
  if (status?.state === 'misconfigured') {
    return `机器人账号配置不完整${status.detail ? `（${status.detail}）` : ''}：请在机器人进程中设置令牌环境变量，或在「机器人」页核对账号设置。`
  }
  if (!status || status.puppet === 'sandbox') return '沙盒模式使用模拟微信，不需要扫码登录。'
  switch (status.state as AnyBotState) {
    case 'online':
      return `机器人已登录（${status.self?.name ?? ''}），不需要扫码。`
    case 'connecting':
      return `机器人尚未连上微信网关${status.detail ? `（${status.detail}）` : ''}，连上后如需扫码会在这里显示。`
    case 'waiting_lease':
      return `该账号正由另一进程使用${status.detail ? `（${status.detail}）` : ''}，请到那一进程扫码。`
    case 'offline':
      return '机器人已退出登录，正在等待新的登录二维码，请稍后刷新。'
    default:
      return status.detail ? `机器人已停止（${status.detail}）。` : '机器人已停止。'
  }
}

const qrImagePath = (account: string) => `/api/v1/bot/accounts/${encodeURIComponent(account)}/qr.svg`

/**
 * A status from bot_status in the shape this process's own bot gives: one no process has reported for
 * two lease periods is `stopped`, "无进程报告", whatever it last said.
 */
export function statusFromReported(row: ReportedStatus, fallbackPuppet: string): BotStatus {
  const stale = row.stale
  const status = {
    account: row.account,
    puppet: row.puppet ?? fallbackPuppet,
    state: (stale ? 'stopped' : row.state) as BotStatus['state'],
    since: (stale ? row.reportedAt : row.since).toISOString(),
    detail: stale ? `无进程报告（最后报告于 ${formatShanghai(row.reportedAt)}）` : (row.detail ?? undefined),
    loggedIn: !stale && row.state === 'online',
    self: row.selfId && row.selfName ? { id: row.selfId, name: row.selfName } : undefined,
    qr:
      !stale && row.state === 'scan' && row.qr
        ? { value: row.qr, imageUrl: qrImagePath(row.account), status: '2' }
        : undefined,
    stale: stale || undefined,
  }
  return status as BotStatus
}

type StatusDeps = { db: DbOrTx; config: Deps['config'] }

/** The first account's status as its process reported it: BOT_ACCOUNTS' first, else the first by name. */
export async function firstReportedStatus(deps: StatusDeps): Promise<BotStatus | undefined> {
  const rows = currentStatuses(await reportedStatuses(deps.db, deps.config.bot.leaseMs))
  const { accounts } = deps.config.bot
  const preferred = Array.isArray(accounts) ? accounts[0] : undefined
  const row = rows.find((r) => r.account === preferred) ?? rows[0]
  return row ? statusFromReported(row, deps.config.puppet) : undefined
}

/** The statuses this process's own bot holds, by account. */
function ownStatuses(bot: BotView | undefined, defaultAccount: string) {
  const all = bot ? (bot.accounts?.() ?? [bot.status()]) : []
  return new Map(all.map((s) => [(s as { account?: string }).account ?? defaultAccount, s]))
}

/** The statuses this process's own bot holds, fresher than the table. */
export function liveStatuses(bot: BotView | undefined, defaultAccount: string): LiveStatus[] {
  return [...ownStatuses(bot, defaultAccount)].map(([account, s]) => ({
    account,
    puppet: s.puppet,
    state: s.state,
    since: new Date(s.since),
    detail: s.detail,
    qr: s.qr?.value,
    selfId: s.self?.id,
    selfName: s.self?.name,
  }))
}

const toAccountDto = (o: AccountOverview, admin: boolean) => ({
  name: o.name,
  label: o.label,
  registered: o.registered,
  puppet: o.puppet,
  endpoint: o.endpoint,
  tokenEnv: o.tokenEnv,
  enabled: o.enabled,
  lease: o.lease
    ? { holder: o.lease.holder, expiresAt: o.lease.expiresAt.toISOString(), expired: o.lease.expired }
    : null,
  status: o.status
    ? {
        state: o.status.state,
        since: o.status.since.toISOString(),
        detail: o.status.detail,
        selfId: o.status.selfId,
        selfName: o.status.selfName,
        holder: o.status.holder,
        reportedAt: o.status.reportedAt.toISOString(),
        stale: o.status.stale,
      }
    : null,
  up: o.up,
  credentials: o.credentials,
  // Whoever scans the QR owns the account's session: admins only.
  qr: admin && o.qr ? { value: o.qr, imageUrl: qrImagePath(o.name) } : undefined,
  reach: o.reach,
  routed: o.routed,
  pending: o.pending,
})

const toRowDto = (row: Awaited<ReturnType<typeof createBotAccount>>) => ({
  name: row.name,
  label: row.label,
  puppet: row.puppet,
  endpoint: row.endpoint,
  tokenEnv: row.tokenEnv,
  enabled: row.enabled,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
})

const svgOf = (value: string) => QRCode.toString(value, { type: 'svg', margin: 2 })

/**
 * 机器人: the connection of this process's bot (or, in a process without one, as reported in bot_status),
 * every account's overview, and the accounts' management (admins).
 */
export function registerBotRoutes(app: OpenAPIHono<ApiEnv>, deps: Deps, bot: BotView | undefined) {
  const { db, clock, config } = deps
  const currentStatus = async () => bot?.status() ?? (await firstReportedStatus(deps))
  const overviewOf = (options: { admin: boolean }) =>
    accountsOverview(db, {
      leaseMs: config.bot.leaseMs,
      live: liveStatuses(bot, config.bot.account),
      now: clock.now(),
    }).then((rows) => rows.map((o) => toAccountDto(o, options.admin)))

  app.openapi(getStatus, async (c) => {
    const status = await currentStatus()
    if (!status) return c.json(null, 200)
    return c.json(c.get('staff').role === 'admin' ? status : { ...status, qr: undefined }, 200)
  })
  app.openapi(getQr, async (c) => {
    assertRole(c.get('staff'), [])
    const status = await currentStatus()
    if (!status?.qr)
      throw new AppError('bot.no_qr', 404, noQrReason(status), { state: status?.state ?? null })
    return c.body(await svgOf(status.qr.value), 200, { 'content-type': 'image/svg+xml' })
  })

  app.openapi(accountRoutes.list, async (c) => {
    const staff = c.get('staff')
    assertRole(staff, ['officer'])
    const [items, unreachable] = await Promise.all([
      overviewOf({ admin: staff.role === 'admin' }),
      unreachableConversations(db, { scopePath: staff.scopePath }),
    ])
    return c.json(
      {
        items,
        unreachable: {
          total: unreachable.total,
          items: unreachable.items.map((u) => ({ ...u, oldest: u.oldest.toISOString() })),
        },
      },
      200,
    )
  })
  app.openapi(accountRoutes.create, async (c) => {
    const row = await db.transaction((tx) =>
      createBotAccount({ db: tx, clock }, staffActor(c.get('staff')), c.req.valid('json')),
    )
    return c.json(toRowDto(row), 201)
  })
  app.openapi(accountRoutes.update, async (c) => {
    const { name } = c.req.valid('param')
    const row = await db.transaction((tx) =>
      updateBotAccount({ db: tx, clock }, staffActor(c.get('staff')), name, c.req.valid('json')),
    )
    return c.json(toRowDto(row), 200)
  })
  app.openapi(accountRoutes.remove, async (c) => {
    const { name } = c.req.valid('param')
    await db.transaction((tx) => deleteBotAccount({ db: tx, clock }, staffActor(c.get('staff')), name))
    return c.json({ deleted: name }, 200)
  })
  app.openapi(accountRoutes.qr, async (c) => {
    assertRole(c.get('staff'), [])
    const { name } = c.req.valid('param')
    const reported = async () => {
      const row = (await reportedStatuses(db, config.bot.leaseMs)).find((r) => r.account === name)
      return row ? statusFromReported(row, config.puppet) : undefined
    }
    const status = ownStatuses(bot, config.bot.account).get(name) ?? (await reported())
    if (!status) {
      throw new AppError(
        'bot.no_status',
        404,
        `账号 ${name.slice(0, 64)} 还没有进程报告状态：请确认有机器人进程运行它。`,
      )
    }
    if (!status.qr) throw new AppError('bot.no_qr', 404, noQrReason(status), { state: status.state })
    return c.body(await svgOf(status.qr.value), 200, { 'content-type': 'image/svg+xml' })
  })
}
