import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { handleInbound } from '../../core/chat/chat.usecases'
import { syncWatches, type WatchSpec } from '../../core/nudges/watches'
import { fileForCaller } from '../../core/requests/on-behalf'
import * as useCases from '../../core/requests/requests.usecases'
import { rowsOf } from '../../db/client'
import {
  auditLog,
  chatGroups,
  inboundMessages,
  outbox,
  requestEvents,
  requests,
  residents,
  watches,
} from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

describe.each(drivers)('the write path of a new request on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  const watchesOf = (requestId: number) =>
    deps.db
      .select()
      .from(watches)
      .where(
        and(
          inArray(watches.itemKind, ['request-response', 'request-resolution']),
          eq(watches.itemId, requestId),
        ),
      )
      .orderBy(asc(watches.itemKind))

  it('writes the request, its event, watches and the officers’ notice as the rules say, in one transaction', async () => {
    const world = await makeWorld(deps)
    const filed = await deps.db.transaction((tx) =>
      useCases.fileRequest(
        { ...deps, db: tx },
        {
          text: '3号楼2单元楼道灯坏了，晚上黑乎乎的',
          xiaoquId: world.xiaoqu.id,
          channel: 'wechat',
          resident: world.resident,
          groupId: world.group.id,
        },
      ),
    )
    // The row as returned is the row as stored.
    const [stored] = await deps.db.select().from(requests).where(eq(requests.id, filed.request.id))
    expect(stored).toEqual(filed.request)
    expect(filed.xiaoquName).toBe(world.xiaoqu.name)
    const events = await deps.db.select().from(requestEvents).where(eq(requestEvents.requestId, stored!.id))
    expect(events.map((e) => [e.kind, e.actorKind, e.actorId])).toEqual([
      ['filed', 'resident', world.resident.id],
    ])
    // The watches are exactly what syncWatches keeps: syncing the same deadlines again changes nothing.
    const written = await watchesOf(stored!.id)
    expect(written.map((w) => [w.itemKind, w.dueAt, w.nextLevel, w.closedAt])).toEqual([
      ['request-resolution', stored!.resolutionDueAt, 1, null],
      ['request-response', stored!.responseDueAt, 1, null],
    ])
    const specs: WatchSpec[] = written.map((w) => ({ ...w, closed: false }))
    await syncWatches(deps.db, deps, specs, deps.clock.now())
    expect(await watchesOf(stored!.id)).toEqual(written)
    const notices = await deps.db.select().from(outbox).where(eq(outbox.conversationId, world.officersRoomId))
    expect(notices.map((n) => n.dedupeKey)).toEqual([
      `request:${stored!.number}:filed:room:${world.officersRoomId}`,
    ])
  })

  it('writes nothing when a part fails: the request, its event, watches and notice go together', async () => {
    const world = await makeWorld(deps)
    const before = await deps.db.select({ n: sql<number>`count(*)::int` }).from(requests)
    // A resident id that does not exist: the request's foreign key fails the one statement that writes it.
    await expect(
      deps.db.transaction((tx) =>
        useCases.fileRequest(
          { ...deps, db: tx },
          {
            text: '楼道灯坏了',
            xiaoquId: world.xiaoqu.id,
            channel: 'wechat',
            resident: { ...world.resident, id: 2_000_000_000 },
          },
        ),
      ),
    ).rejects.toThrow()
    expect(await deps.db.select({ n: sql<number>`count(*)::int` }).from(requests)).toEqual(before)
    const notices = await deps.db.select().from(outbox).where(eq(outbox.conversationId, world.officersRoomId))
    expect(notices).toEqual([])
  })

  it('代录 finds a caller by phone and name, makes a new one otherwise, audits and keeps scope', async () => {
    const world = await makeWorld(deps)
    const input = {
      xiaoquId: world.xiaoqu.id,
      text: '小区门口的路灯不亮了',
      channel: 'phone' as const,
      residentName: world.resident.name,
      phone: world.resident.phone!,
    }
    const first = await deps.db.transaction((tx) =>
      fileForCaller({ ...deps, db: tx }, world.officer.actor, input),
    )
    // The same name and phone are the same person (every world's resident has them).
    const [known] = await deps.db.select().from(residents).where(eq(residents.id, first.request.residentId!))
    expect(known).toMatchObject({ name: world.resident.name, phone: world.resident.phone })
    expect(first).toMatchObject({ xiaoquName: world.xiaoqu.name, authorName: world.resident.name })
    const phone = `139${Date.now().toString().slice(-8)}`
    const second = await deps.db.transaction((tx) =>
      fileForCaller({ ...deps, db: tx }, world.officer.actor, { ...input, residentName: '新来电', phone }),
    )
    const [caller] = await deps.db
      .select()
      .from(residents)
      .where(eq(residents.id, second.request.residentId!))
    expect(caller).toMatchObject({ name: '新来电', phone, wechatId: null })
    const [audit] = await deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'request.create'), eq(auditLog.entityId, first.request.number)))
    expect(audit).toMatchObject({ actorStaffId: world.officer.staff.id, via: 'wechat' })
    expect(audit!.after).toMatchObject({
      id: first.request.id,
      number: first.request.number,
      category: first.request.category,
      assigneeStaffId: null,
      responseDueAt: first.request.responseDueAt.toISOString(),
    })
    // Another street's officer: refused, and nothing written.
    const elsewhere = await makeWorld(deps)
    const outsider = await makeStaff(deps, {
      name: uniqueId('外街道'),
      role: 'officer',
      areaId: elsewhere.street.id,
    })
    const count = async () => (await deps.db.select({ n: sql<number>`count(*)::int` }).from(requests))[0]!.n
    const before = await count()
    // A refused filing draws no request number: the numbers residents see keep no gap for it.
    const lastNumber = async () =>
      rowsOf<{ n: string }>(
        await deps.db.execute(sql`select last_value::text as n from request_number_seq`),
      )[0]!.n
    const numberBefore = await lastNumber()
    const { phone: _phone, ...withoutPhone } = input
    for (const refused of [input, withoutPhone]) {
      await expect(
        deps.db.transaction((tx) => fileForCaller({ ...deps, db: tx }, outsider.actor, refused)),
      ).rejects.toMatchObject({ code: 'auth.out_of_scope' })
    }
    expect(await lastNumber()).toBe(numberBefore)
    // Nor does a xiaoqu that does not exist.
    await expect(
      deps.db.transaction((tx) =>
        fileForCaller({ ...deps, db: tx }, world.officer.actor, { ...input, xiaoquId: 2_000_000_000 }),
      ),
    ).rejects.toMatchObject({ code: 'xiaoqu.not_found' })
    expect(await lastNumber()).toBe(numberBefore)
    expect(await count()).toBe(before)
  })

  it('finds callers by phone through an index', async () => {
    const result = await deps.db.execute(
      sql`select indexdef from pg_indexes where tablename = 'residents' and indexname = 'residents_phone'`,
    )
    expect(rowsOf<{ indexdef: string }>(result)[0]?.indexdef).toContain('(phone)')
  })

  it('files ten messages of one group at once, each once; a replay changes nothing, not even the group', async () => {
    const world = await makeWorld(deps)
    const ids = Array.from({ length: 10 }, () => uniqueId('m'))
    const results = await Promise.all(
      ids.map((id, i) =>
        handleInbound(deps, {
          id,
          roomId: world.roomId,
          senderId: `${world.resident.wechatId}`,
          senderName: world.resident.name,
          text: `@改造助手 ${i + 1}号楼楼道灯坏了`,
          mentionsSelf: true,
        }),
      ),
    )
    const numbers = results.map((r) => (r.duplicate ? '' : r.outcome.replace('request:', '')))
    expect(new Set(numbers).size).toBe(10)
    const filed = await deps.db.select().from(requests).where(inArray(requests.inboundMessageId, ids))
    expect(filed.map((r) => r.number).sort()).toEqual([...numbers].sort())
    const stored = await deps.db.select().from(inboundMessages).where(inArray(inboundMessages.messageId, ids))
    expect(stored.map((m) => m.outcome).sort()).toEqual(numbers.map((n) => `request:${n}`).sort())
    const replies = await deps.db
      .select()
      .from(outbox)
      .where(
        inArray(
          outbox.dedupeKey,
          ids.map((id) => `reply:${id}`),
        ),
      )
    expect(replies).toHaveLength(10)
    const [stamped] = await deps.db.select().from(chatGroups).where(eq(chatGroups.roomId, world.roomId))
    expect(stamped!.lastMessageAt).toEqual(deps.clock.now())

    deps.clock.advance(60_000)
    const replay = await handleInbound(deps, {
      id: ids[0]!,
      roomId: world.roomId,
      senderId: world.resident.wechatId!,
      senderName: world.resident.name,
      text: '@改造助手 楼道灯坏了',
      mentionsSelf: true,
    })
    expect(replay).toEqual({ duplicate: true })
    expect(await deps.db.select().from(requests).where(inArray(requests.inboundMessageId, ids))).toHaveLength(
      10,
    )
    const [after] = await deps.db.select().from(chatGroups).where(eq(chatGroups.roomId, world.roomId))
    expect(after!.lastMessageAt).toEqual(stamped!.lastMessageAt)
  })
})
