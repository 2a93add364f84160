// 派单规则 (work plan's 实施主体, 12345 派单): category × area → the default handler of a new request.
import { and, asc, eq, inArray, isNull, or } from 'drizzle-orm'
import type { Config } from '../../config'
import type { DbOrTx } from '../../db/client'
import { areas, organisations, routingRules, staff } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { type Category, categoryCodes } from '../classify/categories'
import { enqueueMessages } from '../outbox/outbox.repository'
import { type Actor, assertRole, type StaffRow, scopeCovers } from '../shared/actor'
import { conflict, forbidden, invalid, notFound } from '../shared/errors'
import { assignedToYou } from './requests.messages'
import { addRequestEvent, handlingRoles, type RequestRow, updateRequest } from './requests.repository'

type StaffActor = Actor & { kind: 'staff' }
export type RoutingRuleRow = typeof routingRules.$inferSelect
type AreaRow = typeof areas.$inferSelect

export interface RuleHandler {
  kind: 'staff' | 'organisation'
  id: number
  name: string
  /** A staff handler's account is active; an organisation is always "active". */
  active: boolean
}

export interface ListedRule {
  rule: RoutingRuleRow
  area: AreaRow
  handler: RuleHandler
  /** Within the viewer's scope, so they may delete it; rules above it are listed for context only. */
  editable: boolean
}

export interface NewRoutingRule {
  /** A category code; undefined: every category of the area. */
  category?: string
  areaId: number
  handlerStaffId?: number
  handlerOrgId?: number
}

const isHandlingRole = (role: StaffRow['role']) => (handlingRoles as readonly string[]).includes(role)

/** Areas whose path lies within the scope or on the way up to it (for context), like listAreas. */
const related = (scopePath: string | null, path: string) =>
  scopePath === null || path.startsWith(scopePath) || scopePath.startsWith(path)

/** The rules in the viewer's scope (and above it, for context), most specific area first. */
export async function listRoutingRules(db: DbOrTx, viewer: StaffRow): Promise<ListedRule[]> {
  assertRole(viewer, ['officer'])
  const rows = await db
    .select({ rule: routingRules, area: areas, handlerStaff: staff, handlerOrg: organisations })
    .from(routingRules)
    .innerJoin(areas, eq(areas.id, routingRules.areaId))
    .leftJoin(staff, eq(staff.id, routingRules.handlerStaffId))
    .leftJoin(organisations, eq(organisations.id, routingRules.handlerOrgId))
    .orderBy(asc(areas.path), asc(routingRules.category), asc(routingRules.id))
  return rows
    .filter((r) => related(viewer.scopePath, r.area.path))
    .map((r) => ({
      rule: r.rule,
      area: r.area,
      handler: r.handlerStaff
        ? { kind: 'staff', id: r.handlerStaff.id, name: r.handlerStaff.name, active: r.handlerStaff.active }
        : { kind: 'organisation', id: r.handlerOrg?.id ?? 0, name: r.handlerOrg?.name ?? '—', active: true },
      editable: scopeCovers(viewer.scopePath, r.area.path),
    }))
}

/** What the viewer may route to: areas in their scope, staff who handle requests, organisations. */
export async function routingChoices(db: DbOrTx, viewer: StaffRow) {
  assertRole(viewer, ['officer'])
  const [areaRows, staffRows, orgRows] = await Promise.all([
    db.select().from(areas).orderBy(asc(areas.path)),
    db
      .select()
      .from(staff)
      .where(and(eq(staff.active, true), inArray(staff.role, [...handlingRoles])))
      .orderBy(asc(staff.id)),
    db
      .select({ org: organisations, areaPath: areas.path })
      .from(organisations)
      .leftJoin(areas, eq(areas.id, organisations.areaId))
      .orderBy(asc(organisations.id)),
  ])
  return {
    areas: areaRows.filter((a) => scopeCovers(viewer.scopePath, a.path)),
    // Staff scoped to an area (not a single xiaoqu) within or above the viewer's scope.
    staff: staffRows.filter(
      (s) => s.scopePath !== null && !/x\d+\/$/.test(s.scopePath) && related(viewer.scopePath, s.scopePath),
    ),
    organisations: orgRows
      .filter((o) => o.areaPath === null || related(viewer.scopePath, o.areaPath))
      .map((o) => o.org),
  }
}

