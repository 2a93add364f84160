import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { PGlite } from '@electric-sql/pglite'
import { serve } from '@hono/node-server'
import { eq, sql } from 'drizzle-orm'
import { Hono } from 'hono'
import postgres from 'postgres'
import { createApi } from '../../api/app'
import { loadConfig } from '../../config'
import { categoryCodes } from '../../core/classify/categories'
import { createClassifier } from '../../core/classify/classifier'
import { createTestClock } from '../../core/shared/clock'
import { silentLog } from '../../core/shared/log'
import { createNotifier } from '../../core/shared/notifier'
import { hashToken, useTokenSecret } from '../../core/shared/tokens'
import { createReloadableCalendar } from '../../core/sla/calendar-store'
import { type Db, rowsOf } from '../../db/client'
import { areas, staff, xiaoqu } from '../../db/schema'
import { type Bench, type BenchContext, median, openScratch, quantile } from '../kit'

// Staff tokens are hashed under a key; the bench's own databases need any fixed one.
useTokenSecret('bench-secret-for-hashing-staff-tokens-0000')

const fixtures = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'requests-labelled.json'), 'utf8'),
) as { text: string }[]

/** The category no request has: filtering by it must answer at once, not scan. */
const emptyCategory = '无障碍'
const seededCategories = categoryCodes.filter((c) => c !== emptyCategory)
const streets = 10
const xiaoquPerStreet = 5
const officersPerStreet = 4
const residentCount = 50_000
const connections = 10
const limit = 20
const rounds = 5

/**
 * Seeds `size` requests set-based (then VACUUM ANALYZE): one district, 10 streets of one community with 5
 * xiaoqu each, a street officer who calls (with `token`), four officers per street who hold requests, 50,000
 * residents. Request i sits in xiaoqu i % 50 and was filed (size - i) minutes before `now`. Of the open ones
 * (the newest 5%), one in 11 was chased (催办) and one in 19 its author asked to withdraw (撤回).
 */
