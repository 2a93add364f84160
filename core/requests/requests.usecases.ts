import { eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { requestSupporters, requests, xiaoqu } from '../../db/schema'
import { auditEntry, recordAudit } from '../audit/audit'
import { type Category, categoryCodes, categoryInfo } from '../classify/categories'
import { snoozeWatches, syncWatches, type WatchSpec, watchRow } from '../nudges/watches'
import { enqueueMessages, type OutgoingMessage, outboxRows } from '../outbox/outbox.repository'
import { maskPhone } from '../people/residents'
import {
  type Actor,
  assertRole,
  assertScope,
  type ResidentRow,
  type StaffRow,
  scopeCovers,
} from '../shared/actor'
import type { Deps } from '../shared/deps'
import { AppError, forbidden, invalid, notFound } from '../shared/errors'
import { fromShanghai, shanghaiDate } from '../sla/calendar'
import { computeDeadlines } from '../sla/deadlines'
import * as errors from './requests.errors'
import { type FilingPlan, isRouted, type NewEvent, planFiling, writeFiling } from './requests.filing'
import * as messages from './requests.messages'
import * as repo from './requests.repository'
import { routeFiledRequest } from './routing'

type Ctx = Pick<Deps, 'clock' | 'config' | 'classifier' | 'calendar'> & { db: DbOrTx }
export const maxRequestLength = 2000

const enqueue = (ctx: Ctx, messages: readonly OutgoingMessage[], now: Date) =>
  enqueueMessages(ctx.db, messages, now, { maxChars: ctx.config.send.maxChars })

/**
 * What the nudge engine watches on a request: its response clock runs until it is accepted, its resolution
 * clock until it is resolved. The reminder before the resolution deadline is per category
 * (NUDGE_REMIND_BEFORE_HOURS).
 */
function requestWatchSpecs(
  ctx: Ctx,
  request: repo.RequestRow,
  where: { path: string; name: string } | undefined,
): WatchSpec[] {
  const remindHours = ctx.config.nudges.remindBeforeHours[request.category]
  const base = {
    itemId: request.id,
    label: `诉求 ${request.number}【${request.category}】`,
    ref: request.number,
    scopePath: where?.path ?? '/',
    placeName: where?.name ?? '',
    ownerStaffId: request.assigneeStaffId,
    ownerOrgId: null,
    urgent: request.urgency === 'urgent',
  }
  const open = repo.openStatuses.includes(request.status as never)
  return [
    {
      ...base,
      itemKind: 'request-response',
      dueAt: request.responseDueAt,
      remindAt: null,
      closed: request.status !== 'submitted',
    },
    {
      ...base,
      itemKind: 'request-resolution',
      dueAt: request.resolutionDueAt,
      remindAt: remindHours ? new Date(request.resolutionDueAt.getTime() - remindHours * 3_600_000) : null,
      closed: !open,
    },
  ]
}

/** Keeps the nudge engine in step with a request that changed. */
async function watchRequest(ctx: Ctx, request: repo.RequestRow, place?: { path: string; name: string }) {
  const where =
    place ??
    (request.xiaoquId
      ? (await ctx.db.select().from(xiaoqu).where(eq(xiaoqu.id, request.xiaoquId)))[0]
      : undefined)
  await syncWatches(ctx.db, ctx, requestWatchSpecs(ctx, request, where), ctx.clock.now())
}

export interface FileRequestInput {
  text: string
  xiaoquId: number
  channel: repo.RequestRow['channel']
  resident?: ResidentRow
  groupId?: number
  location?: string
  contactPhone?: string
  inboundMessageId?: string
  /** Staff filing on a resident's behalf (phone call, visit). */
  filedBy?: Actor
}

/**
 * Files a request: classify, compute deadlines, store it with its first event (and audit row when staff file
 * it) and its watches, tell the officers. Two statements when no routing rule applies: what it needs to know
 * (`planFiling`, which `plan` may bring already), then all it writes at once, the officers' notice included;
 * that one statement is atomic, so the caller need not open a transaction for it.
 */
export async function fileRequest(ctx: Ctx, input: FileRequestInput, plan?: FilingPlan) {
  const cleaned = input.text.trim()
  if (cleaned.length === 0) throw errors.emptyDescription()
  const truncated = cleaned.length > maxRequestLength
  // Cut on a code point: half an emoji would be stored as U+FFFD.
  const cut = cleaned.slice(0, maxRequestLength)
  const text = truncated ? (/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut) : cleaned
  const now = ctx.clock.now()
  const classification = ctx.classifier.classify(text)
  const due = computeDeadlines({
    at: now,
    category: classification.category,
    slaClass: classification.slaClass,
    urgency: classification.urgency,
    config: ctx.config.sla,
    calendar: ctx.calendar,
  })
  const planned = plan ?? (await planFiling(ctx.db, input.xiaoquId))
  const request: repo.RequestRow = {
    id: planned.requestId,
    number: planned.number,
    xiaoquId: input.xiaoquId,
    groupId: input.groupId ?? null,
    residentId: input.resident?.id ?? null,
    channel: input.channel,
    text,
    location: input.location ?? null,
    contactPhone: input.contactPhone ?? input.resident?.phone ?? null,
    category: classification.category,
    menuItem: classification.menuItem,
    urgency: classification.urgency,
    status: 'submitted',
    assigneeStaffId: null,
    responseDueAt: due.responseDueAt,
    resolutionDueAt: due.resolutionDueAt,
    respondedAt: null,
    resolvedAt: null,
    resolutionNote: null,
    rating: null,
    ratedAt: null,
    supportCount: 0,
    urgeCount: 0,
    lastUrgedAt: null,
    withdrawalAskedAt: null,
    inboundMessageId: input.inboundMessageId ?? null,
    createdAt: now,
    updatedAt: now,
  }
  const filer = input.filedBy?.kind === 'staff' ? input.filedBy.staff : undefined
  const filed: NewEvent = {
    kind: 'filed',
    actorKind: filer ? 'staff' : 'resident',
    actorId: filer?.id ?? input.resident?.id ?? null,
    actorName: filer?.name ?? input.resident?.name ?? null,
    note: truncated ? `原文 ${cleaned.length} 字，已截断为 ${maxRequestLength} 字` : null,
    data: { matched: classification.matched, channel: input.channel },
  }
  const audits = input.filedBy
    ? [
        auditEntry({
          actor: input.filedBy,
          action: 'request.create',
          entity: 'request',
          entityId: request.number,
          after: request,
        }),
      ]
    : []
  const place = planned.xiaoqu
  const xiaoquName = place?.name ?? ''
  const officersTold = (routedNote?: string) => {
    const authorName = input.resident?.name ?? '居民（代录）'
    const notice = [messages.newRequestForOfficers(request, xiaoquName, authorName), routedNote]
      .filter(Boolean)
      .join('\n')
    return planned.officerRooms.map((roomId) => ({
      conversationId: roomId,
      isRoom: true,
      text: notice,
      dedupeKey: `request:${request.number}:filed:room:${roomId}`,
      priority: request.urgency === 'urgent' ? ('urgent' as const) : ('normal' as const),
    }))
  }
  if (!isRouted(planned, classification.category)) {
    const watches = requestWatchSpecs(ctx, request, place).map((spec) => watchRow(ctx, spec, undefined, now))
    const outbox = place ? outboxRows(officersTold(), now, ctx.config.send.maxChars) : []
    await writeFiling(ctx.db, { request, events: [filed], audits, watches, outbox })
    return { request, truncated, xiaoquName }
  }
  // 派单: a rule of the xiaoqu's areas matches; routing decides and records who holds it, in several
  // statements, so in a transaction (a savepoint when the caller's is already open).
  const routed = await ctx.db.transaction(async (tx) => {
    const inTx = { ...ctx, db: tx }
    await writeFiling(tx, { request, events: [filed], audits, watches: [] })
    const result = await routeFiledRequest(inTx, request, place, now)
    await watchRequest(inTx, result.request, place)
    if (!result.told && place) await enqueue(inTx, officersTold(result.note), now)
    return result
  })
  return { request: routed.request, truncated, xiaoquName }
}

/**
 * Whether the staff member sees a request's contact phone in full: whoever holds it (the assignee) and
 * admins. Everyone else sees it masked (138****5678) in the API, the console and exports; chat messages to
 * staff carry no phone at all.
 */
export const seesFullPhone = (viewer: StaffRow, request: Pick<repo.RequestRow, 'assigneeStaffId'>) =>
  viewer.role === 'admin' || request.assigneeStaffId === viewer.id

/** The contact phone as this staff member may see it. */
export const phoneFor = (
  viewer: StaffRow,
  request: Pick<repo.RequestRow, 'assigneeStaffId' | 'contactPhone'>,
) => (seesFullPhone(viewer, request) ? request.contactPhone : maskPhone(request.contactPhone))

/** A request the staff member may see, with its context: property staff only what they hold, others within their scope. */
export async function findVisibleRequest(db: DbOrTx, staff: StaffRow, number: string) {
  const request = await repo.findRequestByNumber(db, number)
  if (!request) throw errors.requestNotFound(number)
  const context = await repo.loadRequestContext(db, request)
  const allowed =
    staff.role === 'property_staff'
      ? request.assigneeStaffId === staff.id
      : scopeCovers(staff.scopePath, context.xiaoqu?.path)
  if (!allowed) throw forbidden('auth.out_of_scope', `诉求 ${number} 不在您的管辖范围内。`)
  return { request, context }
}

/** Loads a request for a staff action, checking role and scope. */
async function loadForStaff(ctx: Ctx, actor: Actor & { kind: 'staff' }, number: string) {
  const request = await repo.findRequestByNumber(ctx.db, number, true)
  if (!request) throw errors.requestNotFound(number)
  const context = await repo.loadRequestContext(ctx.db, request)
  const holder = actor.staff
  if (holder.role === 'property_staff') {
    if (request.assigneeStaffId !== holder.id) throw errors.notYourRequest(number)
  } else {
    assertRole(holder, ['officer', 'community_worker'])
    assertScope(holder, context.xiaoqu?.path)
  }
  return { request, context }
}

/** A message to the resident in the group the request came from, @mentioning them. */
function toAuthor(
  context: Awaited<ReturnType<typeof repo.loadRequestContext>>,
  text: string,
  dedupeKey: string,
): OutgoingMessage[] {
  const author = context.author
  if (context.group) {
    const mentions = author?.wechatId ? [{ id: author.wechatId, name: author.name }] : []
    return [{ conversationId: context.group.roomId, isRoom: true, text, mentions, dedupeKey }]
  }
  if (author?.wechatId) return [{ conversationId: author.wechatId, isRoom: false, text, dedupeKey }]
  return []
}

async function staffEvent(
  ctx: Ctx,
  actor: Actor & { kind: 'staff' },
  request: repo.RequestRow,
  kind: repo.RequestEventRow['kind'],
  note: string | null,
  data?: unknown,
) {
  await repo.addRequestEvent(ctx.db, {
    requestId: request.id,
    kind,
    actorKind: 'staff',
    actorId: actor.staff.id,
    actorName: actor.staff.name,
    note,
    data: data ?? null,
    at: ctx.clock.now(),
  })
}

export async function acceptRequest(
  ctx: Ctx,
  actor: Actor & { kind: 'staff' },
  number: string,
  note?: string,
) {
  const { request, context } = await loadForStaff(ctx, actor, number)
  if (request.status !== 'submitted') throw errors.wrongStatus(request, '受理')
  const now = ctx.clock.now()
  const updated = await repo.updateRequest(ctx.db, request.id, {
    status: 'accepted',
    respondedAt: request.respondedAt ?? now,
    assigneeStaffId: request.assigneeStaffId ?? actor.staff.id,
    updatedAt: now,
  })
  await staffEvent(ctx, actor, request, 'accepted', note ?? null)
  await watchRequest(ctx, updated, context.xiaoqu)
  await recordAudit(ctx.db, {
    actor,
    action: 'request.accept',
    entity: 'request',
    entityId: number,
    before: { status: request.status },
    after: { status: updated.status, assigneeStaffId: updated.assigneeStaffId },
    at: now,
  })
  const holderName =
    updated.assigneeStaffId === actor.staff.id
      ? actor.staff.name
      : (context.assignee?.name ?? actor.staff.name)
  await enqueue(
    ctx,
    toAuthor(
      context,
      messages.acceptedNotice(updated, holderName),
      `request:${number}:accepted:${now.getTime()}`,
    ),
    now,
  )
  return updated
}

/**
 * Who a request may be handed to (转派), one rule for the API, the console and WeChat: an active staff member
 * in a role that handles requests (officer, community worker, property staff) whose scope covers the
 * request's xiaoqu. Since the assigner's scope covers that xiaoqu too, such a target is always within the
 * assigner's reach (below or beside) or on the way up from it (a community hands up to its street, as
 * nudges escalate). Admins are never a target unless an admin is assigning.
 */
export function assignmentRefusal(
  assigner: StaffRow,
  target: StaffRow,
  place: { path: string; name: string } | undefined,
): AppError | undefined {
  if (!target.active) {
    return invalid('requests.assignee_inactive', `${target.name} 已停用，不能接收转派。`)
  }
  if (target.role === 'admin' && assigner.role !== 'admin') {
    return forbidden('requests.assignee_admin', '不能转派给管理员，请转派给负责该小区的工作人员。')
  }
  if (!scopeCovers(target.scopePath, place?.path)) {
    return forbidden(
      'requests.assignee_out_of_scope',
      `${target.name} 的管辖范围不包括${place?.name ?? '该小区'}，请转派给负责该小区的工作人员。`,
    )
  }
  return undefined
}

/** The staff a request may be handed to by this assigner: exactly those `assignmentRefusal` lets through. */
export async function assignmentTargets(
  db: DbOrTx,
  assigner: StaffRow,
  place: { path: string; name: string } | undefined,
) {
  if (!place) return []
  const rows = await repo.staffCovering(db, place.path, assigner.role === 'admin')
  return rows.filter((target) => !assignmentRefusal(assigner, target, place))
}

export async function assignRequest(
  ctx: Ctx,
  actor: Actor & { kind: 'staff' },
  number: string,
  assignee: StaffRow,
  note?: string,
) {
  const { request, context } = await loadForStaff(ctx, actor, number)
  if (!repo.openStatuses.includes(request.status as never)) throw errors.wrongStatus(request, '转派')
  const refusal = assignmentRefusal(actor.staff, assignee, context.xiaoqu)
  if (refusal) throw refusal
  const now = ctx.clock.now()
  const updated = await repo.updateRequest(ctx.db, request.id, {
    assigneeStaffId: assignee.id,
    updatedAt: now,
  })
  await watchRequest(ctx, updated, context.xiaoqu)
  await staffEvent(ctx, actor, request, 'assigned', note ?? `转派给 ${assignee.name}`, {
    from: request.assigneeStaffId,
    to: assignee.id,
  })
  await recordAudit(ctx.db, {
    actor,
    action: 'request.assign',
    entity: 'request',
    entityId: number,
    before: { assigneeStaffId: request.assigneeStaffId },
    after: { assigneeStaffId: assignee.id },
    at: now,
  })
  const key = `request:${number}:assigned:${assignee.id}:${now.getTime()}`
  const outgoing = toAuthor(context, messages.assignedNotice(updated, assignee.name), key)
  if (assignee.wechatId) {
    outgoing.push({
      conversationId: assignee.wechatId,
      isRoom: false,
      text: messages.assignedToYou(updated, context.xiaoqu?.name ?? ''),
      dedupeKey: `${key}:assignee`,
    })
  }
  await enqueue(ctx, outgoing, now)
  return updated
}

export async function resolveRequest(
  ctx: Ctx,
  actor: Actor & { kind: 'staff' },
  number: string,
  note: string,
) {
  const trimmed = note.trim()
  if (!trimmed)
    throw invalid('requests.note_required', `请写明办理结果，例如："办结 ${number} 已更换楼道灯"。`)
  const { request, context } = await loadForStaff(ctx, actor, number)
  if (!repo.openStatuses.includes(request.status as never)) throw errors.wrongStatus(request, '办结')
  const now = ctx.clock.now()
  const updated = await repo.updateRequest(ctx.db, request.id, {
    status: 'resolved',
    resolvedAt: now,
    respondedAt: request.respondedAt ?? now,
    resolutionNote: trimmed,
    assigneeStaffId: request.assigneeStaffId ?? actor.staff.id,
    updatedAt: now,
  })
  await staffEvent(ctx, actor, request, 'resolved', trimmed)
  await watchRequest(ctx, updated, context.xiaoqu)
  await recordAudit(ctx.db, {
    actor,
    action: 'request.resolve',
    entity: 'request',
    entityId: number,
    before: { status: request.status },
    after: { status: 'resolved', note: trimmed },
    at: now,
  })
  await enqueue(
    ctx,
    toAuthor(
      context,
      messages.resolvedNotice(updated, trimmed),
      `request:${number}:resolved:${now.getTime()}`,
    ),
    now,
  )
  return updated
}

export async function reclassifyRequest(
  ctx: Ctx,
  actor: Actor & { kind: 'staff' },
  number: string,
  change: { category: string; urgency?: 'urgent' | 'normal'; reason: string },
) {
  if (!categoryCodes.includes(change.category as Category)) {
    throw invalid(
      'requests.bad_category',
      `没有"${change.category}"这个分类。可选：${categoryCodes.join('、')}。`,
      { categories: categoryCodes },
    )
  }
  // Reclassifying moves deadlines: the officers' call, not the assignee's.
  assertRole(actor.staff, ['officer', 'community_worker'])
  const { request, context } = await loadForStaff(ctx, actor, number)
  const info = categoryInfo(change.category as Category)
  const now = ctx.clock.now()
  const urgency = change.urgency ?? request.urgency
  // Deadlines follow the new class from the original filing time, so a reclassification cannot reset the clock.
  const due = computeDeadlines({
    at: request.createdAt,
    category: info.code,
    slaClass: info.slaClass,
    urgency,
    config: ctx.config.sla,
    calendar: ctx.calendar,
  })
  const updated = await repo.updateRequest(ctx.db, request.id, {
    category: info.code,
    menuItem: info.menuItem,
    urgency,
    ...due,
    updatedAt: now,
  })
  const before = { category: request.category, menuItem: request.menuItem, urgency: request.urgency }
  const after = { category: updated.category, menuItem: updated.menuItem, urgency: updated.urgency }
  await staffEvent(ctx, actor, request, 'reclassified', change.reason, { before, after })
  await watchRequest(ctx, updated, context.xiaoqu)
  await recordAudit(ctx.db, {
    actor,
    action: 'request.reclassify',
    entity: 'request',
    entityId: number,
    before,
    after: { ...after, reason: change.reason },
    at: now,
  })
  return updated
}

export async function rateRequest(
  ctx: Ctx,
  resident: ResidentRow,
  number: string,
  rating: 'satisfied' | 'unsatisfied',
  reason?: string,
  place: { xiaoquId?: number | null } = {},
) {
  const request = await repo.findRequestByNumber(ctx.db, number, true)
  if (!request) throw errors.requestNotFound(number)
  if (request.residentId !== resident.id) {
    // Someone else's request: said so only within the resident's own xiaoqu, so numbers cannot be probed.
    const theirs = place.xiaoquId
      ? new Set([place.xiaoquId])
      : await repo.xiaoquOfResident(ctx.db, resident.id)
    if (!request.xiaoquId || !theirs.has(request.xiaoquId)) throw errors.requestNotFound(number)
    throw errors.notAuthor(number)
  }
  if (request.status !== 'resolved') {
    if (request.status === 'closed')
      throw new AppError('requests.already_rated', 409, `诉求 ${number} 已评价过，谢谢您。`)
    throw new AppError(
      'requests.not_resolved',
      409,
      `诉求 ${number} 还没有办结（当前：${messages.statusNames[request.status]}），办结后才能评价。`,
    )
  }
  if (rating === 'unsatisfied' && !reason?.trim()) {
    throw invalid('requests.reason_required', `请说明不满意的原因，例如："不满意 ${number} 灯还是不亮"。`)
  }
  const now = ctx.clock.now()
  const base = {
    requestId: request.id,
    actorKind: 'resident' as const,
    actorId: resident.id,
    actorName: resident.name,
    at: now,
  }
  await repo.addRequestEvent(ctx.db, {
    ...base,
    kind: 'rated',
    note: reason?.trim() || null,
    data: { rating },
  })
  if (rating === 'satisfied') {
    return repo.updateRequest(ctx.db, request.id, { status: 'closed', rating, ratedAt: now, updatedAt: now })
  }
  // 不满意 reopens it: the resolution clock runs again from where it stood.
  const updated = await repo.updateRequest(ctx.db, request.id, {
    status: 'accepted',
    rating,
    ratedAt: now,
    resolvedAt: null,
    // Reopened by its author: they need it after all.
    withdrawalAskedAt: null,
    updatedAt: now,
  })
  await repo.addRequestEvent(ctx.db, { ...base, kind: 'reopened', note: reason!.trim() })
  const context = await repo.loadRequestContext(ctx.db, updated)
  await watchRequest(ctx, updated, context.xiaoqu)
  const text = messages.reopenedNotice(updated, reason!.trim())
  await tellHolder(ctx, context, text, `request:${number}:reopened:${now.getTime()}`, now)
  return updated
}

/**
 * Tells whoever acts on a request: its holder in private chat, or, when nobody holds it or the holder has
 * no WeChat bound, the officers' groups covering its xiaoqu. `key` keeps each message to one sending.
 */
async function tellHolder(
  ctx: Ctx,
  context: Awaited<ReturnType<typeof repo.loadRequestContext>>,
  text: string,
  key: string,
  now: Date,
) {
  const outgoing: OutgoingMessage[] = []
  if (context.assignee?.wechatId)
    outgoing.push({ conversationId: context.assignee.wechatId, isRoom: false, text, dedupeKey: key })
  else if (context.xiaoqu) {
    for (const g of await repo.officerGroupsCovering(ctx.db, context.xiaoqu.path)) {
      outgoing.push({ conversationId: g.roomId, isRoom: true, text, dedupeKey: `${key}:room:${g.roomId}` })
    }
  }
  await enqueue(ctx, outgoing, now)
}

/**
 * 催办: a resident who may follow the request chases it. Recorded once a day per resident (the request's
 * history shows who chased it and what they said); the holder, or the officers' groups covering the xiaoqu
 * when nobody holds it or the holder has no WeChat bound, are told once a day per request, however many
 * chase it. A request already resolved or closed is not chased: 'finished'.
 */
export async function urgeRequest(
  ctx: Ctx,
  resident: ResidentRow,
  request: repo.RequestRow,
  context: Awaited<ReturnType<typeof repo.loadRequestContext>>,
  said: string,
): Promise<'urged' | 'again' | 'joined' | 'finished'> {
  if (request.status === 'resolved' || request.status === 'closed') return 'finished'
  const now = ctx.clock.now()
  const day = shanghaiDate(now)
  const chasers = await repo.urgedSince(ctx.db, request.id, fromShanghai(day))
  if (chasers.includes(resident.id)) return 'again'
  await repo.addRequestEvent(ctx.db, {
    requestId: request.id,
    kind: 'urged',
    actorKind: 'resident',
    actorId: resident.id,
    actorName: resident.name,
    // Cut whole: half an emoji would fail the statement on PGlite.
    note: said.trim() ? messages.excerpt(said.trim(), 200) : null,
    at: now,
  })
  await repo.countUrge(ctx.db, request.id, now)
  const text = messages.urgedNotice(request, context.xiaoqu?.name ?? '', resident.name ?? '居民', said)
  // One key a day: a second chaser's notice of the same day is not sent again.
  await tellHolder(ctx, context, text, `request:${request.number}:urged:${day}`, now)
  return chasers.length === 0 ? 'urged' : 'joined'
}

/**
 * 撤回: the author says a request is no longer needed (filed by mistake, fixed meanwhile). The request is not
 * closed by the resident's word: it is recorded in its history and its holder (or the officers' groups) told
 * once, to check and resolve it, so no request leaves an officer's list without an officer's act.
 */
export async function askWithdrawal(
  ctx: Ctx,
  resident: ResidentRow,
  request: repo.RequestRow,
  context: Awaited<ReturnType<typeof repo.loadRequestContext>>,
  said: string,
): Promise<'asked' | 'again' | 'finished'> {
  if (!repo.isOpenRequest(request)) return 'finished'
  if (request.withdrawalAskedAt) return 'again'
  const now = ctx.clock.now()
  await repo.updateRequest(ctx.db, request.id, { withdrawalAskedAt: now })
  await repo.addRequestEvent(ctx.db, {
    requestId: request.id,
    kind: 'withdrawal_asked',
    actorKind: 'resident',
    actorId: resident.id,
    actorName: resident.name,
    note: said.trim() ? messages.excerpt(said.trim(), 200) : null,
    at: now,
  })
  const text = messages.withdrawalNotice(request, context.xiaoqu?.name ?? '', resident.name ?? '居民', said)
  // Once per open period: `withdrawalAskedAt` keeps it to one, and a reopen clears it for the next.
  await tellHolder(ctx, context, text, `request:${request.number}:withdrawal:${now.getTime()}`, now)
  return 'asked'
}

/** The one answer to 同求 on a number of another xiaoqu, or on none: it does not say which. */
export const notInYourXiaoqu = (number: string) =>
  notFound('requests.not_in_your_xiaoqu', messages.notInYourXiaoqu(number), { number })

/**
 * 同求: one more resident of the same xiaoqu has the same problem; counted once per resident. `place` is where
 * they said it: a group of a xiaoqu, or a private chat (then the xiaoqu they are known to live in). A number
 * of another xiaoqu gets the same answer as a number that does not exist, so numbers cannot be probed.
 */
export async function supportRequest(
  ctx: Ctx,
  resident: ResidentRow,
  number: string,
  place: { xiaoquId: number | null | undefined },
) {
  const request = await repo.findRequestByNumber(ctx.db, number, true)
  const theirs = place.xiaoquId ? new Set([place.xiaoquId]) : await repo.xiaoquOfResident(ctx.db, resident.id)
  if (!request?.xiaoquId || !theirs.has(request.xiaoquId)) throw notInYourXiaoqu(number)
  if (request.residentId === resident.id) {
    throw new AppError('requests.own_request', 409, `诉求 ${number} 是您自己提交的，不需要同求。`)
  }
  if (request.status === 'closed') throw errors.wrongStatus(request, '同求')
  const now = ctx.clock.now()
  const inserted = await ctx.db
    .insert(requestSupporters)
    .values({ requestId: request.id, residentId: resident.id, at: now })
    .onConflictDoNothing()
    .returning()
  if (inserted.length === 0) return { request, added: false }
  const [updated] = await ctx.db
    .update(requests)
    .set({ supportCount: request.supportCount + 1, updatedAt: now })
    .where(eq(requests.id, request.id))
    .returning()
  await repo.addRequestEvent(ctx.db, {
    requestId: request.id,
    kind: 'supported',
    actorKind: 'resident',
    actorId: resident.id,
    actorName: resident.name,
    note: null,
    at: now,
  })
  return { request: updated!, added: true }
}

/**
 * Moves a request's resolution deadline (延期), or holds its nudges until a time (暂缓提醒). Either needs a
 * reason, and is an event on the request and in the audit log. The response clock moves too if the
 * request has not been accepted yet and its response deadline would fall after the new one.
 */
export async function extendRequest(
  ctx: Ctx,
  actor: Actor & { kind: 'staff' },
  number: string,
  change: { resolutionDueAt?: Date; snoozeUntil?: Date; reason: string },
) {
  const reason = change.reason.trim()
  if (!reason) throw invalid('requests.reason_required', '延期或暂缓提醒须写明原因。')
  if (!change.resolutionDueAt && !change.snoozeUntil) {
    throw invalid(
      'requests.nothing_to_change',
      '请给出新的办结时限（resolutionDueAt）或暂缓提醒到的时间（snoozeUntil）。',
    )
  }
  const { request, context } = await loadForStaff(ctx, actor, number)
  if (!repo.openStatuses.includes(request.status as never)) throw errors.wrongStatus(request, '延期')
  const now = ctx.clock.now()
  for (const at of [change.resolutionDueAt, change.snoozeUntil]) {
    if (at && at <= now) throw invalid('requests.time_in_past', '新的时间必须晚于现在。')
  }
  let updated = request
  if (change.resolutionDueAt) {
    updated = await repo.updateRequest(ctx.db, request.id, {
      resolutionDueAt: change.resolutionDueAt,
      updatedAt: now,
    })
    await watchRequest(ctx, updated, context.xiaoqu)
  }
  if (change.snoozeUntil) {
    await snoozeWatches(
      ctx.db,
      ctx,
      ['request-response', 'request-resolution'],
      request.id,
      change.snoozeUntil,
    )
  }
  const before = { resolutionDueAt: request.resolutionDueAt }
  const after = {
    resolutionDueAt: updated.resolutionDueAt,
    snoozeUntil: change.snoozeUntil ?? null,
    reason,
  }
  await staffEvent(ctx, actor, request, 'extended', reason, after)
  await recordAudit(ctx.db, {
    actor,
    action: change.resolutionDueAt ? 'request.extend' : 'request.snooze',
    entity: 'request',
    entityId: number,
    before,
    after,
    at: now,
  })
  return updated
}
