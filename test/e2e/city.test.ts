import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Account,
  accounts,
  type CityGroup,
  type CityWorld,
  cityAccounts,
  cityWorld,
  must,
  type Said,
  until,
} from '../support/city-world'
import { freePort, type GaizaoProcess, startGaizaoProcess } from '../support/gaizao-process'
import { type Gateway, startGateway } from '../support/gateway'
import { createTestDatabase } from '../support/test-db'

/** Short, so a takeover is quick: a lease lapses 6 s after its last renewal, renewed and retried every 2 s. */
const leaseSeconds = 6
const retryMs = 2_000

/** A message's text as the outbox holds it: WeChat puts the @mentions (`@name` + U+2005) in front. */
const bare = (text: string) => text.replace(/^(@[^\s\u2005]+[\s\u2005])+/, '')

/** Shanghai's calendar date of an instant, as calendar_overrides keys it. */
const shanghaiDay = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(at)

/**
 * Issue 15's proof: a city on one PostgreSQL. Two WeChat accounts (a and b, each on its own gRPC gateway),
 * two API processes, two bot processes and two job runners, all real processes configured by env only.
 * A day of filings in both accounts' groups (one group holds both bots), a broadcast to every group, nudges
 * with both job runners ticking, then the bot process serving both accounts is killed and the other takes
 * over. Each request is filed once, each message said once, each (item, level) nudged once, nothing left to
 * send. Needs PostgreSQL (TEST_DATABASE_URL).
 */