export async function seedRequests(db: Db, size: number, now: Date, log: (message: string) => void) {
  const at = now.toISOString()
  const rows = async <T>(query: ReturnType<typeof sql>) => rowsOf<T>(await db.execute(query))
  const json = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`
  // Places: one district, 10 streets of one community with 5 xiaoqu each.
  const area = async (
    kind: 'district' | 'street' | 'community',
    name: string,
    parent?: { id: number; path: string },
  ) => {
    const [row] = await db
      .insert(areas)
      .values({ kind, name, parentId: parent?.id ?? null, createdAt: now })
      .returning()
    const path = `${parent?.path ?? '/'}${row!.id}/`
    await db.update(areas).set({ path }).where(eq(areas.id, row!.id))
    return { id: row!.id, path }
  }
  const district = await area('district', '朝阳区')
  const streetRows: { id: number; path: string }[] = []
  const places: { id: number; path: string; street: number }[] = []
  for (let s = 0; s < streets; s++) {
    const street = await area('street', `街道${s + 1}`, district)
    const community = await area('community', `社区${s + 1}`, street)
    streetRows.push(street)
    for (let x = 0; x < xiaoquPerStreet; x++) {
      const [row] = await db
        .insert(xiaoqu)
        .values({ communityId: community.id, name: `小区${s + 1}-${x + 1}`, createdAt: now })
        .returning()
      const path = `${community.path}x${row!.id}/`
      await db.update(xiaoqu).set({ path }).where(eq(xiaoqu.id, row!.id))
      places.push({ id: row!.id, path, street: s })
    }
  }
  // Officers: the caller (street 1), and four who hold requests in each street.
  const token = 'bench-list-officer-token-0123456789abcdef'
  const [caller] = await db
    .insert(staff)
    .values({
      name: '调用者',
      role: 'officer',
      scopePath: streetRows[0]!.path,
      tokenHash: hashToken(token),
      createdAt: now,
    })
    .returning()
  const holders = await db
    .insert(staff)
    .values(
      Array.from({ length: streets * officersPerStreet }, (_, k) => ({
        name: `承办人${k + 1}`,
        role: 'officer' as const,
        scopePath: streetRows[Math.floor(k / officersPerStreet)]!.path,
        createdAt: now,
      })),
    )
    .returning()
  const [firstResident] = await rows<{ id: number }>(sql`
    insert into residents (wechat_id, name, phone, created_at)
    select 'wxid_bench_' || i, '居民' || i, '138' || lpad(i::text, 8, '0'), ${at}::timestamptz
    from generate_series(1, ${residentCount}::int) as i
    returning id`)
  // Set-based: request i sits in xiaoqu i % 50, was filed (N - i) minutes before now.
  const started = Date.now()
  const open = Math.floor(size / 20)
  // In slices of a million: one statement per slice keeps the server's memory bounded at ten million.
  for (let from = 1; from <= size; from += 1_000_000) {
    const to = Math.min(size, from + 999_999)
    await db.execute(sql`
    insert into requests (number, xiaoqu_id, resident_id, channel, text, contact_phone, category, menu_item,
      urgency, status, assignee_staff_id, response_due_at, resolution_due_at, responded_at, resolved_at,
      resolution_note, rating, urge_count, withdrawal_asked_at, created_at, updated_at)
    select 'Q' || (1000 + i), (${json(places.map((p) => p.id))} ->> (i % ${places.length}::int))::int,
           ${firstResident!.id}::int + i % ${residentCount}::int, 'wechat',
           ${json(fixtures.map((f) => f.text))} ->> (i % ${fixtures.length}::int), '13800000000',
           ${json(seededCategories)} ->> (i % ${seededCategories.length}::int), '补市政基础设施',
           case when i % 13 = 0 then 'urgent' else 'normal' end, k.status,
           case when k.status <> 'submitted' then (${json(holders.map((h) => h.id))} ->>
             ((i % ${places.length}::int) / ${xiaoquPerStreet}::int * ${officersPerStreet}::int
              + (i / ${places.length}::int) % ${officersPerStreet}::int))::int end,
           f.at + interval '1 day', f.at + interval '15 days',
           case when k.status <> 'submitted' then f.at + interval '2 hours' end,
           case when k.status in ('resolved', 'closed') then f.at + interval '5 days' end,
           case when k.status in ('resolved', 'closed') then '已处理' end,
           case when k.status = 'closed' then 'satisfied' end,
           case when k.status in ('submitted', 'accepted') and i % 11 = 3 then 1 else 0 end,
           case when k.status in ('submitted', 'accepted') and i % 19 = 7 then f.at + interval '1 hour' end,
           f.at, f.at
    from generate_series(${from}::int, ${to}::int) as i,
      lateral (select ${at}::timestamptz - make_interval(mins => ${size}::int - i) as at) f,
      lateral (select case
        when i > ${size - open}::int then case when i % 5 = 0 then 'submitted' else 'accepted' end
        when i % 7 = 0 then 'resolved' else 'closed' end as status) k`)
  }
  await db.execute(sql`select setval('request_number_seq', ${1000 + size + 1}::bigint)`)
  await db.execute(sql`vacuum analyze`)
  const [bytes] = await rows<{ total: string }>(sql`select pg_total_relation_size('requests') as total`)
  log(
    `seeded ${size.toLocaleString('en-US')} requests in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
      `requests with its indexes: ${(Number(bytes!.total) / 2 ** 20).toFixed(0)} MiB, ` +
      `${(Number(bytes!.total) / size).toFixed(0)} bytes a request`,
  )

  const [bounds] = await rows<{ min: number; max: number }>(
    sql`select min(id)::int as min, max(id)::int as max from requests`,
  )
  return { places, caller: caller!, holders, token, bounds: bounds! }
}

/**
 * `GET /api/v1/requests` through the real app (createApi with real dependencies, a street officer's
 * token, over HTTP on loopback) against a bare Hono route that runs the hand-written query for the same
 * filter through the driver directly (postgres.js, prepared; or PGlite's own client), with no auth, no
 * validation and no DTO: 10 concurrent callers each, for every filter the API offers. `value` is
 * Gaizao's p99, `baseline` the bare route's, in the same run on the same database: the median of five
 * one-second rounds' p99s, the two taking turns, so a load elsewhere on the machine falls on both. Load
 * generator, both servers and (on PGlite) the database share this one process: so does the bare route.
 *
 * The store holds 1,000,000 requests on PostgreSQL and 100,000 on PGlite (BENCH_LIST_ROWS overrides: PGlite
 * is one single-threaded process, where seeding a million rows with their trigram index takes minutes and
 * the ten callers queue behind one another anyway), filed one a minute over
 * the years before `now` in 50 xiaoqu of 10 streets: the newest 5% open (a fifth of them still
 * submitted), the rest closed or resolved, 19 of the 20 categories.
 */
