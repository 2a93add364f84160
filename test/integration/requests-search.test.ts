import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createXiaoqu } from '../../core/areas/areas.usecases'
import * as repo from '../../core/requests/requests.repository'
import {
  acceptRequest,
  askWithdrawal,
  assignRequest,
  fileRequest,
  rateRequest,
  resolveRequest,
  urgeRequest,
} from '../../core/requests/requests.usecases'
import { rowsOf } from '../../db/client'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

describe.each(drivers)('request list filters and keyword search on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  /**
   * Two streets. In the first: 3号楼's 楼道灯 (照明) in its xiaoqu, a blocked drain (上下水) in a second
   * xiaoqu, a parking complaint (停车) the officer accepted, and a text full of LIKE wildcards; in the other
   * street the same 楼道灯 words, which no filter of the first street's may return.
   */
  async function setup() {
    const world = await makeWorld(deps)
    const elsewhere = await makeWorld(deps)
    const second = await createXiaoqu(
      deps.db,
      world.admin,
      { communityId: world.community.id, name: uniqueId('小区') },
      deps.clock.now(),
    )
    const file = (w: typeof world, text: string, xiaoquId = w.xiaoqu.id) =>
      deps.db.transaction(async (tx) => {
        const filed = await fileRequest(
          { ...deps, db: tx },
          { text, xiaoquId, channel: 'wechat', resident: w.resident, groupId: w.group.id },
        )
        return filed.request
      })
    const light = await file(world, '3号楼楼道灯坏了')
    const drain = await file(world, '5号楼下水道堵了，污水漫出来', second.id)
    const parking = await file(world, '小区停车位被外来车辆占用')
    const wildcards = await file(world, '物业费打折100%_\\是真的吗')
    const theirLight = await file(elsewhere, '3号楼楼道灯坏了')
    await deps.db.transaction((tx) => acceptRequest({ ...deps, db: tx }, world.officer.actor, parking.number))
    return { world, elsewhere, second, light, drain, parking, wildcards, theirLight }
  }

  type World = Awaited<ReturnType<typeof setup>>
  const numbers = async (
    w: World,
    filters: Partial<repo.RequestFilters>,
    scopePath: string | null = w.world.street.path,
  ) =>
    (await repo.listRequests(deps.db, { limit: 100, now: deps.clock.now(), scopePath, ...filters }))
      .map((r) => r.request.number)
      .sort()

  it('finds 楼道灯 in "3号楼楼道灯坏了" by keyword of any length, and by number, within the scope only', async () => {
    const w = await setup()
    expect(await numbers(w, { q: '楼道灯' })).toEqual([w.light.number])
    expect(await numbers(w, { q: '楼道' })).toEqual([w.light.number])
    expect(await numbers(w, { q: '灯' })).toEqual([w.light.number])
    expect(await numbers(w, { q: '  楼道灯坏了 ' })).toEqual([w.light.number])
    expect(await numbers(w, { q: w.drain.number })).toEqual([w.drain.number])
    expect(await numbers(w, { q: w.drain.number.toLowerCase() })).toEqual([w.drain.number])
    expect(await numbers(w, { q: '路灯' })).toEqual([])
    // The other street's identical text, and its number, stay out of this street's search.
    expect(await numbers(w, { q: w.theirLight.number })).toEqual([])
    // An admin (no scope) finds both streets' 楼道灯.
    const everywhere = await numbers(w, { q: '楼道灯' }, null)
    expect(everywhere).toContain(w.light.number)
    expect(everywhere).toContain(w.theirLight.number)
  })

  it('takes %, _ and \\ in a keyword literally', async () => {
    const w = await setup()
    expect(await numbers(w, { q: '%' })).toEqual([w.wildcards.number])
    expect(await numbers(w, { q: '_' })).toEqual([w.wildcards.number])
    expect(await numbers(w, { q: '\\' })).toEqual([w.wildcards.number])
    expect(await numbers(w, { q: '100%_' })).toEqual([w.wildcards.number])
    expect(await numbers(w, { q: '楼%灯' })).toEqual([])
    expect(repo.containsPattern('a%b_c\\d')).toBe('%a\\%b\\_c\\\\d%')
  })

  it('narrows by status, category, xiaoqu, overdue and assignee, alone and combined', async () => {
    const w = await setup()
    const all = [w.light, w.drain, w.parking, w.wildcards].map((r) => r.number).sort()
    expect(await numbers(w, {})).toEqual(all)
    expect(await numbers(w, { status: 'accepted' })).toEqual([w.parking.number])
    expect(await numbers(w, { category: '照明' })).toEqual([w.light.number])
    expect(await numbers(w, { category: '上下水' })).toEqual([w.drain.number])
    expect(await numbers(w, { xiaoquId: w.second.id })).toEqual([w.drain.number])
    expect(await numbers(w, { assignee: w.world.officer.staff.id })).toEqual([w.parking.number])
    expect(await numbers(w, { assignee: 'none' })).toEqual(
      [w.light, w.drain, w.wildcards].map((r) => r.number).sort(),
    )
    expect(await numbers(w, { overdue: true })).toEqual([])
    expect(await numbers(w, { overdue: false })).toEqual(all)
    // A month on every open request is late.
    const later = new Date(deps.clock.now().getTime() + 30 * 86_400_000)
    expect(await numbers(w, { overdue: true, now: later })).toEqual(all)
    // Combinations are AND.
    expect(await numbers(w, { category: '照明', q: '楼道灯' })).toEqual([w.light.number])
    expect(await numbers(w, { category: '停车', q: '楼道灯' })).toEqual([])
    expect(await numbers(w, { xiaoquId: w.second.id, q: '楼道灯' })).toEqual([])
    expect(await numbers(w, { assignee: 'none', status: 'accepted' })).toEqual([])
    expect(await numbers(w, { assignee: 'none', xiaoquId: w.world.xiaoqu.id, q: '楼' })).toEqual([
      w.light.number,
    ])
  })

  it('narrows to the open requests residents asked to withdraw (撤回) or chased (催办), in the scope only', async () => {
    const w = await setup()
    const tx = <T>(work: (ctx: TestDeps) => Promise<T>) => deps.db.transaction((db) => work({ ...deps, db }))
    const asked = async (request: repo.RequestRow, what: 'withdraw' | 'urge', resident = w.world.resident) =>
      tx(async (ctx) => {
        const row = (await repo.findRequestByNumber(ctx.db, request.number, true))!
        const context = await repo.loadRequestContext(ctx.db, row)
        return what === 'withdraw'
          ? askWithdrawal(ctx, resident, row, context, '发错了')
          : urgeRequest(ctx, resident, row, context, '怎么还没修')
      })
    expect(await numbers(w, { flag: 'withdrawal' })).toEqual([])
    expect(await numbers(w, { flag: 'urged' })).toEqual([])
    expect(await asked(w.light, 'withdraw')).toBe('asked')
    expect(await asked(w.drain, 'urge')).toBe('urged')
    expect(await asked(w.parking, 'urge')).toBe('urged')
    // The other street's, asked of too, stays out of this street's lists.
    expect(await asked(w.theirLight, 'withdraw', w.elsewhere.resident)).toBe('asked')
    expect(await numbers(w, { flag: 'withdrawal' })).toEqual([w.light.number])
    expect(await numbers(w, { flag: 'urged' })).toEqual([w.drain.number, w.parking.number].sort())
    expect(await numbers(w, { flag: 'urged', status: 'accepted' })).toEqual([w.parking.number])
    expect(await numbers(w, { flag: 'urged', q: '下水道' })).toEqual([w.drain.number])
    expect(await numbers(w, { flag: 'withdrawal' }, null)).toEqual(
      [w.light.number, w.theirLight.number].sort(),
    )
    // Resolved, neither is asked of any more. Reopened by its author (不满意), it is wanted after all.
    const officer = w.world.officer.actor
    await tx((ctx) => resolveRequest(ctx, officer, w.light.number, '居民撤回'))
    await tx((ctx) => resolveRequest(ctx, officer, w.parking.number, '已清理占用车辆'))
    expect(await numbers(w, { flag: 'withdrawal' })).toEqual([])
    expect(await numbers(w, { flag: 'urged' })).toEqual([w.drain.number])
    await tx((ctx) => rateRequest(ctx, w.world.resident, w.light.number, 'unsatisfied', '灯又坏了'))
    expect(await numbers(w, { status: 'accepted' })).toContain(w.light.number)
    expect(await numbers(w, { flag: 'withdrawal' })).toEqual([])
  })

  it('never returns another street’s rows, whatever the filter: a xiaoqu out of scope matches nothing', async () => {
    const w = await setup()
    expect(await numbers(w, { xiaoquId: w.elsewhere.xiaoqu.id })).toEqual([])
    expect(await numbers(w, { category: '照明' })).not.toContain(w.theirLight.number)
    await deps.db.transaction((tx) =>
      assignRequest(
        { ...deps, db: tx },
        w.elsewhere.officer.actor,
        w.theirLight.number,
        w.elsewhere.officer.staff,
      ),
    )
    expect(await numbers(w, { assignee: w.elsewhere.officer.staff.id })).toEqual([])
    // Property staff see only what they hold, whatever they ask for.
    expect(await numbers(w, { q: '楼道灯', assigneeStaffId: w.world.officer.staff.id }, null)).toEqual([])
  })

  it('pages by id with the filters kept, and lists who holds requests in the scope', async () => {
    const w = await setup()
    const more = [] as string[]
    for (const n of [1, 2, 3]) {
      const filed = await deps.db.transaction((tx) =>
        fileRequest(
          { ...deps, db: tx },
          {
            text: `${n}号楼楼道灯又坏了`,
            xiaoquId: w.world.xiaoqu.id,
            channel: 'wechat',
            resident: w.world.resident,
            groupId: w.world.group.id,
          },
        ),
      )
      more.push(filed.request.number)
    }
    const page = (before?: number) =>
      repo.listRequests(deps.db, {
        q: '楼道灯',
        limit: 2,
        before,
        scopePath: w.world.street.path,
        now: deps.clock.now(),
      })
    const first = await page()
    expect(first.map((r) => r.request.number)).toEqual([more[2], more[1]])
    const second = await page(first.at(-1)!.request.id)
    expect(second.map((r) => r.request.number)).toEqual([more[0], w.light.number])
    expect(await page(second.at(-1)!.request.id)).toEqual([])
    const holders = await repo.holdersInScope(deps.db, w.world.street.path)
    expect(holders.map((h) => h.id)).toEqual([w.world.officer.staff.id])
  })

  it('lets the trigram index serve a keyword search', async () => {
    const plan = await deps.db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`)
      return rowsOf<Record<string, string>>(
        await tx.execute(
          sql`explain select id from requests where text ilike ${repo.containsPattern('楼道灯')}`,
        ),
      )
        .map((row) => Object.values(row).join(' '))
        .join('\n')
    })
    expect(plan).toContain('requests_text_trgm')
  })
})
