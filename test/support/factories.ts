import { eq } from 'drizzle-orm'
import { createArea, createXiaoqu } from '../../core/areas/areas.usecases'
import { fileRequest } from '../../core/requests/requests.usecases'
import type { Actor, StaffRow } from '../../core/shared/actor'
import { createStaff, issueBindCode } from '../../core/staff/staff.usecases'
import { chatGroups, residents, settings, staff } from '../../db/schema'
import type { TestDeps } from './deps'

let counter = 0
export const uniqueId = (prefix: string) =>
  `${prefix}_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 7)}`

export async function adminActor(deps: TestDeps): Promise<Actor & { kind: 'staff' }> {
  const [setting] = await deps.db.select().from(settings).where(eq(settings.key, 'admin_staff_id'))
  const [admin] = await deps.db
    .select()
    .from(staff)
    .where(eq(staff.id, Number(setting!.value)))
  return { kind: 'staff', staff: admin!, via: 'api' }
}

/**
 * A small world of its own for one test: a street with one community and xiaoqu, its residents' group,
 * an officers' group, an officer bound to WeChat and a resident.
 */
export async function makeWorld(deps: TestDeps) {
  const now = deps.clock.now()
  const admin = await adminActor(deps)
  const district = await createArea(deps.db, admin, { kind: 'district', name: uniqueId('区') }, now)
  const street = await createArea(
    deps.db,
    admin,
    { kind: 'street', name: uniqueId('街道'), parentId: district.id },
    now,
  )
  const community = await createArea(
    deps.db,
    admin,
    { kind: 'community', name: uniqueId('社区'), parentId: street.id },
    now,
  )
  const place = await createXiaoqu(deps.db, admin, { communityId: community.id, name: uniqueId('小区') }, now)
  const roomId = `${uniqueId('room')}@chatroom`
  const officersRoomId = `${uniqueId('officers')}@chatroom`
  const [group] = await deps.db
    .insert(chatGroups)
    .values({
      roomId,
      topic: '居民群',
      kind: 'residents',
      xiaoquId: place.id,
      scopePath: place.path,
      createdAt: now,
    })
    .returning()
  await deps.db.insert(chatGroups).values({
    roomId: officersRoomId,
    topic: '工作群',
    kind: 'officers',
    scopePath: street.path,
    createdAt: now,
  })
  const officer = await makeStaff(deps, {
    name: uniqueId('官员'),
    role: 'officer',
    areaId: community.id,
    wechat: true,
  })
  const residentWechatId = uniqueId('wxid_resident')
  const [resident] = await deps.db
    .insert(residents)
    .values({ wechatId: residentWechatId, name: '张桂兰', phone: '13501010001', createdAt: now })
    .returning()
  return {
    admin,
    district,
    street,
    community,
    xiaoqu: place,
    group: group!,
    roomId,
    officersRoomId,
    officer,
    resident: resident!,
  }
}

export async function makeStaff(
  deps: TestDeps,
  input: { name: string; role: StaffRow['role']; areaId?: number; xiaoquId?: number; wechat?: boolean },
) {
  const admin = await adminActor(deps)
  const { staff: row, token } = await createStaff(deps.db, admin, input, deps.clock.now())
  let bound = row
  if (input.wechat) {
    ;[bound] = (await deps.db
      .update(staff)
      .set({ wechatId: uniqueId('wxid_staff') })
      .where(eq(staff.id, row.id))
      .returning()) as [StaffRow]
  }
  return { staff: bound, token, actor: { kind: 'staff' as const, staff: bound, via: 'wechat' as const } }
}

/** A street with a leader over a supervisor over the world's officer, all bound to WeChat. */
export async function chainOfCommand(deps: TestDeps) {
  const world = await makeWorld(deps)
  const leader = await makeStaff(deps, {
    name: uniqueId('主任'),
    role: 'officer',
    areaId: world.street.id,
    wechat: true,
  })
  const supervisor = await makeStaff(deps, {
    name: uniqueId('科长'),
    role: 'officer',
    areaId: world.street.id,
    wechat: true,
  })
  await deps.db.update(staff).set({ supervisorId: leader.staff.id }).where(eq(staff.id, supervisor.staff.id))
  const [owner] = await deps.db
    .update(staff)
    .set({ supervisorId: supervisor.staff.id })
    .where(eq(staff.id, world.officer.staff.id))
    .returning()
  return {
    world,
    leader,
    supervisor,
    owner: owner!,
    ownerActor: { kind: 'staff' as const, staff: owner!, via: 'api' as const },
  }
}

/** A request a world's resident filed in the world's group, as the chat files it. */
export async function fileIn(
  deps: TestDeps,
  world: Awaited<ReturnType<typeof makeWorld>>,
  text = '3号楼2单元楼道灯坏了，晚上看不见',
) {
  const filed = await deps.db.transaction((tx) =>
    fileRequest(
      { ...deps, db: tx },
      {
        text,
        xiaoquId: world.xiaoqu.id,
        channel: 'wechat',
        resident: world.resident,
        groupId: world.group.id,
      },
    ),
  )
  return filed.request
}

/** A community worker of the world's community not yet bound to WeChat, and a live code to bind them. */
export async function newcomerWithBindCode(deps: TestDeps, world: Awaited<ReturnType<typeof makeWorld>>) {
  const newcomer = await makeStaff(deps, {
    name: uniqueId('钱主任'),
    role: 'community_worker',
    areaId: world.community.id,
  })
  const { code } = await issueBindCode(
    deps.db,
    world.admin,
    { purpose: 'staff', staffId: newcomer.staff.id },
    deps.clock.now(),
    deps.config.bindCodeTtlMinutes,
  )
  return { newcomer, code }
}
