import { and, asc, eq, like } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addRooms } from '../../core/areas/areas.usecases'
import { createFeeNotice } from '../../core/notices/fee.usecases'
import { advanceNotices } from '../../core/notices/lifecycle'
import {
  cancelSchedule,
  createSchedule,
  publishSchedule,
  updatePhase,
} from '../../core/notices/schedule.usecases'
import { buildings, chatGroups, outbox } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { adminActor, makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

const shanghai = (local: string) => new Date(`${local}+08:00`)

describe.each(drivers)('construction schedules and fee notices on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver, { start: '2026-03-02T02:00:00Z' })
  })
  afterAll(async () => {
    await deps.database.close()
  })

  const batch = (prefix: string) =>
    deps.db
      .select()
      .from(outbox)
      .where(like(outbox.batch, `${prefix}%`))
      .orderBy(asc(outbox.id))
  const tick = () => advanceNotices(deps)

  /** A xiaoqu with 1号楼 (which has its own group) and 2号楼 (which has none). */
  const worldWithBuildings = async () => {
    const world = await makeWorld(deps)
    await addRooms(
      deps.db,
      await adminActor(deps),
      world.xiaoqu.id,
      [
        { building: '1号楼', unit: '1单元', room: '101' },
        { building: '2号楼', unit: '1单元', room: '101' },
      ],
      deps.clock.now(),
    )
    const [one] = await deps.db
      .select()
      .from(buildings)
      .where(and(eq(buildings.xiaoquId, world.xiaoqu.id), eq(buildings.name, '1号楼')))
    const buildingRoom = `${uniqueId('b1')}@chatroom`
    await deps.db.insert(chatGroups).values({
      roomId: buildingRoom,
      topic: '1号楼群',
      kind: 'building',
      xiaoquId: world.xiaoqu.id,
      buildingId: one!.id,
      scopePath: world.xiaoqu.path,
      createdAt: deps.clock.now(),
    })
    return { ...world, buildingRoom }
  }

  it('refuses a phase that ends before it starts, or an unknown building, naming the field', async () => {
    const world = await worldWithBuildings()
    const phase = {
      name: '外墙保温',
      buildings: ['1号楼'],
      impacts: ['噪音' as const],
      startsAt: shanghai('2026-03-05T08:00:00'),
      endsAt: shanghai('2026-03-04T18:00:00'),
    }
    await expect(
      createSchedule(deps, world.officer.actor, {
        xiaoquId: world.xiaoqu.id,
        title: '施工',
        phases: [phase],
      }),
    ).rejects.toMatchObject({
      code: 'schedule.phase_ends_before_start',
      details: { fields: ['phases.0.endsAt'] },
    })
    await expect(
      createSchedule(deps, world.officer.actor, {
        xiaoquId: world.xiaoqu.id,
        title: '施工',
        phases: [{ ...phase, endsAt: shanghai('2026-03-09T18:00:00'), buildings: ['9号楼'] }],
      }),
    ).rejects.toMatchObject({ code: 'schedule.unknown_building' })
  })

  it('posts the plan once, reminds affected buildings the evening before, and tells of a moved phase', async () => {
    const world = await worldWithBuildings()
    const schedule = await createSchedule(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      title: '综合整治施工',
      phases: [
        {
          name: '外墙保温',
          buildings: ['1号楼'],
          impacts: ['噪音'],
          startsAt: shanghai('2026-03-05T08:00:00'),
          endsAt: shanghai('2026-03-09T18:00:00'),
        },
        {
          name: '雨污管线改造',
          buildings: ['2号楼'],
          impacts: ['停水', '封路'],
          startsAt: shanghai('2026-03-06T08:00:00'),
          endsAt: shanghai('2026-03-07T18:00:00'),
        },
      ],
    })
    await publishSchedule(deps, world.officer.actor, schedule.number)
    const plan = await batch(`schedule:${schedule.number}:publish`)
    expect(plan.map((r) => r.conversationId).sort()).toEqual([world.roomId, world.buildingRoom].sort())

    deps.clock.set(shanghai('2026-03-04T17:59:00'))
    await tick()
    expect(await batch(`schedule:${schedule.number}:eve`)).toHaveLength(0)
    deps.clock.set(shanghai('2026-03-04T18:00:00'))
    await tick()
    await tick()
    let eves = await batch(`schedule:${schedule.number}:eve`)
    expect(eves.map((r) => r.conversationId)).toEqual([world.buildingRoom])
    expect(eves[0]!.text).toContain('外墙保温')

    deps.clock.set(shanghai('2026-03-05T18:30:00'))
    await tick()
    eves = await batch(`schedule:${schedule.number}:eve`)
    // 2号楼 has no group of its own: the xiaoqu's residents' group hears of it.
    expect(eves.map((r) => r.conversationId)).toEqual([world.buildingRoom, world.roomId])
    expect(eves[1]!.text).toContain('停水')

    // The first phase moves to the 12th: a change notice now, and a reminder again on the new eve.
    await updatePhase(deps, world.officer.actor, schedule.number, 1, {
      startsAt: shanghai('2026-03-12T08:00:00'),
      endsAt: shanghai('2026-03-16T18:00:00'),
    })
    const changes = await batch(`schedule:${schedule.number}:change`)
    expect(changes.map((r) => r.conversationId)).toEqual([world.buildingRoom])
    expect(changes[0]!.text).toMatch(/由 3月5日 08:00 至 3月9日 18:00 改为 3月12日 08:00 至 3月16日 18:00/)
    deps.clock.set(shanghai('2026-03-11T18:00:00'))
    await tick()
    expect(
      (await batch(`schedule:${schedule.number}:eve`)).filter((r) => r.text.includes('3月12日')),
    ).toHaveLength(1)
  })

  it('publishes a schedule at a later time, and a cancelled one sends no reminders', async () => {
    deps.clock.set(shanghai('2026-05-04T10:00:00'))
    const world = await worldWithBuildings()
    const phases = [
      {
        name: '屋面防水',
        buildings: ['2号楼'],
        impacts: ['噪音' as const],
        startsAt: shanghai('2026-05-08T08:00:00'),
        endsAt: shanghai('2026-05-09T18:00:00'),
      },
    ]
    const later = await createSchedule(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      title: '屋面',
      phases,
    })
    expect(
      (await publishSchedule(deps, world.officer.actor, later.number, shanghai('2026-05-05T09:00:00')))
        .status,
    ).toBe('scheduled')
    await tick()
    expect(await batch(`schedule:${later.number}:publish`)).toHaveLength(0)
    deps.clock.set(shanghai('2026-05-05T09:00:00'))
    await tick()
    await tick()
    expect(await batch(`schedule:${later.number}:publish`)).toHaveLength(2)

    const dropped = await createSchedule(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      title: '撤回的',
      phases,
    })
    await publishSchedule(deps, world.officer.actor, dropped.number)
    expect((await cancelSchedule(deps, world.officer.actor, dropped.number)).status).toBe('cancelled')
    expect((await batch(`schedule:${dropped.number}:publish`)).every((r) => r.status === 'dropped')).toBe(
      true,
    )
    deps.clock.set(shanghai('2026-05-07T18:00:00'))
    await tick()
    expect(await batch(`schedule:${dropped.number}:eve`)).toHaveLength(0)
    expect(await batch(`schedule:${later.number}:eve`)).toHaveLength(1)
  })

  it('posts a fee notice and its 7/3/1-day reminders once each, none after the deadline', async () => {
    deps.clock.set(shanghai('2026-03-02T10:00:00'))
    const world = await makeWorld(deps)
    const property = await makeStaff(deps, {
      name: uniqueId('物业'),
      role: 'property_staff',
      xiaoquId: world.xiaoqu.id,
    })
    const other = await makeWorld(deps)
    const input = {
      xiaoquId: world.xiaoqu.id,
      period: '2026年度',
      standardFen: 140,
      deadline: shanghai('2026-03-31T23:59:00'),
      howToPay: '物业服务中心或微信缴费',
      contact: '物业 010-12345678',
    }
    await expect(
      createFeeNotice(deps, property.actor, { ...input, xiaoquId: other.xiaoqu.id }),
    ).rejects.toMatchObject({ status: 403 })
    await expect(
      createFeeNotice(deps, property.actor, { ...input, deadline: shanghai('2026-03-01T00:00:00') }),
    ).rejects.toMatchObject({
      details: { fields: ['deadline'] },
    })
    const fee = await createFeeNotice(deps, property.actor, input)
    expect(fee.status).toBe('published')
    const posted = await batch(`fee:${fee.number}:publish`)
    expect(posted.map((r) => r.conversationId)).toEqual([world.roomId])
    expect(posted[0]!.text).toContain('1.40 元/㎡/月')
    for (const at of [
      '2026-03-24T08:59:00',
      '2026-03-24T09:00:00',
      '2026-03-25T12:00:00',
      '2026-03-28T09:00:00',
      '2026-03-30T09:00:00',
      '2026-03-31T12:00:00',
      '2026-04-01T09:00:00',
    ]) {
      deps.clock.set(shanghai(at))
      await tick()
    }
    const reminders = await batch(`fee:${fee.number}:remind`)
    expect(reminders.map((r) => r.batch)).toEqual([
      `fee:${fee.number}:remind:7`,
      `fee:${fee.number}:remind:3`,
      `fee:${fee.number}:remind:1`,
    ])
  })

  it('does not fire overdue reminders at once for a notice published close to its deadline', async () => {
    deps.clock.set(shanghai('2026-04-10T10:00:00'))
    const world = await makeWorld(deps)
    const property = await makeStaff(deps, {
      name: uniqueId('物业'),
      role: 'property_staff',
      xiaoquId: world.xiaoqu.id,
    })
    const fee = await createFeeNotice(deps, property.actor, {
      xiaoquId: world.xiaoqu.id,
      period: '4月',
      standardFen: 85,
      deadline: shanghai('2026-04-12T18:00:00'),
      howToPay: '线上',
      contact: '物业',
    })
    await tick()
    expect(await batch(`fee:${fee.number}:remind`)).toHaveLength(0)
    deps.clock.set(shanghai('2026-04-11T09:00:00'))
    await tick()
    expect((await batch(`fee:${fee.number}:remind`)).map((r) => r.batch)).toEqual([
      `fee:${fee.number}:remind:1`,
    ])
  })
})
