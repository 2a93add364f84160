import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createXiaoqu } from '../../core/areas/areas.usecases'
import { listQuery } from '../../core/requests/requests.list'
import * as repo from '../../core/requests/requests.repository'
import { rowsOf } from '../../db/client'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

/**
 * The inbox list reads about the rows of the page it shows, whatever the table holds: each filter has an
 * index yielding its rows newest first, and a xiaoqu outside the caller's scope is refused before any
 * request is read. 20,000 requests, seeded set-based: most closed and of another category, a few of each
 * filter's, so an index is plainly the cheaper way.
 */
describe.each(drivers)('request list query plans on %s', (driver) => {
  let deps: TestDeps
  let w: Awaited<ReturnType<typeof setup>>
  beforeAll(async () => {
    deps = await createTestDeps(driver)
    w = await setup()
  })
  afterAll(async () => {
    await deps.database.close()
  })

  async function setup() {
    const home = await makeWorld(deps)
    const elsewhere = await makeWorld(deps)
    const second = await createXiaoqu(
      deps.db,
      home.admin,
      { communityId: home.community.id, name: uniqueId('小区') },
      deps.clock.now(),
    )
    const places = [home.xiaoqu.id, second.id, elsewhere.xiaoqu.id]
    const at = deps.clock.now().toISOString()
    // Request i: in places[i % 3]; every 200th of category 照明, resolved, or held by the home officer.
    await deps.db.execute(sql`
      insert into requests (number, xiaoqu_id, resident_id, channel, text, category, menu_item, urgency, status,
        assignee_staff_id, response_due_at, resolution_due_at, created_at, updated_at)
      select 'P' || i, (${JSON.stringify(places)}::jsonb ->> (i % 3))::int, ${home.resident.id}::int, 'wechat',
             '楼道灯坏了', case when i % 200 = 0 then '照明' else '其他' end, '补市政基础设施', 'normal',
             case when i % 200 = 1 then 'resolved' else 'closed' end,
             case when i % 200 = 2 then ${home.officer.staff.id}::int end,
             ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
      from generate_series(1, 20000) as i`)
    await deps.db.execute(sql`vacuum analyze requests`)
    return { home, elsewhere, second }
  }

  const plan = async (filters: Partial<repo.RequestFilters>, analyze = false) => {
    const query = listQuery(deps.db, {
      limit: 21,
      now: deps.clock.now(),
      scopePath: w.home.street.path,
      ...filters,
    })
    return deps.db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`)
      const options = analyze ? sql`(analyze, costs off, timing off, summary off)` : sql`(costs off)`
      return rowsOf<Record<string, string>>(await tx.execute(sql`explain ${options} ${query}`))
        .map((row) => Object.values(row).join(' '))
        .join('\n')
    })
  }
  const numbers = async (filters: Partial<repo.RequestFilters>) =>
    (
      await repo.listRequests(deps.db, {
        limit: 21,
        now: deps.clock.now(),
        scopePath: w.home.street.path,
        ...filters,
      })
    ).map((r) => r.request.number)

  type Tx = Parameters<Parameters<typeof deps.db.transaction>[0]>[0]
  /** The plan a prepared statement of these filters gets when it is planned once for any values. */
  const explainGeneric = async (tx: Tx, filters: Partial<repo.RequestFilters>) => {
    const { sql: text, params } = listQuery(deps.db, {
      limit: 21,
      now: deps.clock.now(),
      scopePath: w.home.street.path,
      ...filters,
    }).toSQL()
    const name = `generic_${uniqueId('p').replace(/\W/g, '_')}`
    await tx.execute(sql`set local plan_cache_mode = force_generic_plan`)
    await tx.execute(sql.raw(`prepare ${name} as ${text}`))
    const literal = (v: unknown) =>
      typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`
    const rows = rowsOf<Record<string, string>>(
      await tx.execute(sql.raw(`explain (costs off) execute ${name}(${params.map(literal).join(', ')})`)),
    )
    await tx.execute(sql.raw(`deallocate ${name}`))
    return rows.map((row) => Object.values(row).join(' ')).join('\n')
  }
  /** `work` in a transaction that is rolled back, statistics and all. */
  const rolledBack = async (work: (tx: Tx) => Promise<void>) => {
    const rollback = new Error('rollback')
    await deps.db
      .transaction(async (tx) => {
        await work(tx)
        throw rollback
      })
      .catch((error: unknown) => {
        if (error !== rollback) throw error
      })
  }

  it('finds a category through its index, with the scope checked in the index', async () => {
    expect(await plan({ category: '照明' })).toContain('requests_category_id_xiaoqu')
    const found = await numbers({ category: '照明' })
    expect(found).toHaveLength(21)
    // Newest first, none of another street's xiaoqu (i % 3 = 2).
    expect(found).toEqual([...found].sort((a, b) => Number(b.slice(1)) - Number(a.slice(1))))
    expect(found.every((n) => Number(n.slice(1)) % 3 !== 2 && Number(n.slice(1)) % 200 === 0)).toBe(true)
  })

  it('finds a status in a xiaoqu through the (xiaoqu, status, id) index', async () => {
    expect(await plan({ status: 'resolved', xiaoquId: w.second.id })).toContain('requests_xiaoqu_status_id')
    const found = await numbers({ status: 'resolved', xiaoquId: w.second.id })
    expect(found).toHaveLength(21)
    expect(found.every((n) => Number(n.slice(1)) % 3 === 1 && Number(n.slice(1)) % 200 === 1)).toBe(true)
  })

  it('finds what someone holds through the (assignee, id) index', async () => {
    expect(await plan({ assignee: w.home.officer.staff.id })).toContain('requests_assignee_id')
    expect(await numbers({ assignee: w.home.officer.staff.id })).toHaveLength(21)
  })

  it('reads what one officer holds newest first in a generic plan too', async () => {
    // A prepared statement may be planned once for any values (PGlite chose so after five runs). With the
    // scope as a join, that plan walked the scope's xiaoqu and sorted all the officer held.
    let explained = ''
    await rolledBack(async (tx) => {
      // A street's inbox: 60 xiaoqu, 40 officers, each holding a thousand requests across them.
      await tx.execute(sql`
          insert into xiaoqu (community_id, name, path, created_at)
          select ${w.home.community.id}::int, 'G' || i, ${w.home.xiaoqu.path}::text || 'g' || i || '/', now()
          from generate_series(1, 60) as i`)
      await tx.execute(sql`
          insert into staff (name, role, scope_path, created_at)
          select 'G' || i, 'officer', ${w.home.street.path}::text, now() from generate_series(1, 40) as i`)
      await tx.execute(sql`
          insert into requests (number, xiaoqu_id, channel, text, category, menu_item, urgency, status,
            assignee_staff_id, response_due_at, resolution_due_at)
          select 'H' || i, x.ids[1 + i % array_length(x.ids, 1)], 'wechat', '楼道灯坏了', '其他', '补市政基础设施',
            'normal', 'accepted', s.ids[1 + i / 7 % array_length(s.ids, 1)], now(), now()
          from generate_series(1, 40000) as i, (select array_agg(id) as ids from staff) s,
            (select array_agg(id) as ids from xiaoqu) x`)
      await tx.execute(sql`analyze requests`)
      explained = await explainGeneric(tx, { assignee: w.home.officer.staff.id })
    })
    // The page is read newest first through an index, stopping at 21: nothing of theirs is sorted.
    expect(explained).toMatch(
      /Limit\n.*(\n.*)*Index Scan Backward using requests_(assignee_id|pkey) on requests/,
    )
    expect(explained).not.toMatch(/Bitmap Heap Scan on requests|top-N|Sort Key: requests_1/)
  })

  it('finds the open requests residents asked to withdraw or chased through partial indexes, generic plans too', async () => {
    await rolledBack(async (tx) => {
      // Of the 20,000: every 200th (+3) open and chased, every 200th (+4) open with a withdrawal asked; and
      // one of each kind closed, which the filters leave out.
      await tx.execute(sql`
        update requests set status = 'accepted', urge_count = 2
        where number in (select 'P' || i from generate_series(3, 20000, 200) as i) or number = 'P5'`)
      await tx.execute(sql`
        update requests set status = 'submitted', withdrawal_asked_at = now()
        where number in (select 'P' || i from generate_series(4, 20000, 200) as i) or number = 'P6'`)
      await tx.execute(sql`update requests set status = 'closed' where number in ('P5', 'P6')`)
      await tx.execute(sql`analyze requests`)
      for (const [flag, index, rest] of [
        ['urged', 'requests_urged_open', 3],
        ['withdrawal', 'requests_withdrawal_open', 4],
      ] as const) {
        expect(await explainGeneric(tx, { flag })).toContain(index)
        const found = (
          await repo.listRequests(tx, {
            limit: 200,
            now: deps.clock.now(),
            scopePath: w.home.street.path,
            flag,
          })
        ).map((r) => Number(r.request.number.slice(1)))
        // The home street's (i % 3 ≠ 2) of the 100, newest first.
        const expected = Array.from({ length: 100 }, (_, k) => 19_800 - 200 * k + rest).filter(
          (i) => i % 3 !== 2,
        )
        expect(found).toEqual(expected)
      }
    })
  })

  it('lists the unassigned in a scope newest first, with an index of their own per xiaoqu', async () => {
    // The list's prepared plan does not know which xiaoqu a scope holds: at 1,000,000 requests it read every
    // request of each to find the unassigned ones (75 ms), where this index gives them at once (2.6 ms; see
    // `npm run bench -- list`, list-assignee-none).
    const [index] = rowsOf<{ indexdef: string }>(
      await deps.db.execute(
        sql`select indexdef from pg_indexes where tablename = 'requests' and indexname = 'requests_unassigned'`,
      ),
    )
    expect(index?.indexdef).toMatch(/\(xiaoqu_id, id\) WHERE \(assignee_staff_id IS NULL\)/)
    const found = (await numbers({ assignee: 'none' }))
      .filter((n) => n.startsWith('P'))
      .map((n) => Number(n.slice(1)))
    expect(found).toHaveLength(21)
    expect(found.every((i) => i % 200 !== 2 && i % 3 !== 2)).toBe(true)
    expect(found).toEqual([...found].sort((a, b) => b - a))
  })

  it('refuses a xiaoqu outside the scope before reading any request', async () => {
    const explained = await plan({ xiaoquId: w.elsewhere.xiaoqu.id }, true)
    const lines = explained.split('\n')
    // The page's reads of requests never run; the outer scan looks up the page's ids, of which there are none.
    const reads = lines.filter((line) => / on requests requests_\d/.test(line))
    expect(reads.length).toBeGreaterThan(0)
    for (const line of reads) expect(line).toContain('never executed')
    const outer = lines.filter((line) => / on requests \(/.test(line))
    expect(outer).toHaveLength(1)
    expect(outer[0]).toMatch(/rows=0(\.00)? loops=1/)
    expect(await numbers({ xiaoquId: w.elsewhere.xiaoqu.id })).toEqual([])
    // In scope, the same filter lists it; with no scope (an admin) the other street's xiaoqu too.
    expect(await numbers({ xiaoquId: w.second.id })).toHaveLength(21)
    expect(await numbers({ xiaoquId: w.elsewhere.xiaoqu.id, scopePath: null })).toHaveLength(21)
  })

  it('pages far down by id with the cursor in an index condition, not a filter over the pages before', async () => {
    const before = 1_000 + (await firstId())
    expect(await plan({ before }, true)).toContain(`Index Cond: (id < ${before})`)
  })

  const firstId = async () =>
    Number(rowsOf<{ id: number }>(await deps.db.execute(sql`select min(id)::int as id from requests`))[0]!.id)

  it('lists within a transaction what the transaction sees, and outside it what is committed', async () => {
    const filters = { category: '照明', scopePath: w.home.street.path, limit: 1, now: deps.clock.now() }
    const rollback = new Error('rollback')
    const seen = await deps.db
      .transaction(async (tx) => {
        await tx.execute(sql`
          insert into requests (number, xiaoqu_id, channel, text, category, menu_item, urgency,
            response_due_at, resolution_due_at)
          values ('P-new', ${w.home.xiaoqu.id}::int, 'wechat', '路灯不亮', '照明', '补市政基础设施', 'normal',
            now(), now())`)
        const inside = (await repo.listRequests(tx, filters)).map((r) => r.request.number)
        expect(inside).toEqual(['P-new'])
        throw rollback
      })
      .catch((error: unknown) => {
        if (error !== rollback) throw error
        return 'rolled back'
      })
    expect(seen).toBe('rolled back')
    expect((await repo.listRequests(deps.db, filters)).map((r) => r.request.number)).toEqual(['P19800'])
  })

  it('runs the same statement prepared, for every shape of filters', async () => {
    // Twice each: the second call runs the prepared statement kept from the first.
    for (let round = 0; round < 2; round++) {
      // 照明 below the 2,000th: i = 200, 400, … 2,000, of which those in the home street (i % 3 ≠ 2).
      expect(await numbers({ category: '照明', before: 2_000 + (await firstId()) })).toEqual([
        'P1800',
        'P1600',
        'P1200',
        'P1000',
        'P600',
        'P400',
      ])
      expect(await numbers({ q: '楼道灯' })).toHaveLength(21)
      expect(await numbers({ q: 'Q5' })).toEqual([])
      expect(await numbers({ overdue: true, now: new Date(Date.now() + 86_400_000) })).toEqual([])
      expect(await numbers({ overdue: false, status: 'resolved' })).toHaveLength(21)
      expect(await numbers({ assignee: 'none', category: '照明', xiaoquId: w.home.xiaoqu.id })).toHaveLength(
        21,
      )
    }
  })

  it('prepares each shape once in a PGlite session, and answers shapes past the kept ones unprepared', async () => {
    const listPrepared = async () =>
      rowsOf<{ name: string }>(
        await deps.db.execute(sql`select name from pg_prepared_statements where name like 'gz_list_%'`),
      ).length
    const filters = { category: '照明', xiaoquId: w.home.xiaoqu.id }
    const expected = await numbers(filters)
    expect(expected).toHaveLength(21)
    const before = driver === 'pglite' ? await listPrepared() : 0
    expect(await numbers(filters)).toEqual(expected)
    if (driver === 'pglite') {
      expect(before).toBeGreaterThan(0)
      expect(await listPrepared()).toBe(before)
    }
    // More shapes than are kept (256), none with a resident: each answers, and the process keeps no more.
    const flags = ['status', 'category', 'xiaoquId', 'before', 'q', 'scope'] as const
    let shapes = 0
    for (let bits = 0; bits < 64 && shapes < 270; bits++)
      for (const assignee of [undefined, 'none' as const, w.home.officer.staff.id])
        for (const overdue of [undefined, true, false]) {
          const has = (flag: (typeof flags)[number]) => (bits & (1 << flags.indexOf(flag))) !== 0
          await numbers({
            status: has('status') ? 'resolved' : undefined,
            category: has('category') ? '其他' : undefined,
            xiaoquId: has('xiaoquId') ? w.second.id : undefined,
            before: has('before') ? 5_000 + (await firstId()) : undefined,
            q: has('q') ? '楼道灯' : undefined,
            scopePath: has('scope') ? w.home.street.path : null,
            assignee,
            overdue,
          })
          shapes++
        }
    expect(shapes).toBeGreaterThan(256)
    // A shape never seen (with a resident), past the bound: the same answer as the kept shapes give.
    const byResident = await numbers({ ...filters, residentId: w.home.resident.id })
    expect(byResident).toEqual(expected)
    if (driver === 'pglite') expect(await listPrepared()).toBeLessThanOrEqual(256)
  })
})
