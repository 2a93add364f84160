import { and, asc, eq, like, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { areas, buildings, households, units, xiaoqu } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { type Actor, assertRole, assertScope } from '../shared/actor'
import { conflict, invalid, notFound } from '../shared/errors'

type StaffActor = Actor & { kind: 'staff' }
const parentKind = { district: null, street: 'district', community: 'street' } as const

export async function createArea(
  db: DbOrTx,
  actor: StaffActor,
  input: { kind: (typeof areas.$inferInsert)['kind']; name: string; parentId?: number },
  now: Date,
) {
  assertRole(actor.staff, [])
  const wanted = parentKind[input.kind]
  let parentPath = '/'
  if (wanted) {
    if (!input.parentId)
      throw invalid('areas.parent_required', `创建${input.kind}需要上级区域 parentId。`, {
        fields: ['parentId'],
      })
    const [parent] = await db.select().from(areas).where(eq(areas.id, input.parentId))
    if (!parent) throw notFound('areas.not_found', `没有编号为 ${input.parentId} 的区域。`)
    if (parent.kind !== wanted)
      throw invalid('areas.bad_parent', `上级区域必须是 ${wanted}，而 ${parent.name} 是 ${parent.kind}。`, {
        fields: ['parentId'],
      })
    parentPath = parent.path
  } else if (input.parentId) {
    throw invalid('areas.bad_parent', '区（district）没有上级区域。', { fields: ['parentId'] })
  }
  const existing = await db
    .select()
    .from(areas)
    .where(
      and(
        eq(areas.name, input.name),
        input.parentId ? eq(areas.parentId, input.parentId) : sql`${areas.parentId} is null`,
      ),
    )
  if (existing.length > 0) throw conflict('areas.exists', `"${input.name}" 已存在。`, { id: existing[0]!.id })
  const [row] = await db
    .insert(areas)
    .values({ kind: input.kind, name: input.name, parentId: input.parentId ?? null, createdAt: now })
    .returning()
  const [withPath] = await db
    .update(areas)
    .set({ path: `${parentPath}${row!.id}/` })
    .where(eq(areas.id, row!.id))
    .returning()
  await recordAudit(db, {
    actor,
    action: 'area.create',
    entity: 'area',
    entityId: row!.id,
    after: withPath,
    at: now,
  })
  return withPath!
}

export async function listAreas(db: DbOrTx, scopePath: string | null) {
  const rows = await db.select().from(areas).orderBy(asc(areas.path))
  // Staff see their own area, the areas above it (for context) and everything below.
  return scopePath === null
    ? rows
    : rows.filter((a) => a.path.startsWith(scopePath) || scopePath.startsWith(a.path))
}

export async function createXiaoqu(
  db: DbOrTx,
  actor: StaffActor,
  input: { communityId: number; name: string; address?: string; buildYear?: number },
  now: Date,
) {
  assertRole(actor.staff, ['officer'])
  const [community] = await db.select().from(areas).where(eq(areas.id, input.communityId))
  if (community?.kind !== 'community') {
    throw notFound('areas.not_found', `没有编号为 ${input.communityId} 的社区。`, { fields: ['communityId'] })
  }
  assertScope(actor.staff, community.path)
  const [dupe] = await db
    .select()
    .from(xiaoqu)
    .where(and(eq(xiaoqu.communityId, community.id), eq(xiaoqu.name, input.name)))
  if (dupe) throw conflict('xiaoqu.exists', `${community.name} 已有小区"${input.name}"。`, { id: dupe.id })
  const [row] = await db
    .insert(xiaoqu)
    .values({
      communityId: community.id,
      name: input.name,
      address: input.address ?? null,
      buildYear: input.buildYear ?? null,
      createdAt: now,
    })
    .returning()
  const [withPath] = await db
    .update(xiaoqu)
    .set({ path: `${community.path}x${row!.id}/` })
    .where(eq(xiaoqu.id, row!.id))
    .returning()
  await recordAudit(db, {
    actor,
    action: 'xiaoqu.create',
    entity: 'xiaoqu',
    entityId: row!.id,
    after: withPath,
    at: now,
  })
  return withPath!
}

export async function listXiaoqu(db: DbOrTx, scopePath: string | null) {
  const rows = await db
    .select({
      id: xiaoqu.id,
      name: xiaoqu.name,
      address: xiaoqu.address,
      buildYear: xiaoqu.buildYear,
      communityId: xiaoqu.communityId,
      communityName: areas.name,
      households: sql<number>`(select count(*)::int from ${households} h where h.xiaoqu_id = ${xiaoqu.id})`,
    })
    .from(xiaoqu)
    .innerJoin(areas, eq(areas.id, xiaoqu.communityId))
    .where(scopePath ? like(xiaoqu.path, `${scopePath}%`) : undefined)
    .orderBy(asc(xiaoqu.id))
  return rows.map((r) => ({ ...r, households: Number(r.households) }))
}

export async function getXiaoquForStaff(db: DbOrTx, actor: StaffActor, id: number) {
  const [row] = await db.select().from(xiaoqu).where(eq(xiaoqu.id, id))
  if (!row) throw notFound('xiaoqu.not_found', `没有编号为 ${id} 的小区。`)
  assertScope(actor.staff, row.path)
  return row
}

export interface RoomInput {
  building: string
  unit: string
  room: string
  /** m² with up to two decimals, stored exactly as hundredths. */
  areaCenti?: number
}

/** Adds buildings, units and households (existing ones are kept, areas updated). */
export async function addRooms(
  db: DbOrTx,
  actor: StaffActor,
  xiaoquId: number,
  rooms: readonly RoomInput[],
  now: Date,
) {
  assertRole(actor.staff, ['officer', 'community_worker'])
  const place = await getXiaoquForStaff(db, actor, xiaoquId)
  let added = 0
  for (const r of rooms) {
    const [b] = await db
      .insert(buildings)
      .values({ xiaoquId: place.id, name: r.building })
      .onConflictDoUpdate({ target: [buildings.xiaoquId, buildings.name], set: { name: r.building } })
      .returning()
    const [u] = await db
      .insert(units)
      .values({ buildingId: b!.id, name: r.unit })
      .onConflictDoUpdate({ target: [units.buildingId, units.name], set: { name: r.unit } })
      .returning()
    const inserted = await db
      .insert(households)
      .values({
        xiaoquId: place.id,
        buildingId: b!.id,
        unitId: u!.id,
        room: r.room,
        exclusiveAreaCenti: r.areaCenti ?? null,
      })
      .onConflictDoUpdate({
        target: [households.unitId, households.room],
        set: { exclusiveAreaCenti: r.areaCenti ?? null },
      })
      .returning({ id: households.id })
    added += inserted.length
  }
  await recordAudit(db, {
    actor,
    action: 'xiaoqu.add_rooms',
    entity: 'xiaoqu',
    entityId: xiaoquId,
    after: { count: rooms.length },
    at: now,
  })
  return { count: added }
}

export async function listRooms(db: DbOrTx, xiaoquId: number) {
  return db
    .select({
      id: households.id,
      building: buildings.name,
      unit: units.name,
      room: households.room,
      exclusiveAreaCenti: households.exclusiveAreaCenti,
    })
    .from(households)
    .innerJoin(buildings, eq(buildings.id, households.buildingId))
    .innerJoin(units, eq(units.id, households.unitId))
    .where(eq(households.xiaoquId, xiaoquId))
    .orderBy(asc(buildings.id), asc(units.id), asc(households.id))
}

export async function listBuildings(db: DbOrTx, xiaoquId: number) {
  return db
    .select({ id: buildings.id, name: buildings.name })
    .from(buildings)
    .where(eq(buildings.xiaoquId, xiaoquId))
    .orderBy(asc(buildings.id))
}
