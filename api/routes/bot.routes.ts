import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import QRCode from 'qrcode'
import type { Bot, BotStatus } from '../../bot/bot'
import { assertRole } from '../../core/shared/actor'
import { AppError } from '../../core/shared/errors'
import type { ApiEnv } from '../auth'
import { errorResponses } from '../errors'

const tags = ['机器人 bot']
const security = [{ Bearer: [] }]

const BotStatusSchema = z
  .object({
    puppet: z.string(),
    state: z.enum(['waiting_lease', 'connecting', 'scan', 'online', 'offline', 'stopped']),
    since: z.string().openapi({ description: 'When the current state began' }),
    detail: z.string().optional().openapi({ description: 'Why, when not online' }),
    loggedIn: z.boolean(),
    self: z.object({ id: z.string(), name: z.string() }).optional(),
    qr: z
      .object({ value: z.string(), imageUrl: z.string(), status: z.string() })
      .optional()
      .openapi({ description: 'Admins only, while a login QR code waits to be scanned' }),
  })
  .nullable()
  .openapi('BotStatus')

const getStatus = createRoute({
  method: 'get',
  path: '/bot',
  tags,
  security,
  summary:
    "The bot's connection: online, connecting (gateway down), offline (logged out), waiting for a scan",
  responses: {
    200: {
      description: 'The status; null when this process runs no bot',
      content: { 'application/json': { schema: BotStatusSchema } },
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

/** Why there is no QR code to show, in words for the admin looking for one. */
export function noQrReason(status: BotStatus | undefined) {
  if (!status || status.puppet === 'sandbox') return '沙盒模式使用模拟微信，不需要扫码登录。'
  switch (status.state) {
    case 'online':
      return `机器人已登录（${status.self?.name ?? ''}），不需要扫码。`
    case 'connecting':
      return `机器人尚未连上微信网关${status.detail ? `（${status.detail}）` : ''}，连上后如需扫码会在这里显示。`
    case 'waiting_lease':
      return `该账号正由另一进程使用${status.detail ? `（${status.detail}）` : ''}，请到那一进程扫码。`
    case 'offline':
      return '机器人已退出登录，正在等待新的登录二维码，请稍后刷新。'
    default:
      return '机器人已停止。'
  }
}

export function registerBotRoutes(app: OpenAPIHono<ApiEnv>, bot: Pick<Bot, 'status'> | undefined) {
  app.openapi(getStatus, (c) => {
    const status = bot?.status()
    if (!status) return c.json(null, 200)
    return c.json(c.get('staff').role === 'admin' ? status : { ...status, qr: undefined }, 200)
  })
  app.openapi(getQr, async (c) => {
    assertRole(c.get('staff'), [])
    const status = bot?.status()
    if (!status?.qr)
      throw new AppError('bot.no_qr', 404, noQrReason(status), { state: status?.state ?? null })
    const svg = await QRCode.toString(status.qr.value, { type: 'svg', margin: 2 })
    return c.body(svg, 200, { 'content-type': 'image/svg+xml' })
  })
}
