import { and, eq } from 'drizzle-orm'
import type { Db, DbOrTx } from '../../db/client'
import {
  buildings,
  chatGroups,
  households,
  residentHouseholds,
  residents,
  settings,
  staff,
  units,
} from '../../db/schema'
import { addRooms, createArea, createXiaoqu } from '../areas/areas.usecases'
import { createOrganisation } from '../organisations/organisations.usecases'
import { createProject, moveStage } from '../projects/projects.usecases'
import type { Actor } from '../shared/actor'
import type { Deps } from '../shared/deps'
import { shanghaiParts } from '../sla/calendar'
import { staffChanged } from '../staff/staff.changes'
import {
  demoAreaCenti,
  demoFloors,
  demoOfficersRoom,
  demoResidents,
  demoRoomsPerFloor,
  demoStaff,
  demoStreet,
  demoUnits,
  demoXiaoqu,
} from './demo.data'

/** Seeds the demo community once; a second call finds the marker and does nothing. */
/**
 * Seeds the demo community once. Given the clock, config and calendar it also seeds the parties and one
 * renovation project at 农光里 in stage 确认, so 待办 shows a task in the sandbox.
 */
export async function seedDemoCommunity(
  db: Db,
  now: Date,
  projectDeps?: Pick<Deps, 'clock' | 'config' | 'calendar'>,
) {
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(settings)
      .values({ key: 'demo_seeded', value: true })
      .onConflictDoNothing()
      .returning()
    if (inserted.length === 0) return { seeded: false }
    const [adminSetting] = await tx.select().from(settings).where(eq(settings.key, 'admin_staff_id'))
    const [admin] = await tx
      .select()
      .from(staff)
      .where(eq(staff.id, Number(adminSetting?.value)))
    if (!admin) throw new Error('seed needs the admin: call ensureAdmin first')
    const actor: Actor & { kind: 'staff' } = { kind: 'staff', staff: admin, via: 'api' }
    const district = await createArea(tx, actor, { kind: 'district', name: demoStreet.district }, now)
    const street = await createArea(
      tx,
      actor,
      { kind: 'street', name: demoStreet.street, parentId: district.id },
      now,
    )
    const communities = new Map<string, typeof street>()
    for (const name of demoStreet.communities) {
      communities.set(
        name,
        await createArea(tx, actor, { kind: 'community', name, parentId: street.id }, now),
      )
    }
    const places = new Map<string, { id: number; path: string }>()
    for (const d of demoXiaoqu) {
      const place = await createXiaoqu(
        tx,
        actor,
        {
          communityId: communities.get(d.community)!.id,
          name: d.name,
          address: d.address,
          buildYear: d.buildYear,
        },
        now,
      )
      places.set(d.key, place)
      const rooms = d.buildings.flatMap((building) =>
        demoUnits.flatMap((unit) =>
          Array.from({ length: demoFloors * demoRoomsPerFloor }, (_, i) => {
            const room = `${Math.floor(i / demoRoomsPerFloor) + 1}0${(i % demoRoomsPerFloor) + 1}`
            return { building, unit, room, areaCenti: demoAreaCenti(building, unit, room) }
          }),
        ),
      )
      await addRooms(tx, actor, place.id, rooms, now)
      await tx.insert(chatGroups).values({
        roomId: d.roomId,
        topic: d.topic,
        kind: 'residents',
        xiaoquId: place.id,
        scopePath: place.path,
        boundBy: admin.id,
        createdAt: now,
      })
    }
    await tx.insert(chatGroups).values({
      roomId: demoOfficersRoom.roomId,
      topic: demoOfficersRoom.topic,
      kind: 'officers',
      scopePath: street.path,
      boundBy: admin.id,
      createdAt: now,
    })
    const scopeOf = (name: string) => (name === street.name ? street.path : communities.get(name)!.path)
    const [leader] = await tx
      .insert(staff)
      .values(
        demoStaff.map((s) => ({
          name: s.name,
          role: s.role,
          scopePath: scopeOf(s.scope),
          phone: s.phone,
          wechatId: s.id,
          createdAt: now,
        })),
      )
      .returning()
    await tx.update(staff).set({ supervisorId: leader!.id }).where(eq(staff.role, 'officer'))
    await tx.update(staff).set({ supervisorId: null }).where(eq(staff.id, leader!.id))
    staffChanged()
    for (const r of demoResidents) {
      const [resident] = await tx
        .insert(residents)
        .values({ wechatId: r.id, name: r.name, phone: r.phone, createdAt: now })
        .returning()
      const place = places.get(r.xiaoquKey)!
      const found = await findHousehold(tx, place.id, r.building, r.unit, r.room)
      if (found)
        await tx.insert(residentHouseholds).values({
          residentId: resident!.id,
          householdId: found,
          verifiedAt: now,
          verifiedBy: admin.id,
          createdAt: now,
        })
    }
    if (projectDeps) await seedDemoProject({ ...projectDeps, db: tx }, actor, places.get('ngl')!.id, now)
    return { seeded: true }
  })
}

async function seedDemoProject(
  ctx: Pick<Deps, 'clock' | 'config' | 'calendar'> & { db: DbOrTx },
  admin: Actor & { kind: 'staff' },
  xiaoquId: number,
  now: Date,
) {
  const org = (kind: Parameters<typeof createOrganisation>[2]['kind'], name: string) =>
    createOrganisation({ db: ctx.db, now }, admin, { kind, name })
  const implementing = await org('implementing_entity', '北京劲松城市更新有限公司')
  const property = await org('property_company', '愿景明德物业')
  const planner = await org('responsible_planner', '劲松街道责任规划师团队')
  await org('construction_unit', '北京城建修缮工程公司')
  const [responsible] = await ctx.db.select().from(staff).where(eq(staff.wechatId, 'wxid_demo_lihong'))
  const project = await createProject(ctx, admin, {
    xiaoquId,
    year: shanghaiParts(now).year,
    title: '农光里小区综合整治',
    items: [
      { name: '楼本体节能改造', kind: 'basic' },
      { name: '上下水管线改造', kind: 'basic' },
      { name: '加装电梯', kind: 'optional' },
      { name: '补建停车设施', kind: 'optional' },
    ],
    plannedInvestment: '18650000.00',
    responsibleStaffId: responsible!.id,
    implementingEntityId: implementing.id,
    propertyCompanyId: property.id,
    plannerId: planner.id,
  })
  await moveStage(ctx, admin, project.number, { to: '确认' })
}

async function findHousehold(db: DbOrTx, xiaoquId: number, building: string, unit: string, room: string) {
  const [row] = await db
    .select({ id: households.id })
    .from(households)
    .innerJoin(buildings, eq(buildings.id, households.buildingId))
    .innerJoin(units, eq(units.id, households.unitId))
    .where(
      and(
        eq(households.xiaoquId, xiaoquId),
        eq(buildings.name, building),
        eq(units.name, unit),
        eq(households.room, room),
      ),
    )
  return row?.id
}
