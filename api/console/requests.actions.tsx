import type { z } from '@hono/zod-openapi'
import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { listXiaoqu } from '../../core/areas/areas.usecases'
import { fileOnBehalf } from '../../core/requests/on-behalf'
import { listPhotos, loadPhoto } from '../../core/requests/photos'
import { replyToRequest } from '../../core/requests/reply'
import * as repo from '../../core/requests/requests.repository'
import {
  acceptRequest,
  assignmentTargets,
  assignRequest,
  extendRequest,
  findVisibleRequest,
  phoneFor,
  reclassifyRequest,
  resolveRequest,
} from '../../core/requests/requests.usecases'
import type { StaffRow } from '../../core/shared/actor'
import { invalid, isAppError } from '../../core/shared/errors'
import { getStaff } from '../../core/staff/staff.usecases'
import { CreateRequestBody, ReclassifyBody, ReplyBody } from '../routes/requests.schemas'
import {
  actorOf,
  type C,
  type ConsoleKit,
  type Ctx,
  field,
  render,
  requestNumber,
  type StaffActor,
  shanghaiInput,
  statusOf,
  viewerOf,
} from './kit'
import { type RequestDetail, RequestPage } from './requests.detail'
import type { InboxFilters } from './requests.filters'
import { inboxBack, inboxHref } from './requests.filters'
import { FileOnBehalfPage, type OnBehalfValues } from './requests.new'
import { requestHref } from './requests.page'
import { type ConsoleEnv, consolePath } from './session'

type PageOptions = { notice?: string; error?: string; status?: ContentfulStatusCode }

const actionNotices = {
  reclassified: '已重新分类，时限已按新分类重新计算。',
  extended: '已延期，已记入操作记录。',
  replied: '回复已排队发送给居民。',
}

/** A form checked by the API's schema for the same change: its Chinese messages, as one 400. */
function parseForm<S extends z.ZodType>(schema: S, values: unknown): z.infer<S> {
  const parsed = schema.safeParse(values)
  if (!parsed.success) {
    throw invalid('console.bad_input', `${parsed.error.issues.map((i) => i.message).join('；')}。`)
  }
  return parsed.data
}

/** The fields a form left blank are absent, as an API client would leave them out. */
const filled = (values: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined && v !== ''))