async function areaInScope(db: DbOrTx, actor: StaffActor, areaId: number) {
  const [area] = await db.select().from(areas).where(eq(areas.id, areaId))
  if (!area) throw notFound('areas.not_found', `没有编号为 ${areaId} 的区域。`, { fields: ['areaId'] })
  if (!scopeCovers(actor.staff.scopePath, area.path)) {
    throw forbidden('auth.out_of_scope', `区域 ${areaId} 不在您的管辖范围内，只能为您管辖的区域设派单规则。`)
  }
  return area
}

/** The handler must be able to take every request of the area: checked when the rule is made. */
async function checkHandler(db: DbOrTx, actor: StaffActor, area: AreaRow, input: NewRoutingRule) {
  if ((input.handlerStaffId === undefined) === (input.handlerOrgId === undefined)) {
    throw invalid('routing.one_handler', '请选择一个处理人：一位工作人员或一个单位（二选一）。', {
      fields: ['handlerStaffId', 'handlerOrgId'],
    })
  }
  if (input.handlerStaffId !== undefined) {
    const [person] = await db.select().from(staff).where(eq(staff.id, input.handlerStaffId))
    if (!person) throw notFound('staff.not_found', `没有编号为 ${input.handlerStaffId} 的工作人员。`)
    if (!person.active) throw invalid('routing.handler_inactive', `${person.name} 已停用，不能作为处理人。`)
    if (!isHandlingRole(person.role)) {
      throw invalid(
        'routing.handler_role',
        `${person.name} 不办理诉求，请选择工作人员、社区工作者或物业人员。`,
      )
    }
    if (!scopeCovers(person.scopePath, area.path)) {
      throw forbidden(
        'routing.handler_out_of_scope',
        `${person.name} 的管辖范围不包括「${area.name}」全部小区，请选择负责该区域的人员，或改选单位。`,
      )
    }
    return
  }
  const [org] = await db
    .select({ org: organisations, areaPath: areas.path })
    .from(organisations)
    .leftJoin(areas, eq(areas.id, organisations.areaId))
    .where(eq(organisations.id, input.handlerOrgId!))
  if (!org) throw notFound('organisations.not_found', `没有编号为 ${input.handlerOrgId} 的单位。`)
  if (org.areaPath !== null && !related(actor.staff.scopePath, org.areaPath)) {
    throw forbidden('auth.out_of_scope', `单位 ${org.org.id} 不在您的管辖范围内，请选择本区域或全市的单位。`)
  }
}

/** Adds a rule (officers within their scope, admins anywhere; audited). One rule per area and category. */
export async function createRoutingRule(db: DbOrTx, actor: StaffActor, input: NewRoutingRule, now: Date) {
  assertRole(actor.staff, ['officer'])
  if (input.category !== undefined && !categoryCodes.includes(input.category as Category)) {
    throw invalid(
      'routing.bad_category',
      `没有"${input.category}"这个分类。可选：${categoryCodes.join('、')}。`,
      {
        fields: ['category'],
      },
    )
  }
  const area = await areaInScope(db, actor, input.areaId)
  await checkHandler(db, actor, area, input)
  const [existing] = await db
    .select()
    .from(routingRules)
    .where(
      and(
        eq(routingRules.areaId, area.id),
        input.category === undefined
          ? isNull(routingRules.category)
          : eq(routingRules.category, input.category),
      ),
    )
  if (existing) {
    throw conflict(
      'routing.exists',
      `「${area.name}」的${input.category ? `「${input.category}」` : '全部分类'}已有派单规则 #${existing.id}，请先删除它再添加。`,
    )
  }
  const [row] = await db
    .insert(routingRules)
    .values({
      category: input.category ?? null,
      areaId: area.id,
      handlerStaffId: input.handlerStaffId ?? null,
      handlerOrgId: input.handlerOrgId ?? null,
      createdBy: actor.staff.id,
      createdAt: now,
    })
    .returning()
  await recordAudit(db, {
    actor,
    action: 'routing.create',
    entity: 'routing_rule',
    entityId: row!.id,
    after: row,
    at: now,
  })
  return row!
}

export async function deleteRoutingRule(db: DbOrTx, actor: StaffActor, id: number, now: Date) {
  assertRole(actor.staff, ['officer'])
  const [rule] = await db.select().from(routingRules).where(eq(routingRules.id, id))
  if (!rule) throw notFound('routing.not_found', `没有编号为 ${id} 的派单规则，可能已被删除。`)
  await areaInScope(db, actor, rule.areaId)
  await db.delete(routingRules).where(eq(routingRules.id, id))
  await recordAudit(db, {
    actor,
    action: 'routing.delete',
    entity: 'routing_rule',
    entityId: id,
    before: rule,
    at: now,
  })
  return rule
}