describe.runIf(Boolean(process.env.TEST_DATABASE_URL))(
  'a city: every role twice against one PostgreSQL',
  () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>
    let sql: postgres.Sql
    const gateways = {} as Record<Account, Gateway>
    let world: CityWorld
    const processes: Record<string, GaizaoProcess> = {}
    const apis: GaizaoProcess[] = []
    const measured: Record<string, number> = {}
    /** When the deadlines were moved into the past: the job ticks counted start after it. */
    let overdueMovedAt = 0
    let officerId: string
    let residentIds: string[]
    let officerToken: string
    let districtId: number
    const groups: Record<'officers' | 'ra' | 'rb' | 'rab', CityGroup> = {} as never
    /** Every request filed, by a text found only in it, with how it was filed. */
    const filed: { marker: string; number: string; via: string; groupId?: string }[] = []

    const start = async (name: string, env: Record<string, string>) => {
      processes[name] = await startGaizaoProcess(env)
      return processes[name]
    }
    const holderOf = (p: GaizaoProcess) => `:${p.child.pid}:`
    const statuses = async () =>
      Object.fromEntries(
        (
          await sql<{ account: string; state: string; holder: string }[]>`
        select account, state, holder from bot_status`
        ).map((r) => [r.account, r]),
      )
    const residentsGroups = () => [groups.ra, groups.rb, groups.rab]

    beforeAll(async () => {
      const startedAt = Date.now()
      database = await createTestDatabase('postgres')
      sql = postgres(database.url!, { max: 2, onnotice: () => {} })
      for (const account of accounts) {
        gateways[account] = await startGateway({
          port: await freePort(),
          botId: cityAccounts[account].botId,
          botName: cityAccounts[account].botName,
        })
      }
      world = cityWorld(gateways)
      for (const account of accounts) {
        const { label, tokenEnv } = cityAccounts[account]
        await sql`insert into bot_accounts (name, label, puppet, endpoint, token_env)
        values (${account}, ${label}, 'wechaty-puppet-service', ${gateways[account].endpoint}, ${tokenEnv})`
      }
      // The job runners use the real clock and skip non-urgent nudges on rest days; CI runs on any day, so
      // today and tomorrow (Shanghai) are made working days (an admin's 调休 override), read at start.
      for (const at of [new Date(), new Date(Date.now() + 86_400_000)]) {
        await sql`insert into calendar_overrides (date, kind, name) values (${shanghaiDay(at)}, 'workday', '测试调休')
        on conflict (date) do update set kind = 'workday'`
      }

      const common = {
        DATABASE_URL: database.url!,
        WECHATY_PUPPET: 'wechaty-puppet-service',
        WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: 'true',
        // Pacing off (the gap and quiet hours are off in every process test): no rate per minute either.
        SEND_RATE_PER_MINUTE: '0',
        // A row a dead sender held comes back after 5 s, not a minute.
        SEND_LEASE_MS: '5000',
        BOT_LEASE_SECONDS: String(leaseSeconds),
      }
      const botEnv = {
        ...common,
        // Every account here has a row; the env's own account is not run, but the setting wants a token.
        WECHATY_PUPPET_SERVICE_TOKEN: 'insecure_not-used',
        ROLE: 'bot',
        BOT_ACCOUNTS: 'a,b',
        GAIZAO_ACCOUNT_A_TOKEN: gateways.a.token,
        GAIZAO_ACCOUNT_B_TOKEN: gateways.b.token,
      }
      // Deterministic bots: bot1 takes both leases before bot2 starts, so bot2 is the standby for both and
      // killing bot1 moves both accounts at once. (bot1=a with bot2=b,a would be deterministic too, but the
      // kill would then take over only one account.)
      const bot1 = await start('bot1', botEnv)
      await bot1.until(
        async () => {
          const rows = await statuses()
          return accounts.every(
            (a) => rows[a]?.state === 'online' && rows[a]?.holder.includes(holderOf(bot1)),
          )
        },
        'bot1 online for a and b',
        90_000,
      )
      const [api1, api2, , ,] = await Promise.all([
        start('api1', { ...common, ROLE: 'api' }),
        start('api2', { ...common, ROLE: 'api' }),
        start('jobs1', { ...common, ROLE: 'jobs' }),
        start('jobs2', { ...common, ROLE: 'jobs' }),
        start('bot2', botEnv),
      ])
      apis.push(api1!, api2!)
      for (const name of ['api1', 'api2', 'jobs1', 'jobs2']) {
        const p = processes[name]!
        await p.until(async () => (await p.readyz()).status === 200, `${name} ready`, 90_000)
      }
      const bot2 = processes.bot2!
      const waiting = (account: string) =>
        bot2.lines.some(
          (l) => l.includes('another process holds this bot account') && l.includes(`"account":"${account}"`),
        )
      await bot2.until(() => waiting('a') && waiting('b'), 'bot2 waiting for the leases of a and b', 90_000)
      measured.startupMs = Date.now() - startedAt
    }, 200_000)

    afterAll(async () => {
      for (const p of Object.values(processes)) await p.cleanup()
      for (const account of accounts) await gateways[account]?.close()
      await sql?.end({ timeout: 1 })
      await database?.close()
      process.stdout.write(`city e2e: ${JSON.stringify(measured)}\n`)
      // What each bot said and each process logged, for a failure in CI (test-artifacts is not committed).
      const artifacts = join(import.meta.dirname, '..', '..', 'test-artifacts', 'city')
      mkdirSync(artifacts, { recursive: true })
      writeFileSync(
        join(artifacts, 'said.txt'),
        (world?.said() ?? [])
          .map(
            (m) =>
              `${new Date(m.at).toISOString()} ${m.account} ${m.roomId ?? m.toId}: ${JSON.stringify(m.text)}\n`,
          )
          .join(''),
      )
      for (const [name, p] of Object.entries(processes)) {
        writeFileSync(join(artifacts, `${name}.log`), `${p.lines.join('\n')}\n`)
      }
    })

    it("binds a street: an officer, the officers' group and residents' groups of a, of b and of both", async () => {
      const api = apis[0]!
      const district = await must(api, 'POST', '/areas', { kind: 'district', name: '东城区' })
      districtId = district.id
      const street = await must(api, 'POST', '/areas', {
        kind: 'street',
        name: '和平里街道',
        parentId: district.id,
      })
      const community = await must(api, 'POST', '/areas', {
        kind: 'community',
        name: '和平里社区',
        parentId: street.id,
      })
      const xiaoqu = [] as number[]
      for (const name of ['和平里一区', '和平里二区', '和平里三区']) {
        xiaoqu.push((await must(api, 'POST', '/xiaoqu', { communityId: community.id, name })).id)
      }
      const officer = (await must(api, 'POST', '/staff', {
        name: '赵敏',
        role: 'officer',
        areaId: street.id,
      })) as unknown as { staff: { id: number }; token: string }
      officerToken = officer.token
      officerId = world.person('赵敏（街道）', 'wxid_city_officer')
      residentIds = [
        world.person('王淑芬', 'wxid_city_resident_1'),
        world.person('陈立国', 'wxid_city_resident_2'),
        world.person('刘桂兰', 'wxid_city_resident_3'),
      ]
      groups.officers = world.group('officers', '和平里街道改造工作群', ['a', 'b'], [officerId])
      groups.ra = world.group('ra', '和平里一区居民群', ['a'], [officerId, ...residentIds])
      groups.rb = world.group('rb', '和平里二区居民群', ['b'], [officerId, ...residentIds])
      groups.rab = world.group('rab', '和平里三区居民群', ['a', 'b'], [officerId, ...residentIds])
      groups.ra.xiaoquId = xiaoqu[0]
      groups.rb.xiaoquId = xiaoqu[1]
      groups.rab.xiaoquId = xiaoqu[2]

      const code = (await must(api, 'POST', `/staff/${officer.staff.id}/binding-code`)).code as string
      let after = Date.now()
      world.sayPrivately('a', officerId, `绑定 ${code}`)
      await world.waitForSaid('绑定成功', (m) => m.toId === officerId && m.text.includes('绑定成功'), {
        after,
      })

      const bind = async (target: CityGroup, path: string, body?: unknown) => {
        const groupCode = (await must(apis[1]!, 'POST', path, body)).code as string
        after = Date.now()
        world.say(target, officerId, `绑定小区 ${groupCode}`)
        await world.waitForSaid(
          `已绑定 in ${target.key}`,
          (m) => m.roomId === target.id && m.text.includes('已绑定'),
          {
            after,
          },
        )
      }
      await bind(groups.officers, `/areas/${street.id}/binding-code`)
      for (const target of residentsGroups()) {
        await bind(target, `/xiaoqu/${target.xiaoquId}/binding-code`, { kind: 'residents' })
      }
      // Each group heard its 已绑定 once, from one account, though both bots sit in two of them.
      for (const target of Object.values(groups)) {
        const heard = world.said().filter((m) => m.roomId === target.id && m.text.includes('已绑定'))
        expect(
          heard.map((m) => m.account),
          `已绑定 in ${target.key}`,
        ).toHaveLength(1)
      }
    }, 90_000)

    it("files a day of requests once each, from chat in both accounts' groups and through both API processes", async () => {
      // Through the API first, so their deadlines can be moved past early and the job runners start ticking.
      let n = 0
      for (const target of [...residentsGroups(), ...residentsGroups()]) {
        const marker = `${20 + n}号楼`
        const api = apis[n % 2]!
        const res = await api.api(
          'POST',
          '/requests',
          {
            xiaoquId: target.xiaoquId,
            text: `${marker}单元门禁坏了，关不上`,
            channel: 'phone',
            residentName: '孙大妈',
          },
          officerToken,
        )
        expect(res.status, res.text).toBe(201)
        filed.push({ marker, number: res.body.number as string, via: `api${(n % 2) + 1}` })
        n++
      }
      // Overdue by weeks: every rung (owner, supervisor, leadership) is due at the next tick of either runner.
      const apiNumbers = filed.map((f) => f.number)
      const moved = await sql`
      with r as (
        update requests set response_due_at = response_due_at - interval '30 days',
          resolution_due_at = resolution_due_at - interval '30 days'
        where number in ${sql(apiNumbers)} returning id)
      update watches set due_at = due_at - interval '30 days', remind_at = null, next_level = 1,
        next_at = due_at - interval '30 days'
      where item_kind in ('request-response', 'request-resolution') and item_id in (select id from r)
      returning item_kind, item_id`
      expect(moved.length).toBeGreaterThanOrEqual(apiNumbers.length)
      measured.overdueWatches = moved.length
      overdueMovedAt = Date.now()

      // Residents @-mention a bot in every group: in the group both bots sit in, each bot by turns.
      const chats: [CityGroup, Account][] = [
        [groups.ra, 'a'],
        [groups.rb, 'b'],
        [groups.rab, 'a'],
        [groups.rab, 'b'],
        [groups.ra, 'a'],
        [groups.rb, 'b'],
        [groups.rab, 'b'],
        [groups.rab, 'a'],
      ]
      for (const [i, [target, mention]] of chats.entries()) {
        const marker = `${40 + i}号楼`
        const after = Date.now()
        world.say(target, residentIds[i % residentIds.length]!, `${marker}楼道灯坏了，晚上黑乎乎的`, mention)
        // The request as filed (whoever filed it), then its reply in the group, by its number.
        let number = ''
        await until(async () => {
          const rows = await sql<{ number: string }[]>`
            select number from requests where text like ${`%${marker}%`} order by id limit 1`
          number = rows[0]?.number ?? ''
          return number !== ''
        }, `the request for ${marker} (${target.key}, @${mention}) filed`)
        await world.waitForSaid(
          `the reply to ${number} (${marker}) in ${target.key}`,
          (m) => m.roomId === target.id && m.text.includes(`编号 ${number}`),
          { after },
        )
        filed.push({
          marker,
          number,
          via: `chat:${mention}`,
          groupId: target.id,
        })
      }

      for (const f of filed) {
        const rows = await sql<{ number: string; inbound: string | null }[]>`
        select number, inbound_message_id as inbound from requests where text like ${`%${f.marker}%`}`
        expect(
          rows.map((r) => r.number),
          `requests filed for ${f.marker} (${f.via})`,
        ).toEqual([f.number])
        if (!f.via.startsWith('chat')) continue
        expect(rows[0]!.inbound, f.marker).toBeTruthy()
        // In the group both bots sit in, both accounts received it; only the one that files it stores it.
        const [inbound] = await sql<{ n: number }[]>`
        select count(*)::int as n from inbound_messages where text like ${`%${f.marker}%`}`
        expect(inbound!.n, `inbound rows for ${f.marker} (${f.via})`).toBe(1)
      }
      const [twice] = await sql<{ n: number }[]>`
      select count(*)::int as n from (select inbound_message_id from requests
        where inbound_message_id is not null group by 1 having count(*) > 1) d`
      expect(twice!.n, 'inbound messages filed twice').toBe(0)
      // The group both bots sit in got each reply once: one account answered, the other kept quiet.
      await until(async () => (await pendingCount()) === 0, 'the outbox drained after the filings')
      for (const f of filed.filter((f) => f.groupId)) {
        const replies = world.said().filter((m) => m.roomId === f.groupId && m.text.includes(f.number))
        expect(
          replies.map((m) => m.account),
          `replies to ${f.number} (${f.via})`,
        ).toHaveLength(1)
      }
      // The officers hear of each request filed by phone once (through whichever account their group is routed to).
      for (const f of filed.filter((f) => f.via.startsWith('api'))) {
        await world.waitForSaid(
          `the officers told of ${f.number}`,
          (m) => m.roomId === groups.officers.id && m.text.includes(f.number),
        )
      }
      for (const f of filed) {
        const told = world.said().filter((m) => m.roomId === groups.officers.id && m.text.includes(f.number))
        expect(told.length, `officers told of ${f.number} (${f.via})`).toBeLessThanOrEqual(1)
      }
      const shared = world.said().filter((m) => m.roomId === groups.rab.id && /Q\d+/.test(m.text))
      measured.sharedGroupRepliesByA = shared.filter((m) => m.account === 'a').length
      measured.sharedGroupRepliesByB = shared.filter((m) => m.account === 'b').length
    }, 120_000)

    const pendingCount = async () => {
      const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from outbox where status in ('pending', 'sending')`
      return row!.n
    }

    /** Each group's one route, and what a broadcast's text reached, per group and account. */
    const checkBroadcast = async (text: string) => {
      const routes = Object.fromEntries(
        (
          await sql<{ id: string; account: string }[]>`
        select conversation_id as id, account from conversation_routes`
        ).map((r) => [r.id, r.account]),
      )
      for (const target of residentsGroups()) {
        const heard = world.said().filter((m) => m.roomId === target.id && m.text.includes(text))
        expect(
          heard.map((m) => m.account),
          `the broadcast in ${target.key}`,
        ).toEqual([routes[target.id]])
        const rows = await sql<{ status: string; sentBy: string | null }[]>`
        select status, sent_by as "sentBy" from outbox where conversation_id = ${target.id}
          and text like ${`%${text}%`}`
        expect(rows, `the broadcast's outbox row for ${target.key}`).toEqual([
          { status: 'sent', sentBy: routes[target.id] },
        ])
      }
    }

    it('broadcasts to every group once, each through the account it is routed to', async () => {
      const text = '【通知】12月8日9:00至17:00和平里片区停水，请提前储水。'
      const notice = await must(apis[1]!, 'POST', '/notices/broadcasts', { text, areaId: districtId })
      expect(notice.groupCount).toBe(3)
      for (const target of residentsGroups()) {
        await world.waitForSaid(
          `the broadcast in ${target.key}`,
          (m) => m.roomId === target.id && m.text.includes(text),
        )
      }
      await until(async () => (await pendingCount()) === 0, 'the outbox drained after the broadcast')
      await checkBroadcast(text)
      // Both accounts carried part of it: rb is b's alone, ra a's alone.
      const carriers = new Set(
        world
          .said()
          .filter((m) => m.text.includes(text))
          .map((m) => m.account),
      )
      expect([...carriers].sort()).toEqual(['a', 'b'])
    }, 60_000)

    it('nudges each overdue (item, level) once though two job runners tick every minute', async () => {
      const movedAt = overdueMovedAt
      const ticks = async () =>
        sql<{ minute: Date; n: number }[]>`
        select date_trunc('minute', started_at) as minute, count(*)::int as n from job_runs
        where job = 'overdue-scan' and finished_at is not null and error is null
          and started_at > ${new Date(movedAt)} group by 1 order by 1`
      // Two ticks after the deadlines moved: the first nudges, the second must find nothing left to claim.
      await until(
        async () => (await ticks()).length >= 2,
        'two overdue-scan ticks after the deadlines moved',
        150_000,
      )
      const perMinute = await ticks()
      measured.overdueTicksPerMinute = Math.max(...perMinute.map((t) => t.n))
      // Both runners ran (each records its run; one of them got the lock and did the work).
      expect(
        perMinute.some((t) => t.n === 2),
        `runs per minute: ${JSON.stringify(perMinute)}`,
      ).toBe(true)

      const numbers = filed.filter((f) => f.via.startsWith('api')).map((f) => f.number)
      const nudged = await sql<{ kind: string; id: number; level: number }[]>`
      select n.item_kind as kind, n.item_id as id, n.level from nudges n
      join requests r on r.id = n.item_id and n.item_kind like 'request-%'
      where r.number in ${sql(numbers)}`
      // Every watch moved fires owner, supervisor and leadership: 3 rungs each, once (the primary key).
      expect(nudged.length).toBe(measured.overdueWatches! * 3)
      expect(new Set(nudged.map((n) => `${n.kind}:${n.id}:${n.level}`)).size).toBe(nudged.length)
      measured.nudges = nudged.length

      await until(async () => (await pendingCount()) === 0, 'the nudge messages sent')
      const messages = await sql<{ conversation: string; text: string; status: string }[]>`
      select conversation_id as conversation, text, status from outbox where dedupe_key like 'nudge:%'`
      expect(messages.length, 'nudge messages').toBeGreaterThan(0)
      measured.nudgeMessages = messages.length
      for (const m of messages) {
        expect(m.status).toBe('sent')
        const heard = world
          .said()
          .filter((s) => (s.roomId ?? s.toId) === m.conversation && bare(s.text) === m.text)
        expect(heard, `nudge said to ${m.conversation}: ${m.text.slice(0, 40)}`).toHaveLength(1)
      }
    }, 180_000)

    it('takes both accounts over within the lease when their bot process dies, and sends what waited once', async () => {
      const bot1 = processes.bot1!
      const bot2 = processes.bot2!
      const killedAt = Date.now()
      await bot1.stop('SIGKILL')
      // Read once the holder is dead, so no renewal can move them: when the dead holder's leases lapse.
      const before = await sql<{ account: string; holder: string; expiresAt: Date }[]>`
        select account, holder, expires_at as "expiresAt" from bot_leases order by account`
      expect(before.map((l) => [l.account, l.holder.includes(holderOf(bot1))])).toEqual([
        ['a', true],
        ['b', true],
      ])
      const lastExpiry = new Map(before.map((l) => [l.account, l.expiresAt.getTime()]))

      // While no process speaks for either account: a request through each API process and a broadcast.
      const waited: string[] = []
      for (const [i, api] of apis.entries()) {
        const res = await api.api(
          'POST',
          '/requests',
          {
            xiaoquId: residentsGroups()[i]!.xiaoquId,
            text: `${60 + i}号楼外墙瓷砖掉落`,
            channel: 'phone',
            residentName: '周师傅',
          },
          officerToken,
        )
        expect(res.status, res.text).toBe(201)
        waited.push(res.body.number as string)
      }
      const text = '【通知】12月9日起和平里片区外墙改造施工，请注意安全。'
      await must(apis[0]!, 'POST', '/notices/broadcasts', { text, areaId: districtId })
      const enqueuedAt = Date.now()

      await until(
        async () => {
          const rows = await statuses()
          return accounts.every(
            (a) => rows[a]?.state === 'online' && rows[a]?.holder.includes(holderOf(bot2)),
          )
        },
        'bot2 online for a and b',
        60_000,
      )
      measured.onlineAfterKillMs = Date.now() - killedAt
      const after = await sql<{ account: string; holder: string; acquiredAt: Date }[]>`
      select account, holder, acquired_at as "acquiredAt" from bot_leases order by account`
      for (const lease of after) {
        expect(lease.holder, `lease of ${lease.account}`).toContain(holderOf(bot2))
        const late = lease.acquiredAt.getTime() - lastExpiry.get(lease.account)!
        measured[`takeover_${lease.account}_ms`] = lease.acquiredAt.getTime() - killedAt
        // Taken at the first retry after the dead holder's lease lapsed (retries every 2 s; 1 s of slack).
        expect(late, `lease ${lease.account} taken ${late} ms after it lapsed`).toBeLessThan(retryMs + 1_000)
        expect(lease.acquiredAt.getTime() - killedAt).toBeLessThan(leaseSeconds * 1_000 + retryMs + 1_000)
      }
      // Nobody spoke for either account between the kill and the takeover.
      const firstTakeover = Math.min(...after.map((l) => l.acquiredAt.getTime()))
      expect(world.said().filter((m) => m.at > killedAt && m.at < firstTakeover)).toEqual([])

      // What waited goes out once, after the takeover, by the accounts the conversations are routed to.
      for (const number of waited) {
        await world.waitForSaid(
          `the news of ${number} in the officers' group`,
          (m) => m.roomId === groups.officers.id && m.text.includes(number),
          {
            after: enqueuedAt,
            timeoutMs: 30_000,
          },
        )
      }
      for (const target of residentsGroups()) {
        await world.waitForSaid(
          `the second broadcast in ${target.key}`,
          (m) => m.roomId === target.id && m.text.includes(text),
          {
            timeoutMs: 30_000,
          },
        )
      }
      measured.waitedDeliveredAfterKillMs = Date.now() - killedAt
      await until(async () => (await pendingCount()) === 0, 'no outbox row left pending or sending', 30_000)
      await checkBroadcast(text)
      for (const number of waited) {
        const heard = world.said().filter((m) => m.roomId === groups.officers.id && m.text.includes(number))
        expect(heard, `officers told of ${number}`).toHaveLength(1)
      }
    }, 120_000)

    it('said every message once: what the gateways saw is what the outbox sent, per account', async () => {
      const rows = await sql<{ status: string; sentBy: string | null; conversation: string; text: string }[]>`
      select status, sent_by as "sentBy", conversation_id as conversation, text from outbox`
      const uncertain = rows.filter((r) => r.status === 'uncertain')
      expect(
        uncertain.length,
        `uncertain rows (at most the one message in hand at the kill): ${JSON.stringify(uncertain)}`,
      ).toBeLessThanOrEqual(1)
      expect(
        rows.filter((r) => r.status === 'failed' || r.status === 'pending' || r.status === 'sending'),
      ).toEqual([])
      const key = (conversation: string, text: string) => `${conversation}\u0000${text}`
      const said = world.said()
      const saidCount = new Map<string, Said[]>()
      for (const m of said) {
        const k = key(m.roomId ?? m.toId ?? '', bare(m.text))
        saidCount.set(k, [...(saidCount.get(k) ?? []), m])
      }
      const inHand = new Set(uncertain.map((r) => key(r.conversation, r.text)))
      for (const r of rows.filter((r) => r.status === 'sent')) {
        const heard = saidCount.get(key(r.conversation, r.text)) ?? []
        const allowed = inHand.has(key(r.conversation, r.text)) ? 2 : 1
        expect(heard.length, `said to ${r.conversation}: ${r.text.slice(0, 40)}`).toBeGreaterThanOrEqual(1)
        expect(heard.length, `said to ${r.conversation}: ${r.text.slice(0, 40)}`).toBeLessThanOrEqual(allowed)
        expect(heard[0]!.account, `the account that said ${r.text.slice(0, 40)}`).toBe(r.sentBy)
      }
      // And nothing was said that the outbox did not send (the message in hand at the kill aside).
      for (const account of accounts) {
        const sent = rows.filter((r) => r.status === 'sent' && r.sentBy === account).length
        const heard = said.filter((m) => m.account === account).length
        expect(heard - sent, `account ${account}: said ${heard}, sent ${sent}`).toBeGreaterThanOrEqual(0)
        expect(heard - sent, `account ${account}: said ${heard}, sent ${sent}`).toBeLessThanOrEqual(
          uncertain.length,
        )
      }
      measured.messagesSaid = said.length
    })
  },
)