/** A request's page and each change to it; 代录 (file on behalf) for phone calls and visits. */
export function registerRequestActions(
  app: Hono<ConsoleEnv>,
  kit: ConsoleKit,
  inbox: {
    inboxPage: (
      c: C,
      back: { filters: InboxFilters; before?: number },
      options: PageOptions,
    ) => Promise<Response>
    noticeOf: (c: C) => string | undefined
  },
) {
  const { deps, mutate } = kit
  const { db, clock } = deps
  const notice = (c: C) =>
    inbox.noticeOf(c) ?? actionNotices[(c.req.query('ok') ?? '') as keyof typeof actionNotices]

  /** A request the staff member may see: property staff only what they hold, others within their scope. */
  async function requestDetail(staff: StaffRow, number: string): Promise<RequestDetail> {
    const { request, context } = await findVisibleRequest(db, staff, number)
    const [events, candidates, photos] = await Promise.all([
      repo.listRequestEvents(db, request.id),
      assignmentTargets(db, staff, context.xiaoqu),
      listPhotos(db, [request.id]),
    ])
    return {
      request,
      xiaoquName: context.xiaoqu?.name ?? null,
      authorName: context.author?.name ?? null,
      assignee: context.assignee ?? null,
      events,
      photos,
      phone: phoneFor(staff, request),
      // 转派 offers exactly whom the use case accepts (it checks again).
      candidates,
      replyTo: context.group ? 'group' : context.author?.wechatId ? 'private' : null,
      mayReclassify: staff.role !== 'property_staff',
    }
  }

  const requestPage = async (c: C, number: string, options: PageOptions = {}) =>
    render(
      c,
      <RequestPage
        viewer={viewerOf(c)}
        now={clock.now()}
        detail={await requestDetail(c.get('staff'), number)}
        error={options.error}
        notice={options.notice}
      />,
      options.status ?? 200,
    )

  // 代录: registered before /requests/:number, which would otherwise take "new" for a number.
  const places = (c: C) => listXiaoqu(db, c.get('staff').scopePath)
  app.get('/requests/new', async (c) =>
    render(c, <FileOnBehalfPage viewer={viewerOf(c)} xiaoqu={await places(c)} />),
  )
  app.post('/requests/new', async (c) => {
    const body = await c.req.parseBody()
    const text = (name: keyof OnBehalfValues) =>
      typeof body[name] === 'string' ? (body[name] as string) : ''
    const values: OnBehalfValues = {
      channel: text('channel'),
      xiaoquId: text('xiaoquId'),
      text: text('text'),
      location: text('location').trim(),
      phone: text('phone').trim(),
      residentName: text('residentName'),
    }
    let filed: repo.RequestRow
    try {
      if (!/^\d{1,9}$/.test(values.xiaoquId ?? '')) throw invalid('console.xiaoqu_required', '请选择小区。')
      const input = parseForm(CreateRequestBody, {
        ...filled(values),
        xiaoquId: Number(values.xiaoquId),
      })
      filed = await mutate((ctx) => fileOnBehalf(ctx, actorOf(c), input))
    } catch (error) {
      if (!isAppError(error)) throw error
      return render(
        c,
        <FileOnBehalfPage
          viewer={viewerOf(c)}
          xiaoqu={await places(c)}
          values={values}
          error={error.message}
        />,
        statusOf(error),
      )
    }
    const visible = await requestDetail(c.get('staff'), filed.number).then(
      () => true,
      () => false,
    )
    return c.redirect(visible ? `${requestHref(filed.number)}?ok=filed` : `${consolePath}?ok=filed`, 303)
  })

  app.get('/requests/:number', (c) =>
    requestPage(c, requestNumber(c.req.param('number')), { notice: notice(c) }),
  )

  // A resident's photo of a request, for whoever may see the request (the page's thumbnails).
  app.get('/requests/:number/photos/:photoId', async (c) => {
    const { request } = await findVisibleRequest(db, c.get('staff'), requestNumber(c.req.param('number')))
    const photoId = c.req.param('photoId')
    const photo = /^\d{1,9}$/.test(photoId) ? await loadPhoto(db, request.id, Number(photoId)) : undefined
    if (!photo) return c.body(null, 404)
    return c.body(new Uint8Array(photo.data), 200, {
      'content-type': photo.mediaType,
      'cache-control': 'private, max-age=3600',
      'x-content-type-options': 'nosniff',
    })
  })

  /**
   * A change to one request through its use case. From the inbox (a `back` field) the answer is the inbox
   * again, with its filters; from the request's page, that page.
   */
  const requestAction = (
    verb: 'accept' | 'resolve' | 'assign' | 'reclassify' | 'extend' | 'reply',
    code: string,
    run: (ctx: Ctx, actor: StaffActor, number: string, body: Record<string, unknown>) => Promise<unknown>,
  ) =>
    app.post(`/requests/:number/${verb}`, async (c) => {
      const number = requestNumber(c.req.param('number'))
      const body = await c.req.parseBody()
      const back = inboxBack(body.back)
      try {
        await mutate((ctx) => run(ctx, actorOf(c), number, body))
      } catch (error) {
        if (!isAppError(error)) throw error
        const options = { error: `${number}：${error.message}`, status: statusOf(error) }
        return back
          ? inbox.inboxPage(c, back, options)
          : requestPage(c, number, { ...options, error: error.message })
      }
      if (back) {
        const before = back.before ? String(back.before) : undefined
        return c.redirect(inboxHref(back.filters, { before, ok: code }), 303)
      }
      // A change can take the request out of the caller's sight (property staff handing it on).
      const stillVisible = await requestDetail(c.get('staff'), number).then(
        () => true,
        () => false,
      )
      return c.redirect(stillVisible ? `${requestHref(number)}?ok=${code}` : `${consolePath}?ok=${code}`, 303)
    })

  requestAction('accept', 'accepted', (ctx, actor, number, body) =>
    acceptRequest(ctx, actor, number, field(body, 'note', 500, '备注')),
  )
  requestAction('resolve', 'resolved', (ctx, actor, number, body) =>
    resolveRequest(ctx, actor, number, field(body, 'note', 1000, '办理结果') ?? ''),
  )
  requestAction('assign', 'assigned', async (ctx, actor, number, body) => {
    const id = field(body, 'staffId', 12, '转派对象')
    if (!id || !/^\d{1,9}$/.test(id)) throw invalid('console.assignee_required', '请选择转派给谁。')
    return assignRequest(
      ctx,
      actor,
      number,
      await getStaff(ctx.db, Number(id)),
      field(body, 'note', 500, '备注'),
    )
  })
  requestAction('reclassify', 'reclassified', (ctx, actor, number, body) => {
    const change = parseForm(
      ReclassifyBody,
      filled({
        category: field(body, 'category', 20, '分类'),
        urgency: field(body, 'urgency', 10, '紧急程度'),
        reason: field(body, 'reason', 500, '原因'),
      }),
    )
    return reclassifyRequest(ctx, actor, number, change)
  })
  requestAction('extend', 'extended', (ctx, actor, number, body) => {
    const due = field(body, 'resolutionDueAt', 20, '新的办结时限')
    const snooze = field(body, 'snoozeUntil', 20, '暂缓提醒时间')
    if (!due && !snooze) {
      throw invalid('console.extend_nothing', '请填写新的办结时限，或暂缓提醒到的时间。')
    }
    return extendRequest(ctx, actor, number, {
      resolutionDueAt: due ? shanghaiInput(due) : undefined,
      snoozeUntil: snooze ? shanghaiInput(snooze) : undefined,
      reason: field(body, 'reason', 500, '原因') ?? '',
    })
  })
  requestAction('reply', 'replied', (ctx, actor, number, body) => {
    const { text } = parseForm(ReplyBody, filled({ text: field(body, 'text', 500, '回复内容') }))
    return replyToRequest(ctx, actor, number, text)
  })
}
