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
import type { Actor } from '../shared/actor'
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
export async function seedDemoCommunity(db: Db, now: Date) {
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
    return { seeded: true }
  })
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
