import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { fileForCaller } from '../../core/requests/on-behalf'
import { listPhotos, loadPhoto } from '../../core/requests/photos'
import { replyToRequest } from '../../core/requests/reply'
import * as repo from '../../core/requests/requests.repository'
import * as useCases from '../../core/requests/requests.usecases'
import type { Deps } from '../../core/shared/deps'
import { notFound } from '../../core/shared/errors'
import { getStaff } from '../../core/staff/staff.usecases'
import type { DbOrTx } from '../../db/client'
import { type ApiEnv, staffActor } from '../auth'
import { errorResponses } from '../errors'
import * as s from './requests.schemas'

const tags = ['诉求 requests']
const security = [{ Bearer: [] }]
const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } })

const list = createRoute({
  method: 'get',
  path: '/requests',
  tags,
  security,
  summary: 'List requests (newest first, keyset pagination), filtered and searched',
  description:
    'Property staff see the requests they hold, others those within their scope. Filters combine (AND); `q` searches the text (or matches a number), and `nextCursor` pages on with the same filters.',
  request: { query: s.ListQuery },
  responses: {
    200: { description: 'A page of requests', ...json(s.RequestListSchema) },
    ...errorResponses(400, 401),
  },
})
const get = createRoute({
  method: 'get',
  path: '/requests/{number}',
  tags,
  security,
  summary: 'Get a request by its number, with the photos residents sent',
  request: { params: s.NumberParam },
  responses: {
    200: { description: 'The request', ...json(s.RequestDetailSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
})
const create = createRoute({
  method: 'post',
  path: '/requests',
  tags,
  security,
  summary: "File a request on a resident's behalf (phone call, visit)",
  request: { body: { required: true, ...json(s.CreateRequestBody) } },
  responses: {
    201: { description: 'Filed', ...json(s.RequestDetailSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
})
const action = <B extends z.ZodType>(verb: string, summary: string, body: B) =>
  createRoute({
    method: 'post',
    path: `/requests/{number}/${verb}`,
    tags,
    security,
    summary,
    request: { params: s.NumberParam, body: { required: true, ...json(body) } },
    responses: {
      200: { description: 'Updated', ...json(s.RequestDetailSchema) },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  })
const accept = action('accept', 'Accept (first response)', s.NoteBody)
const assign = action('assign', 'Reassign to a staff member', s.AssignBody)
const resolve = action('resolve', 'Resolve; the resident is asked to rate', s.ResolveBody)
const reclassify = action('reclassify', 'Change category or urgency (audited)', s.ReclassifyBody)
const extend = action(
  'extend',
  'Move the resolution deadline (延期) or hold nudges until a time (暂缓提醒); a reason is required and audited',
  s.ExtendBody,
)
const reply = createRoute({
  method: 'post',
  path: '/requests/{number}/reply',
  tags,
  security,
  summary:
    "Reply to the resident where the request was filed (its group, else the resident's private chat); sent through the outbox, recorded and audited",
  request: { params: s.NumberParam, body: { required: true, ...json(s.ReplyBody) } },
  responses: {
    200: { description: 'Queued for sending', ...json(s.ReplySchema) },
    ...errorResponses(400, 401, 403, 404),
  },
})
const events = createRoute({
  method: 'get',
  path: '/requests/{number}/events',
  tags,
  security,
  summary: 'The history of a request',
  request: { params: s.NumberParam },
  responses: {
    200: { description: 'Events, oldest first', ...json(z.object({ items: z.array(s.EventSchema) })) },
    ...errorResponses(400, 401, 403, 404),
  },
})

const photo = createRoute({
  method: 'get',
  path: '/requests/{number}/photos/{photoId}',
  tags,
  security,
  summary: "A photo's bytes (PNG or JPEG), for whoever may see the request",
  request: { params: s.PhotoParams },
  responses: {
    200: {
      description: 'The image',
      content: { 'image/png': { schema: z.any() }, 'image/jpeg': { schema: z.any() } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
})

export function registerRequestRoutes(app: OpenAPIHono<ApiEnv>, deps: Deps) {
  const { db, clock } = deps
  const ctxOf = (tx: DbOrTx) => ({ ...deps, db: tx })

  /** Loads a request the caller may see; property staff see only what they hold. */
  const visible = (staff: ApiEnv['Variables']['staff'], number: string) =>
    useCases.findVisibleRequest(db, staff, number)
  /** One request in full view: every field (the phone in full only to its holder and admins), and the photos. */
  const full = async (
    viewer: ApiEnv['Variables']['staff'],
    request: repo.RequestRow,
    context: Awaited<ReturnType<typeof repo.loadRequestContext>>,
  ) => ({
    ...s.toRequestDto(request, {
      xiaoquName: context.xiaoqu?.name,
      authorName: context.author?.name,
      viewer,
      now: clock.now(),
    }),
    photos: (await listPhotos(db, [request.id])).map((p) => ({
      id: p.id,
      createdAt: p.createdAt.toISOString(),
      size: p.size,
    })),
  })
  /**
   * The answer to a change the use case has already allowed and stored: rendered as is, not re-checked, since
   * a change can take the request out of the caller's sight (property staff handing it back, filing it) and a
   * 403 would then report a stored change as refused.
   */
  const changed = async (viewer: ApiEnv['Variables']['staff'], request: repo.RequestRow) =>
    full(viewer, request, await repo.loadRequestContext(db, request))
  const mutate = async <T>(work: (ctx: ReturnType<typeof ctxOf>) => Promise<T>) => {
    const result = await db.transaction((tx) => work(ctxOf(tx)))
    deps.outboxSignal.notify()
    return result
  }

  return app
    .openapi(list, async (c) => {
      const q = c.req.valid('query')
      const staff = c.get('staff')
      const rows = await repo.listRequests(db, {
        status: q.status,
        category: q.category,
        xiaoquId: q.xiaoquId,
        overdue: q.overdue,
        assignee: q.assignee,
        flag: q.flag,
        q: q.q,
        before: q.cursor ? Number(q.cursor) : undefined,
        limit: q.limit + 1,
        assigneeStaffId: staff.role === 'property_staff' ? staff.id : undefined,
        scopePath: staff.role === 'property_staff' ? null : staff.scopePath,
        now: clock.now(),
      })
      const page = rows.slice(0, q.limit)
      const now = clock.now()
      return c.json(
        {
          items: page.map((r) =>
            s.toRequestDto(r.request, {
              xiaoquName: r.xiaoquName,
              authorName: r.authorName,
              viewer: staff,
              now,
            }),
          ),
          nextCursor: rows.length > q.limit ? String(page.at(-1)!.request.id) : null,
        },
        200,
      )
    })
    .openapi(get, async (c) => {
      const { request, context } = await visible(c.get('staff'), c.req.valid('param').number)
      return c.json(await full(c.get('staff'), request, context), 200)
    })
    .openapi(photo, async (c) => {
      const { number, photoId } = c.req.valid('param')
      const { request } = await visible(c.get('staff'), number)
      const found = await loadPhoto(db, request.id, photoId)
      if (!found)
        throw notFound('requests.photo_not_found', `诉求 ${number} 没有编号为 ${photoId} 的照片。`, {
          number,
          photoId,
        })
      return c.body(new Uint8Array(found.data), 200, {
        'content-type': found.mediaType,
        'cache-control': 'private, max-age=3600',
        'x-content-type-options': 'nosniff',
      })
    })
    .openapi(create, async (c) => {
      const body = c.req.valid('json')
      const staff = c.get('staff')
      // No transaction around it: a filing is one atomic statement, or opens its own where it needs more.
      const filed = await fileForCaller(ctxOf(db), staffActor(staff), body)
      deps.outboxSignal.notify()
      // Rendered from what was written: its place and author are known, and a new request has no photos.
      const dto = s.toRequestDto(filed.request, { ...filed, viewer: staff, now: clock.now() })
      return c.json({ ...dto, photos: [] }, 201)
    })
    .openapi(accept, async (c) => {
      const { number } = c.req.valid('param')
      const updated = await mutate((ctx) =>
        useCases.acceptRequest(ctx, staffActor(c.get('staff')), number, c.req.valid('json').note),
      )
      return c.json(await changed(c.get('staff'), updated), 200)
    })
    .openapi(assign, async (c) => {
      const { number } = c.req.valid('param')
      const body = c.req.valid('json')
      const updated = await mutate(async (ctx) =>
        useCases.assignRequest(
          ctx,
          staffActor(c.get('staff')),
          number,
          await getStaff(ctx.db, body.staffId),
          body.note,
        ),
      )
      return c.json(await changed(c.get('staff'), updated), 200)
    })
    .openapi(resolve, async (c) => {
      const { number } = c.req.valid('param')
      const updated = await mutate((ctx) =>
        useCases.resolveRequest(ctx, staffActor(c.get('staff')), number, c.req.valid('json').note),
      )
      return c.json(await changed(c.get('staff'), updated), 200)
    })
    .openapi(reclassify, async (c) => {
      const { number } = c.req.valid('param')
      const updated = await mutate((ctx) =>
        useCases.reclassifyRequest(ctx, staffActor(c.get('staff')), number, c.req.valid('json')),
      )
      return c.json(await changed(c.get('staff'), updated), 200)
    })
    .openapi(extend, async (c) => {
      const { number } = c.req.valid('param')
      const b = c.req.valid('json')
      const updated = await mutate((ctx) =>
        useCases.extendRequest(ctx, staffActor(c.get('staff')), number, {
          resolutionDueAt: b.resolutionDueAt ? new Date(b.resolutionDueAt) : undefined,
          snoozeUntil: b.snoozeUntil ? new Date(b.snoozeUntil) : undefined,
          reason: b.reason,
        }),
      )
      return c.json(await changed(c.get('staff'), updated), 200)
    })
    .openapi(reply, async (c) => {
      const { number } = c.req.valid('param')
      const sent = await mutate((ctx) =>
        replyToRequest(ctx, staffActor(c.get('staff')), number, c.req.valid('json').text),
      )
      return c.json({ number, sentTo: sent.isRoom ? ('group' as const) : ('private' as const) }, 200)
    })
    .openapi(events, async (c) => {
      const { request } = await visible(c.get('staff'), c.req.valid('param').number)
      const rows = await repo.listRequestEvents(db, request.id)
      return c.json(
        {
          items: rows.map((e) => ({
            kind: e.kind,
            actorKind: e.actorKind,
            actorName: e.actorName,
            note: e.note,
            data: e.data ?? undefined,
            at: e.at.toISOString(),
          })),
        },
        200,
      )
    })
}
