import { asc, eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { areas, type organisationKinds, organisations, ownersOrganisations, xiaoqu } from '../../db/schema'
import { getXiaoquForStaff } from '../areas/areas.usecases'
import { recordAudit } from '../audit/audit'
import { type Actor, assertRole, scopeCovers } from '../shared/actor'
import { conflict, forbidden, invalid, notFound } from '../shared/errors'

type StaffActor = Actor & { kind: 'staff' }
type Ctx = { db: DbOrTx; now: Date }

export const organisationKindNames: Record<(typeof organisationKinds)[number], string> = {
  street_office: '街道办事处',
  community_committee: '社区居委会',
  implementing_entity: '实施主体',
  property_company: '物业服务企业',
  property_rights_unit: '原产权单位',
  responsible_planner: '责任规划师',
  construction_unit: '施工单位',
}

/**
 * The area an organisation is registered under, checked against the registering officer's scope: an
 * officer registers within their own area (by default their own area itself), never in another street's;
 * only admins register city-wide ones (no area).
 */
async function organisationArea(db: DbOrTx, actor: StaffActor, areaId: number | undefined) {
  const scope = actor.staff.scopePath
  if (areaId === undefined) {
    if (scope === null) return null
    // A scope path is '/<district>/<street>/<community>/', or a xiaoqu's with 'x<id>/' at the end.
    const own = /\/(\d+)\/$/.exec(scope)
    if (!own) {
      throw forbidden(
        'organisations.scope_too_narrow',
        '您的管辖范围是一个小区，不能登记单位。请由社区、街道的工作人员或管理员登记。',
      )
    }
    return Number(own[1])
  }
  const [area] = await db.select().from(areas).where(eq(areas.id, areaId))
  if (!area) throw notFound('areas.not_found', `没有编号为 ${areaId} 的区域。`, { fields: ['areaId'] })
  if (!scopeCovers(scope, area.path)) {
    throw forbidden('auth.out_of_scope', `区域 ${areaId} 不在您的管辖范围内，只能在您管辖的区域内登记单位。`)
  }
  return area.id
}

/** A party to projects: an implementing entity, a property company, a planner, a construction unit, … */
export async function createOrganisation(
  ctx: Ctx,
  actor: StaffActor,
  input: { kind: (typeof organisationKinds)[number]; name: string; areaId?: number },
) {
  assertRole(actor.staff, ['officer'])
  const areaId = await organisationArea(ctx.db, actor, input.areaId)
  const name = input.name.trim()
  const [existing] = await ctx.db.select().from(organisations).where(eq(organisations.name, name))
  if (existing) throw conflict('organisations.exists', `已有名为"${name}"的单位（编号 ${existing.id}）。`)
  const [row] = await ctx.db
    .insert(organisations)
    .values({ kind: input.kind, name, areaId, createdAt: ctx.now })
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: 'organisation.create',
    entity: 'organisation',
    entityId: String(row!.id),
    after: row,
    at: ctx.now,
  })
  return row!
}

export function listOrganisations(db: DbOrTx) {
  return db.select().from(organisations).orderBy(asc(organisations.id))
}

/**
 * A xiaoqu's governance: its owners' organisation (业主委员会 or 物业管理委员会, for the formation rate) and
 * the property company managing it (for coverage). `null` clears either.
 */
export async function setXiaoquGovernance(
  ctx: Ctx,
  actor: StaffActor,
  xiaoquId: number,
  input: {
    ownersOrganisation?: {
      kind: 'owners_committee' | 'property_management_committee'
      formedOn: string
    } | null
    propertyCompanyId?: number | null
  },
) {
  assertRole(actor.staff, ['officer', 'community_worker'])
  const place = await getXiaoquForStaff(ctx.db, actor, xiaoquId)
  const [before] = await ctx.db
    .select()
    .from(ownersOrganisations)
    .where(eq(ownersOrganisations.xiaoquId, place.id))
  if (input.propertyCompanyId) {
    const [org] = await ctx.db
      .select()
      .from(organisations)
      .where(eq(organisations.id, input.propertyCompanyId))
    if (org?.kind !== 'property_company') {
      throw invalid(
        'xiaoqu.bad_property_company',
        `单位 ${input.propertyCompanyId} 不存在或不是物业服务企业。`,
      )
    }
  }
  if (input.propertyCompanyId !== undefined) {
    await ctx.db
      .update(xiaoqu)
      .set({ propertyCompanyId: input.propertyCompanyId })
      .where(eq(xiaoqu.id, place.id))
  }
  if (input.ownersOrganisation === null) {
    await ctx.db.delete(ownersOrganisations).where(eq(ownersOrganisations.xiaoquId, place.id))
  } else if (input.ownersOrganisation) {
    await ctx.db
      .insert(ownersOrganisations)
      .values({ xiaoquId: place.id, ...input.ownersOrganisation })
      .onConflictDoUpdate({ target: ownersOrganisations.xiaoquId, set: input.ownersOrganisation })
  }
  const [owners] = await ctx.db
    .select()
    .from(ownersOrganisations)
    .where(eq(ownersOrganisations.xiaoquId, place.id))
  const [updated] = await ctx.db.select().from(xiaoqu).where(eq(xiaoqu.id, place.id))
  const after = { ownersOrganisation: owners ?? null, propertyCompanyId: updated!.propertyCompanyId }
  await recordAudit(ctx.db, {
    actor,
    action: 'xiaoqu.governance',
    entity: 'xiaoqu',
    entityId: String(place.id),
    before: { ownersOrganisation: before ?? null, propertyCompanyId: place.propertyCompanyId },
    after,
    at: ctx.now,
  })
  return after
}

/** A xiaoqu's governance as it stands: its owners' organisation and its property company, if any. */
export async function getXiaoquGovernance(db: DbOrTx, actor: StaffActor, xiaoquId: number) {
  const place = await getXiaoquForStaff(db, actor, xiaoquId)
  const [owners] = await db
    .select()
    .from(ownersOrganisations)
    .where(eq(ownersOrganisations.xiaoquId, place.id))
  const [company] = place.propertyCompanyId
    ? await db.select().from(organisations).where(eq(organisations.id, place.propertyCompanyId))
    : []
  return { xiaoqu: place, ownersOrganisation: owners ?? null, propertyCompany: company ?? null }
}
