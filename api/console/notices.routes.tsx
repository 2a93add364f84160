import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { getXiaoquForStaff } from '../../core/areas/areas.usecases'
import { loadAttachmentFor } from '../../core/notices/attachments'
import { countGroupsInScope } from '../../core/notices/broadcast.repository'
import { broadcastText, cancelNotice, findNotice } from '../../core/notices/broadcast.usecases'
import { cancelFeeNotice, feeText, findFeeNotice } from '../../core/notices/fee.usecases'
import {
  batchesWritten,
  batchPrefixOf,
  countsByBatch,
  groupsByRoom,
  listNotices,
  type NoticeKind,
} from '../../core/notices/notices.overview'
import {
  cancelPublicity,
  findPublicity,
  listFeedback,
  openText,
  publishPublicity,
  recordReview,
  seesFeedbackNames,
} from '../../core/notices/publicity.usecases'
import {
  buildingNames,
  cancelSchedule,
  findSchedule,
  publishSchedule,
  scheduleText,
  updatePhase,
} from '../../core/notices/schedule.usecases'
import { batchSummary, listOutbox } from '../../core/outbox/outbox.repository'
import { settleMessage } from '../../core/outbox/outbox.usecases'
import { assertRole, assertScope } from '../../core/shared/actor'
import { isAppError, notFound } from '../../core/shared/errors'
import {
  actorOf,
  type C,
  type ConsoleKit,
  type Ctx,
  noticeReader,
  type Page,
  render,
  statusOf,
  viewerOf,
} from './kit'
import { registerNoticeComposePages } from './notices.compose.routes'
import type { Delivery } from './notices.delivery'
import {
  BroadcastDetail,
  type DetailCommon,
  FeeDetail,
  PublicityDetail,
  ScheduleDetail,
} from './notices.detail'
import { type Body, filesFor, optional, required, timeOf, typed } from './notices.forms'
import { composeRoles, kindNames, NoticesPage, noticeHref } from './notices.page'
import type { ConsoleEnv } from './session'

const noticeOf = noticeReader({
  sent: '已开始发送，各群间隔发出，进度见下方。',
  scheduled: '已定时，到时自动发出；之前可以撤回。',
  created: '草稿已保存。',
  reviewed: '已记录责任规划师审查。',
  published: '已发布。',
  cancelled: '已撤回，尚未发出的消息不再发送。',
  phase: '阶段已更新。',
  resent: '已重新排队发送。',
  dropped: '已放弃这条消息。',
})

const kindOfLetter: Record<string, NoticeKind> = {
  B: 'broadcast',
  G: 'design_publicity',
  S: 'construction',
  F: 'fee',
}

/** 'b12' → { kind: 'broadcast', number: 'B12' }; anything else is a 404. */
function noticeNumber(raw: string) {
  const match = /^([BGSFbgsf])(\d{1,9})$/.exec(raw)
  if (!match) {
    throw notFound('notices.not_found', `没有找到通知 ${raw.slice(0, 20)}，编号形如 B12、G3、S2、F1。`)
  }
  const letter = match[1]!.toUpperCase()
  return { kind: kindOfLetter[letter]!, number: `${letter}${match[2]}` }
}

const kindParam = (raw: string | undefined) => (raw && raw in kindNames ? (raw as NoticeKind) : undefined)

