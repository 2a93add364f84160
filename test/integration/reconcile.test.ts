import { and, asc, eq, inArray, isNull } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import { reconcileAfterLogin } from '../../core/groups/reconcile'
import { enqueueMessages } from '../../core/outbox/outbox.repository'
import { auditLog, chatGroups, identityIssues, outbox, staff } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeWorld, uniqueId } from '../support/factories'
import { apiCaller } from '../support/http'
import { drivers } from '../support/test-db'

describe.each(drivers)('ids that change per login on %s', (driver) => {
  let deps: TestDeps
  let app: ReturnType<typeof createApi>
  const call = apiCaller(() => app)
  beforeAll(async () => {
    deps = await createTestDeps(driver)
    app = createApi(deps)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  /** Every group and bound staff member as the puppet would list them with unchanged ids. */
  const unchanged = async () => {
    const groups = await deps.db.select().from(chatGroups)
    const people = await deps.db.select().from(staff)
    return {
      rooms: groups.filter((g) => g.state !== 'left').map((g) => ({ id: g.roomId, topic: g.topic })),
      contacts: people.filter((p) => p.wechatId).map((p) => ({ id: p.wechatId!, name: p.name })),
    }
  }
  const openIssues = () => deps.db.select().from(identityIssues).where(isNull(identityIssues.resolvedAt))
  const groupById = async (id: number) =>
    (await deps.db.select().from(chatGroups).where(eq(chatGroups.id, id)))[0]!

  it('changes nothing when every id is still there (stable-id puppets)', async () => {
    await makeWorld(deps)
    const before = await deps.db.select().from(chatGroups)
    const result = await reconcileAfterLogin(deps, await unchanged())
    expect(result).toEqual({ groupsMoved: 0, staffMoved: 0, issuesOpened: 0 })
    expect(await deps.db.select().from(chatGroups)).toEqual(before)
    expect(await openIssues()).toHaveLength(0)
  })

  it('follows the one room with the same topic, and its waiting messages follow it', async () => {
    const world = await makeWorld(deps)
    const topic = uniqueId('农光里居民群')
    await deps.db.update(chatGroups).set({ topic }).where(eq(chatGroups.id, world.group.id))
    await enqueueMessages(
      deps.db,
      [
        { conversationId: world.roomId, isRoom: true, text: '待发', dedupeKey: uniqueId('k') },
        { conversationId: world.roomId, isRoom: true, text: '已发', dedupeKey: uniqueId('k') },
      ],
      deps.clock.now(),
    )
    const [, sent] = await deps.db
      .select()
      .from(outbox)
      .where(eq(outbox.conversationId, world.roomId))
      .orderBy(asc(outbox.id))
    await deps.db.update(outbox).set({ status: 'sent' }).where(eq(outbox.id, sent!.id))
    const snapshot = await unchanged()
    const newId = `@@${uniqueId('new')}`
    snapshot.rooms = snapshot.rooms.filter((r) => r.id !== world.roomId).concat({ id: newId, topic })
    const result = await reconcileAfterLogin(deps, snapshot)
    expect(result).toMatchObject({ groupsMoved: 1, issuesOpened: 0 })
    expect((await groupById(world.group.id)).roomId).toBe(newId)
    const rows = await deps.db
      .select()
      .from(outbox)
      .where(inArray(outbox.conversationId, [world.roomId, newId]))
      .orderBy(asc(outbox.id))
    expect(rows.map((r) => [r.text, r.conversationId])).toEqual([
      ['待发', newId],
      ['已发', world.roomId],
    ])
    const [audit] = await deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'group.room_id_changed'), eq(auditLog.entityId, String(world.group.id))))
    expect(audit!.after).toEqual({ roomId: newId })
  })

  it('opens one issue (never a guess, never twice) when no room or several rooms have the topic', async () => {
    const world = await makeWorld(deps)
    const topic = uniqueId('劲松八区居民群')
    await deps.db.update(chatGroups).set({ topic }).where(eq(chatGroups.id, world.group.id))
    const snapshot = await unchanged()
    const twins = [
      { id: `@@${uniqueId('a')}`, topic },
      { id: `@@${uniqueId('b')}`, topic },
    ]
    snapshot.rooms = snapshot.rooms.filter((r) => r.id !== world.roomId).concat(twins)
    expect(await reconcileAfterLogin(deps, snapshot)).toMatchObject({ groupsMoved: 0, issuesOpened: 1 })
    expect((await groupById(world.group.id)).roomId).toBe(world.roomId)
    expect(await reconcileAfterLogin(deps, snapshot)).toMatchObject({ issuesOpened: 0 })
    const issues = (await openIssues()).filter((i) => i.kind === 'group' && i.subjectId === world.group.id)
    expect(issues).toHaveLength(1)
    expect(issues[0]).toMatchObject({ oldWechatId: world.roomId })
    expect(issues[0]!.candidates.map((c) => c.id).sort()).toEqual(twins.map((t) => t.id).sort())

    // The admin chooses one through the API: the group follows, audited.
    const resolved = await call(deps.adminToken, 'POST', `/identity-issues/${issues[0]!.id}/resolve`, {
      wechatId: twins[1]!.id,
    })
    expect(resolved.status).toBe(200)
    expect(resolved.body).toMatchObject({ resolution: twins[1]!.id })
    expect((await groupById(world.group.id)).roomId).toBe(twins[1]!.id)
    const again = await call(deps.adminToken, 'POST', `/identity-issues/${issues[0]!.id}/resolve`, {
      dismiss: true,
    })
    expect(again.status).toBe(409)
  })

  it('follows staff by the WeChat name stored at binding; otherwise an issue an admin lists and dismisses', async () => {
    const world = await makeWorld(deps)
    const name = uniqueId('李红')
    await deps.db.update(staff).set({ wechatName: name }).where(eq(staff.id, world.officer.staff.id))
    const newId = uniqueId('wxid_new')
    const snapshot = await unchanged()
    snapshot.contacts = snapshot.contacts
      .filter((c) => c.id !== world.officer.staff.wechatId)
      .concat({ id: newId, name }, { id: uniqueId('wxid_other'), name: '别人' })
    expect(await reconcileAfterLogin(deps, snapshot)).toMatchObject({ staffMoved: 1, issuesOpened: 0 })
    const [moved] = await deps.db.select().from(staff).where(eq(staff.id, world.officer.staff.id))
    expect(moved!.wechatId).toBe(newId)

    // Two contacts with the name: an issue, listed for admins only.
    const twice = {
      ...snapshot,
      contacts: snapshot.contacts
        .filter((c) => c.id !== newId)
        .concat({ id: uniqueId('wx1'), name }, { id: uniqueId('wx2'), name }),
    }
    expect(await reconcileAfterLogin(deps, twice)).toMatchObject({ staffMoved: 0, issuesOpened: 1 })
    const listed = await call(deps.adminToken, 'GET', '/identity-issues')
    expect(listed.status).toBe(200)
    const issue = listed.body.items.find((i: { subjectId: number; kind: string }) => i.kind === 'staff')
    expect(issue).toMatchObject({ subjectId: world.officer.staff.id, subjectName: world.officer.staff.name })
    expect(issue.candidates).toHaveLength(2)
    expect((await call(world.officer.token, 'GET', '/identity-issues')).status).toBe(403)
    const dismissed = await call(deps.adminToken, 'POST', `/identity-issues/${issue.id}/resolve`, {
      dismiss: true,
    })
    expect(dismissed.status).toBe(200)
    expect(dismissed.body.resolution).toBeNull()
    const [still] = await deps.db.select().from(staff).where(eq(staff.id, world.officer.staff.id))
    expect(still!.wechatId).toBe(newId)
    const [audit] = await deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'identity_issue.dismiss'), eq(auditLog.entityId, String(issue.id))))
    expect(audit).toBeDefined()
  })

  it('leaves everything alone when a list came back empty', async () => {
    const world = await makeWorld(deps)
    expect(await reconcileAfterLogin(deps, { rooms: [], contacts: [] })).toEqual({
      groupsMoved: 0,
      staffMoved: 0,
      issuesOpened: 0,
    })
    expect((await groupById(world.group.id)).roomId).toBe(world.roomId)
  })
})