export type RouteDecision =
  | { kind: 'none' }
  | { kind: 'handler'; rule: RoutingRuleRow; handler: StaffRow }
  /** A rule matched but nobody can take the request: the officers' group gets it, with a note. */
  | { kind: 'unavailable'; rule: RoutingRuleRow }

/**
 * Who a new request of `category` at the xiaoqu (its path '/<district>/<street>/<community>/x<id>/') goes to:
 * the rule of the most specific area on the path (community, then street, then district), one naming the
 * category before the area's catch-all. A staff handler must still be active, handle requests and cover
 * the xiaoqu; an organisation's such staff member with the lowest id takes it.
 */
export async function routeRequest(db: DbOrTx, xiaoquPath: string, category: string): Promise<RouteDecision> {
  const areaIds = [...xiaoquPath.matchAll(/\/(\d+)(?=\/)/g)].map((m) => Number(m[1]))
  if (areaIds.length === 0) return { kind: 'none' }
  const candidates = await db
    .select({ rule: routingRules, depth: areas.path })
    .from(routingRules)
    .innerJoin(areas, eq(areas.id, routingRules.areaId))
    .where(
      and(
        inArray(routingRules.areaId, areaIds),
        or(isNull(routingRules.category), eq(routingRules.category, category)),
      ),
    )
  const best = candidates.sort(
    (a, b) =>
      b.depth.length - a.depth.length || Number(b.rule.category !== null) - Number(a.rule.category !== null),
  )[0]
  if (!best) return { kind: 'none' }
  const { rule } = best
  const takes = (s: StaffRow) => s.active && isHandlingRole(s.role) && scopeCovers(s.scopePath, xiaoquPath)
  const people = await db
    .select()
    .from(staff)
    .where(
      rule.handlerStaffId !== null
        ? eq(staff.id, rule.handlerStaffId)
        : eq(staff.organisationId, rule.handlerOrgId ?? -1),
    )
    .orderBy(asc(staff.id))
  const handler = people.find(takes)
  return handler ? { kind: 'handler', rule, handler } : { kind: 'unavailable', rule }
}

/**
 * 派单: a new request that a routing rule matches goes straight to its handler, recorded as an event and in
 * the audit log, and the handler is told privately instead of the officers' group (`told`). With no rule,
 * or a handler who cannot take it or has no WeChat, the officers' group is told (with `note` saying why).
 */
export async function routeFiledRequest(
  ctx: { db: DbOrTx; config: Pick<Config, 'send'> },
  request: RequestRow,
  place: { path: string; name: string } | undefined,
  now: Date,
): Promise<{ request: RequestRow; told: boolean; note?: string }> {
  const decision = place
    ? await routeRequest(ctx.db, place.path, request.category)
    : { kind: 'none' as const }
  if (decision.kind === 'none') return { request, told: false }
  const { rule } = decision
  if (decision.kind === 'unavailable') {
    return {
      request,
      told: false,
      note: `派单规则 #${rule.id} 的处理人已停用或无人可接，请人工分派并更新规则。`,
    }
  }
  const { handler } = decision
  const updated = await updateRequest(ctx.db, request.id, {
    assigneeStaffId: handler.id,
    updatedAt: now,
  })
  await addRequestEvent(ctx.db, {
    requestId: request.id,
    kind: 'assigned',
    actorKind: 'system',
    actorId: null,
    actorName: null,
    note: `按派单规则 #${rule.id} 派给 ${handler.name}`,
    data: { rule: rule.id, to: handler.id },
    at: now,
  })
  await recordAudit(ctx.db, {
    actor: { kind: 'system' },
    action: 'request.route',
    entity: 'request',
    entityId: request.number,
    after: { ruleId: rule.id, assigneeStaffId: handler.id },
    at: now,
  })
  if (!handler.wechatId) {
    return {
      request: updated,
      told: false,
      note: `已按派单规则 #${rule.id} 派给 ${handler.name}（未绑定微信）。`,
    }
  }
  await enqueueMessages(
    ctx.db,
    [
      {
        conversationId: handler.wechatId,
        isRoom: false,
        text: assignedToYou(updated, place?.name ?? ''),
        dedupeKey: `request:${request.number}:routed:${handler.id}`,
        priority: request.urgency === 'urgent' ? 'urgent' : 'normal',
      },
    ],
    now,
    { maxChars: ctx.config.send.maxChars },
  )
  return { request: updated, told: true }
}
