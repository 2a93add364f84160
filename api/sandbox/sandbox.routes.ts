import { createHash } from 'node:crypto'
import { eq, inArray } from 'drizzle-orm'
import { Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import { z } from 'zod'
import type { SandboxWorld } from '../../bot/sandbox/sandbox-world'
import type { Deps } from '../../core/shared/deps'
import { retryAfterSeconds } from '../../core/shared/rate-limit'
import { chatGroups, staff, xiaoqu } from '../../db/schema'
import { errorBody, validationError } from '../errors'
import { type Guards, inProcess, retryAfterHeader } from '../guard'
import { sandboxPage } from './sandbox.page'

const SayBody = z
  .object({
    room: z.string().min(1).optional(),
    to: z.literal('bot').optional(),
    from: z.string().trim().min(1, '请填写发言人（id 或姓名）').max(30),
    text: z.string().min(1, '消息不能为空').max(4_000, '消息不能超过 4000 字'),
    mentionBot: z.boolean().default(false),
  })
  .refine((b) => Boolean(b.room) !== Boolean(b.to), {
    message: '请指定 room（群 id 或群名）或 "to": "bot"（私聊），二选一',
    path: ['room'],
  })

const TranscriptQuery = z
  .object({
    room: z.string().min(1).optional(),
    with: z.string().min(1).optional(),
    after: z.coerce.number().int().min(0).default(0),
  })
  .refine((q) => Boolean(q.room) !== Boolean(q.with), { message: '请指定 room 或 with 之一', path: ['room'] })

const inlineHash = (code: string) => `'sha256-${createHash('sha256').update(code, 'utf8').digest('base64')}'`

/**
 * The page's own inline script and style, allowed by their hashes (the page is built once, so they do not
 * change while it runs); everything else from this origin only, and no framing.
 */
export function sandboxContentSecurityPolicy(page: string) {
  const blocks = (tag: string) =>
    [...page.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => inlineHash(m[1]!))
  return {
    defaultSrc: ["'none'"],
    scriptSrc: blocks('script'),
    styleSrc: blocks('style'),
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  }
}

/** The sandbox's page and its JSON endpoints; tests drive the sandbox through these, so they stay stable. */
export function createSandboxRoutes(deps: Pick<Deps, 'db' | 'config'>, world: SandboxWorld) {
  const app = new Hono()
  const page = sandboxPage(world.botName)
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: sandboxContentSecurityPolicy(page),
      xFrameOptions: 'DENY',
      referrerPolicy: 'same-origin',
      strictTransportSecurity: false,
    }),
  )
  app.get('/', (c) => c.html(page))
  app.get('/api/state', async (c) => {
    const rooms = world.rooms()
    const groups = await deps.db
      .select({ roomId: chatGroups.roomId, kind: chatGroups.kind, xiaoquName: xiaoqu.name })
      .from(chatGroups)
      .leftJoin(xiaoqu, eq(xiaoqu.id, chatGroups.xiaoquId))
      .where(
        inArray(
          chatGroups.roomId,
          rooms.map((r) => r.id),
        ),
      )
    const contacts = world.contacts()
    const staffRows = await deps.db
      .select({ wechatId: staff.wechatId, role: staff.role })
      .from(staff)
      .where(
        inArray(
          staff.wechatId,
          contacts.map((p) => p.id),
        ),
      )
    const roleOf = new Map(staffRows.map((s) => [s.wechatId, s.role]))
    return c.json({
      rooms: rooms.map((r) => {
        const group = groups.find((g) => g.roomId === r.id)
        return { id: r.id, topic: r.topic, xiaoqu: group?.xiaoquName ?? null, kind: group?.kind ?? 'unbound' }
      }),
      contacts: contacts.map((p) => ({ id: p.id, name: p.name, role: roleOf.get(p.id) ?? 'resident' })),
      bot: { id: world.botId, name: world.botName },
    })
  })
  app.post('/api/say', async (c) => {
    // Open to anyone who can reach it: a client address may say so much a minute, and no more.
    const guards = c.get('guards') as Guards | undefined
    const allowed = guards ? guards.sandboxSay.attempt(c.get('clientIp') ?? inProcess) : { ok: true as const }
    if (!allowed.ok) {
      return c.json(
        errorBody(
          'sandbox.rate_limited',
          `消息发得太快了，请 ${retryAfterSeconds(allowed.retryAfterMs)} 秒后再试。`,
        ),
        429,
        retryAfterHeader(allowed.retryAfterMs),
      )
    }
    const raw = await c.req.json().catch(() => undefined)
    const parsed = SayBody.safeParse(raw)
    if (!parsed.success) return validationError(c, parsed.error)
    const body = parsed.data
    if (body.room && !world.findRoom(body.room)) {
      return c.json(
        errorBody('sandbox.room_not_found', `没有群"${body.room}"。可用的群见 /sandbox/api/state。`),
        404,
      )
    }
    const said = world.say({ from: body.from, text: body.text, room: body.room, mentionBot: body.mentionBot })
    return c.json({ accepted: true, room: said.roomId ?? null, from: said.fromId }, 202)
  })
  app.get('/api/transcript', (c) => {
    const parsed = TranscriptQuery.safeParse(c.req.query())
    if (!parsed.success) return validationError(c, parsed.error)
    const q = parsed.data
    if (q.room) {
      const room = world.findRoom(q.room)
      if (!room) return c.json(errorBody('sandbox.room_not_found', `没有群"${q.room}"。`), 404)
      return c.json({ messages: world.transcript.list({ roomId: room.id, after: q.after }) })
    }
    const contact = world.findContact(q.with!)
    if (!contact) return c.json(errorBody('sandbox.contact_not_found', `没有联系人"${q.with}"。`), 404)
    return c.json({ messages: world.transcript.list({ withId: contact.id, after: q.after }) })
  })
  return app
}