async function listBench(ctx: BenchContext, at10m?: { size: number; prefix: string }) {
  const size =
    at10m?.size || Number(process.env.BENCH_LIST_ROWS) || (ctx.database === 'postgres' ? 1_000_000 : 100_000)
  const sizeLabel = size.toLocaleString('en-US')
  const database = await openScratch(ctx.url, 'list', connections)
  const { db } = database
  const now = new Date('2026-03-12T02:00:00Z')
  const at = now.toISOString()
  const clock = createTestClock(now)
  const servers: { close(): void }[] = []
  let bareClient: postgres.Sql | undefined

  try {
    const { places, caller, holders, token, bounds } = await seedRequests(db, size, now, ctx.log)
    const home = places.filter((p) => p.street === 0)
    const away = places.find((p) => p.street === 1)!
    const homeHolder = holders[0]!
    // A filter as the API takes it, and the hand-written query's WHERE for the same thing.
    const filters: { name: string; query: Record<string, string>; expect: 'full' | 'empty' }[] = [
      { name: 'list-none', query: {}, expect: 'full' },
      { name: 'list-category', query: { category: '电梯' }, expect: 'full' },
      { name: 'list-category-empty', query: { category: emptyCategory }, expect: 'empty' },
      {
        name: 'list-status-xiaoqu',
        query: { status: 'resolved', xiaoquId: String(home[1]!.id) },
        expect: 'full',
      },
      {
        name: 'list-status-xiaoqu-open',
        query: { status: 'submitted', xiaoquId: String(home[0]!.id) },
        expect: 'full',
      },
      { name: 'list-overdue', query: { overdue: 'true' }, expect: 'full' },
      { name: 'list-out-of-scope', query: { xiaoquId: String(away.id) }, expect: 'empty' },
      {
        name: 'list-deep-page',
        query: { cursor: String(bounds!.min + Math.floor(size / 10)) },
        expect: 'full',
      },
      {
        name: 'list-deep-page-category',
        query: { category: '停车', cursor: String(bounds!.min + Math.floor(size / 10)) },
        expect: 'full',
      },
      { name: 'list-keyword', query: { q: '楼道灯' }, expect: 'full' },
      { name: 'list-assignee', query: { assignee: String(homeHolder.id) }, expect: 'full' },
      { name: 'list-assignee-none', query: { assignee: 'none' }, expect: 'full' },
      { name: 'list-flag-urged', query: { flag: 'urged' }, expect: 'full' },
      { name: 'list-flag-withdrawal', query: { flag: 'withdrawal' }, expect: 'full' },
    ]

    // Gaizao: the real app.
    const deps = {
      db,
      database,
      clock,
      log: silentLog,
      config: loadConfig({}),
      classifier: createClassifier(),
      calendar: createReloadableCalendar(),
      outboxSignal: createNotifier(),
    }
    const app = createApi(deps)

    // The bare route: the query for the filter, written by hand, run through the driver itself.
    type Query = (text: string, params: unknown[]) => Promise<unknown[]>
    let query: Query
    if (database.driver === 'postgres') {
      const client = postgres(database.url!, { max: connections, onnotice: () => {} })
      bareClient = client
      query = (text, params) =>
        client.unsafe(text, params as never[], { prepare: true }) as Promise<unknown[]>
    } else {
      const client = (db as unknown as { $client: PGlite }).$client
      query = async (text, params) => (await client.query(text, params)).rows
    }
    const scope = `${caller!.scopePath}%`
    const bare = new Hono()
    bare.get('/requests', async (c) => {
      const p = c.req.query()
      const params: unknown[] = [scope]
      const where = ['x.path like $1']
      const arg = (v: unknown) => `$${params.push(v)}`
      if (p.status) where.push(`r.status = ${arg(p.status)}`)
      if (p.category) where.push(`r.category = ${arg(p.category)}`)
      if (p.xiaoquId) {
        const id = arg(Number(p.xiaoquId))
        // A xiaoqu out of the caller's scope: checked once, before any request is read.
        where.push(
          `r.xiaoqu_id = ${id}`,
          `exists (select from xiaoqu s where s.id = ${id} and s.path like $1)`,
        )
      }
      if (p.overdue === 'true')
        where.push(
          `r.status in ('submitted', 'accepted') and ((r.status = 'submitted' and r.response_due_at < ${arg(at)}) or r.resolution_due_at < $${params.length})`,
        )
      if (p.flag === 'urged') where.push(`r.urge_count > 0 and r.status in ('submitted', 'accepted')`)
      if (p.flag === 'withdrawal')
        where.push(`r.withdrawal_asked_at is not null and r.status in ('submitted', 'accepted')`)
      if (p.assignee === 'none') where.push('r.assignee_staff_id is null')
      else if (p.assignee) where.push(`r.assignee_staff_id = ${arg(Number(p.assignee))}`)
      if (p.q) where.push(`r.text ilike ${arg(`%${p.q}%`)}`)
      if (p.cursor) where.push(`r.id < ${arg(Number(p.cursor))}`)
      const found = await query(
        `select r.*, x.name as xiaoqu_name, a.name as author_name
         from requests r join xiaoqu x on x.id = r.xiaoqu_id left join residents a on a.id = r.resident_id
         where ${where.join(' and ')} order by r.id desc limit ${arg(limit + 1)}`,
        params,
      )
      const page = found.slice(0, limit) as { id: number }[]
      return c.json({ items: page, nextCursor: found.length > limit ? String(page.at(-1)!.id) : null })
    })

    const listen = (fetch: (request: Request) => Response | Promise<Response>) =>
      new Promise<string>((resolve) => {
        const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
          resolve(`http://127.0.0.1:${info.port}`),
        )
        servers.push(server)
      })
    const gaizaoUrl = `${await listen(app.fetch)}/api/v1/requests`
    const bareUrl = `${await listen(bare.fetch)}/requests`
    const headers = { authorization: `Bearer ${token}` }

    const get = async (url: string) => {
      const res = await fetch(url, { headers })
      const body = (await res.json()) as { items: { number: string }[]; nextCursor: string | null }
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`)
      return body
    }
    /** 10 callers, each sending its next request when the last is answered, for `ms`: the latencies. */
    const load = async (url: string, ms: number, into: number[]) => {
      const end = performance.now() + ms
      await Promise.all(
        Array.from({ length: connections }, async () => {
          while (performance.now() < end) {
            const start = performance.now()
            const res = await fetch(url, { headers })
            await res.arrayBuffer()
            if (res.status !== 200) throw new Error(`${url}: ${res.status}`)
            into.push(performance.now() - start)
          }
        }),
      )
    }

    for (const f of filters) {
      const qs = new URLSearchParams(f.query).toString()
      const ours = `${gaizaoUrl}${qs ? `?${qs}` : ''}`
      const theirs = `${bareUrl}${qs ? `?${qs}` : ''}`
      // The same answer from both, and the one expected.
      const a = await get(ours)
      const b = (await get(theirs)) as unknown as { items: { number: string }[] }
      const numbers = a.items.map((r) => r.number).join(',')
      if (numbers !== b.items.map((r) => r.number).join(','))
        throw new Error(
          `${f.name}: Gaizao answered ${numbers}, the bare query ${b.items.map((r) => r.number)}`,
        )
      if (f.expect === 'empty' ? a.items.length !== 0 : a.items.length !== limit || !a.nextCursor)
        throw new Error(
          `${f.name}: expected ${f.expect === 'empty' ? 'nothing' : 'a full page'}, got ${a.items.length}`,
        )
      await load(ours, 300, [])
      await load(theirs, 300, [])
      // Rounds of a second each, alternating which goes first; each round's p99, then their median: one
      // stall of the machine (other work on its two cores) spoils a round, not the figure.
      const gaizao: number[][] = []
      const baseline: number[][] = []
      for (let round = 0; round < rounds; round++) {
        const a: number[] = []
        const b: number[] = []
        if (round % 2 === 0) {
          await load(ours, 1_000, a)
          await load(theirs, 1_000, b)
        } else {
          await load(theirs, 1_000, b)
          await load(ours, 1_000, a)
        }
        gaizao.push(a)
        baseline.push(b)
      }
      const p99 = (runs: number[][]) => median(runs.map((r) => quantile(r, 0.99)))
      const p50 = (runs: number[][]) => median(runs.map((r) => quantile(r, 0.5)))
      const calls = (runs: number[][]) => runs.reduce((n, r) => n + r.length, 0)
      const value = p99(gaizao)
      const base = p99(baseline)
      ctx.log(
        `${f.name}: p99 ${value.toFixed(1)} ms (p50 ${p50(gaizao).toFixed(1)}, ${calls(gaizao)} calls) against bare p99 ${base.toFixed(1)} ms (p50 ${p50(baseline).toFixed(1)}, ${calls(baseline)} calls)`,
      )
      ctx.report({
        name: `${at10m?.prefix ?? ''}${f.name}`,
        value,
        unit: 'ms p99',
        baseline: base,
        ratio: value / base,
        database: database.driver,
        baselineLabel: `bare Hono route + driver, ${sizeLabel} rows`,
        target: '< 20 ms, ≤ 1.5×',
      })
    }
  } finally {
    for (const server of servers) server.close()
    await bareClient?.end()
    await database.close()
  }
}

export const benches: Bench[] = [
  {
    name: 'list',
    description:
      'GET /api/v1/requests p99 at 1,000,000 rows (PGlite 100,000), 10 callers, every filter, against a bare route',
    databases: ['pglite', 'postgres'],
    run: (ctx) => listBench(ctx),
  },
]

/** Every filter at 10,000,000 requests (issue 15's city scale; `npm run bench -- city`), named city-list-…. */
export const listBenchCity = (ctx: BenchContext) => listBench(ctx, { size: 10_000_000, prefix: 'city-' })
