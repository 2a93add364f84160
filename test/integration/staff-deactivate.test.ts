import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findStaffByWechat } from '../../core/people/residents'
import { deactivateStaff } from '../../core/staff/deactivate.usecases'
import { authenticate, issueBindCode } from '../../core/staff/staff.usecases'
import { createTask } from '../../core/tasks/tasks.usecases'
import { bindCodes, requests } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { adminActor, fileIn, makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

describe.each(drivers)('deactivating staff on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  const run = <T>(work: (ctx: TestDeps) => Promise<T>) =>
    deps.db.transaction((tx) => work({ ...deps, db: tx }))

  it('stops the token and the WeChat identity, withdraws binding codes, returns the open work', async () => {
    const world = await makeWorld(deps)
    const admin = await adminActor(deps)
    const leaver = await makeStaff(deps, {
      name: uniqueId('离职'),
      role: 'officer',
      areaId: world.community.id,
      wechat: true,
    })
    const request = await fileIn(deps, world)
    await deps.db
      .update(requests)
      .set({ assigneeStaffId: leaver.staff.id })
      .where(eq(requests.id, request.id))
    const { code } = await issueBindCode(
      deps.db,
      admin,
      { purpose: 'staff', staffId: leaver.staff.id },
      deps.clock.now(),
      deps.config.bindCodeTtlMinutes,
    )
    expect(await authenticate(deps.db, leaver.token)).toBeDefined()

    const result = await run((ctx) => deactivateStaff(ctx, admin, leaver.staff.id))
    expect(result.staff.active).toBe(false)
    expect(result.requests.map((r) => r.number)).toEqual([request.number])
    expect(await authenticate(deps.db, leaver.token)).toBeUndefined()
    expect(await findStaffByWechat(deps.db, leaver.staff.wechatId!)).toBeUndefined()
    expect(await deps.db.select().from(bindCodes).where(eq(bindCodes.code, code))).toEqual([])
    await expect(run((ctx) => deactivateStaff(ctx, admin, leaver.staff.id))).rejects.toMatchObject({
      status: 409,
    })
  })

  it('refuses officers, oneself and the built-in admin', async () => {
    const world = await makeWorld(deps)
    const admin = await adminActor(deps)
    const colleague = await makeStaff(deps, {
      name: uniqueId('同事'),
      role: 'officer',
      areaId: world.community.id,
    })
    await expect(
      run((ctx) => deactivateStaff(ctx, { ...world.officer.actor, via: 'api' }, colleague.staff.id)),
    ).rejects.toMatchObject({ status: 403, code: 'auth.role' })
    await expect(run((ctx) => deactivateStaff(ctx, admin, admin.staff.id))).rejects.toMatchObject({
      status: 403,
      code: 'staff.self_deactivate',
    })
    const second = await makeStaff(deps, { name: uniqueId('管理员'), role: 'admin' })
    const secondActor = { kind: 'staff' as const, staff: second.staff, via: 'api' as const }
    await expect(run((ctx) => deactivateStaff(ctx, secondActor, admin.staff.id))).rejects.toMatchObject({
      status: 403,
      code: 'staff.builtin_admin',
    })
    await expect(run((ctx) => deactivateStaff(ctx, admin, 999_999))).rejects.toMatchObject({ status: 404 })
    // Another admin may be deactivated by the built-in one.
    expect((await run((ctx) => deactivateStaff(ctx, admin, second.staff.id))).staff.active).toBe(false)
  })

  it('lists the open tasks the staff member owns', async () => {
    const world = await makeWorld(deps)
    const admin = await adminActor(deps)
    const owner = await makeStaff(deps, {
      name: uniqueId('负责人'),
      role: 'officer',
      areaId: world.community.id,
    })
    const task = await run((ctx) =>
      createTask(ctx, admin, {
        xiaoquId: world.xiaoqu.id,
        title: '测量楼道',
        ownerStaffId: owner.staff.id,
        dueAt: new Date(deps.clock.now().getTime() + 86_400_000),
      }),
    )
    const result = await run((ctx) => deactivateStaff(ctx, admin, owner.staff.id))
    expect(result.tasks.map((t) => t.number)).toEqual([task!.number])
  })
})