/** 通知公告: every kind of notice in scope, each with its WeChat text and per-group delivery. */
export function registerNoticePages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps, mutate } = kit
  const { db, clock } = deps
  const feeReminderDays = deps.config.feeReminderDays

  app.get('/notices', async (c) => {
    const kind = kindParam(c.req.query('kind'))
    const rows = await listNotices(db, c.get('staff'), { kind, limit: 200, feeReminderDays })
    const counts = await countsByBatch(
      db,
      rows.flatMap((r) => r.batches),
    )
    const withCounts = rows.map((r) => {
      const total: Record<string, number> = {}
      for (const batch of r.batches) {
        for (const [status, n] of Object.entries(counts.get(batch) ?? {}))
          total[status] = (total[status] ?? 0) + n
      }
      return { ...r, counts: total }
    })
    return render(c, <NoticesPage viewer={viewerOf(c)} rows={withCounts} kind={kind} notice={noticeOf(c)} />)
  })

  registerNoticeComposePages(app, kit)

  /** Every post of a notice so far, per group, with the messages a person must decide on. */
  const deliveryOf = async (kind: NoticeKind, number: string): Promise<Delivery> => {
    const batches = await batchesWritten(db, batchPrefixOf(kind, number))
    const sections = await Promise.all(
      batches.map(async (batch) => {
        const [summary, uncertain, failed] = await Promise.all([
          batchSummary(db, batch),
          listOutbox(db, { batch, status: 'uncertain', limit: 200 }),
          listOutbox(db, { batch, status: 'failed', limit: 200 }),
        ])
        return { batch, totals: summary.totals, groups: summary.groups, attention: [...uncertain, ...failed] }
      }),
    )
    const rooms = new Set(sections.flatMap((s) => s.groups.map((g) => g.conversationId)))
    return { sections, topics: await groupsByRoom(db, [...rooms]) }
  }

  const detailPage = async (
    c: C,
    raw: string,
    options: { error?: string; notice?: string; status?: ContentfulStatusCode } = {},
  ) => {
    const { kind, number } = noticeNumber(raw)
    const staff = c.get('staff')
    const actor = actorOf(c)
    const common = async (
      preview: DetailCommon['preview'],
      status: string,
      attachmentIds: readonly number[],
    ): Promise<DetailCommon> => ({
      viewer: viewerOf(c),
      kind,
      number,
      status,
      preview,
      files: await filesFor(db, staff, attachmentIds),
      delivery: await deliveryOf(kind, number),
      canAct: staff.role === 'admin' || composeRoles[kind].includes(staff.role),
      canSettle: staff.role === 'admin',
      error: options.error,
      notice: options.notice,
    })
    const groupsIn = (path: string) => countGroupsInScope(db, path)
    let page: Page
    if (kind === 'broadcast') {
      const row = await findNotice(db, number)
      assertScope(staff, row.scopePath)
      const preview = {
        text: broadcastText(row),
        groups: await groupsIn(row.scopePath),
        scopeName: row.scopeName,
      }
      page = <BroadcastDetail {...(await common(preview, row.status, row.attachmentIds))} row={row} />
    } else if (kind === 'design_publicity') {
      const row = await findPublicity(db, number)
      const place = await getXiaoquForStaff(db, actor, row.xiaoquId)
      const preview = {
        text: openText(row, place.name),
        groups: await groupsIn(place.path),
        scopeName: place.name,
      }
      page = (
        <PublicityDetail
          {...(await common(preview, row.status, row.attachmentIds))}
          row={row}
          placeName={place.name}
          feedback={await listFeedback(db, staff, row.id)}
          namesShown={seesFeedbackNames(staff)}
        />
      )
    } else if (kind === 'construction') {
      const { schedule, phases } = await findSchedule(db, number)
      const place = await getXiaoquForStaff(db, actor, schedule.xiaoquId)
      const names = await buildingNames(
        db,
        phases.flatMap((p) => p.buildingIds),
      )
      const named = phases.map((p) => ({ ...p, buildings: p.buildingIds.map((id) => names.get(id) ?? '') }))
      const preview = {
        text: scheduleText(schedule, place.name, named),
        groups: await groupsIn(place.path),
        scopeName: place.name,
      }
      page = (
        <ScheduleDetail
          {...(await common(preview, schedule.status, []))}
          row={schedule}
          placeName={place.name}
          phases={named}
        />
      )
    } else {
      const row = await findFeeNotice(db, number)
      const place = await getXiaoquForStaff(db, actor, row.xiaoquId)
      const preview = {
        text: feeText(row, place.name),
        groups: await groupsIn(place.path),
        scopeName: place.name,
      }
      page = <FeeDetail {...(await common(preview, row.status, []))} row={row} placeName={place.name} />
    }
    return render(c, page, options.status ?? 200)
  }

  app.get('/notices/:number', (c) => detailPage(c, c.req.param('number'), { notice: noticeOf(c) }))

  /** Runs an action on a notice: a refusal shows its page with the message, success redirects. */
  const act = (
    verb: string,
    ok: string,
    work: (ctx: Ctx, c: C, number: string, body: Body) => Promise<unknown>,
  ) =>
    app.post(`/notices/:number/${verb}`, async (c) => {
      const raw = c.req.param('number')
      const { number } = noticeNumber(raw)
      const body: Body = await c.req.parseBody()
      try {
        await mutate((ctx) => work(ctx, c, number, body))
      } catch (error) {
        if (!isAppError(error)) throw error
        return detailPage(c, raw, { error: error.message, status: statusOf(error) })
      }
      return c.redirect(`${noticeHref(number)}?ok=${ok}`, 303)
    })

  act('cancel', 'cancelled', (ctx, c, number) => {
    const actor = actorOf(c)
    switch (noticeNumber(number).kind) {
      case 'broadcast':
        return cancelNotice(ctx, actor, number)
      case 'design_publicity':
        return cancelPublicity(ctx, actor, number)
      case 'construction':
        return cancelSchedule(ctx, actor, number)
      case 'fee':
        return cancelFeeNotice(ctx, actor, number)
    }
  })

  const only = (number: string, kind: NoticeKind) => {
    if (noticeNumber(number).kind !== kind) throw notFound('notices.no_action', '这类通知没有这个操作。')
  }

  act('review', 'reviewed', (ctx, c, number, body) => {
    only(number, 'design_publicity')
    return recordReview(ctx, actorOf(c), number, {
      reviewedBy: required(typed(body, 'reviewedBy', 100), 50, '审查的责任规划师'),
      reviewedAt: timeOf(typed(body, 'reviewedAt', 20), '审查时间'),
    })
  })

  act('publish', 'published', (ctx, c, number, body) => {
    const kind = noticeNumber(number).kind
    if (kind === 'design_publicity') return publishPublicity(ctx, actorOf(c), number)
    only(number, 'construction')
    return publishSchedule(ctx, actorOf(c), number, timeOf(typed(body, 'publishAt', 20), '定时发布时间'))
  })

  app.post('/notices/:number/phases/:seq', async (c) => {
    const raw = c.req.param('number')
    const { number } = noticeNumber(raw)
    only(number, 'construction')
    const seq = Number(c.req.param('seq'))
    if (!/^\d{1,2}$/.test(c.req.param('seq')))
      throw notFound('schedule.phase_not_found', '没有这个施工阶段。')
    const body: Body = await c.req.parseBody()
    try {
      await mutate((ctx) =>
        updatePhase(ctx, actorOf(c), number, seq, {
          name: required(typed(body, 'name', 100), 50, '阶段名称'),
          startsAt: timeOf(typed(body, 'startsAt', 20), '开始时间', true),
          endsAt: timeOf(typed(body, 'endsAt', 20), '结束时间', true),
          note: optional(typed(body, 'note', 300), 200, '提示'),
        }),
      )
    } catch (error) {
      if (!isAppError(error)) throw error
      return detailPage(c, raw, { error: error.message, status: statusOf(error) })
    }
    return c.redirect(`${noticeHref(number)}?ok=phase`, 303)
  })

  // Resend or drop an uncertain or failed message: admins only, as in the API (settleMessage checks).
  for (const decision of ['resend', 'drop'] as const) {
    app.post(`/notices/outbox/:id/${decision}`, async (c) => {
      assertRole(c.get('staff'), [])
      const rawId = c.req.param('id')
      if (!/^\d{1,15}$/.test(rawId)) throw notFound('outbox.not_found', '没有这条待发消息。')
      const body: Body = await c.req.parseBody()
      const back = noticeNumber(typed(body, 'back', 20)).number
      try {
        await mutate((ctx) => settleMessage(ctx.db, actorOf(c), Number(rawId), decision, clock.now()))
      } catch (error) {
        if (!isAppError(error)) throw error
        return detailPage(c, back, { error: error.message, status: statusOf(error) })
      }
      return c.redirect(`${noticeHref(back)}?ok=${decision === 'resend' ? 'resent' : 'dropped'}`, 303)
    })
  }

  // An attached file, for staff whose scope covers it (the same check as the API's download).
  app.get('/notices/attachments/:id', async (c) => {
    const rawId = c.req.param('id')
    if (!/^\d{1,9}$/.test(rawId)) throw notFound('attachments.not_found', '没有这个附件。')
    const file = await loadAttachmentFor(db, c.get('staff'), Number(rawId))
    const ascii = file.fileName.replace(/[^\x20-\x7e]|["\\]/g, '_')
    return c.body(new Uint8Array(file.data), 200, {
      'content-type': file.mediaType,
      'content-disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
      'x-content-type-options': 'nosniff',
    })
  })
}
