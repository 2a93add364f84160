import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rowsOf } from '../../db/client'
import { runStatement } from '../../db/statements'
import { createTestDeps, type TestDeps } from '../support/deps'
import { drivers } from '../support/test-db'

/** The hand-written hot statements (db/statements.ts): one text, its parameters, on either database. */
describe.each(drivers)('runStatement on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver)
  })
  afterAll(async () => {
    await deps.database.close()
  })
  const echo = 'select $1::text as t, $2::int as n, $3::boolean as b, $4::jsonb as j, $5::text as nothing'

  it('passes every kind of parameter through intact: quotes, backslashes, half an emoji, JSON, null', async () => {
    const text = `it's a \\'quote\\' -- not a comment; $1 ${'\ud83d'} 楼道灯`
    const [row] = await runStatement(deps.db, 'test_echo', echo, [text, 42, true, '[{"a":"b\'c"}]', null])
    expect(row).toEqual({
      t: text.replace('\ud83d', '\ufffd'),
      n: 42,
      b: true,
      j: [{ a: "b'c" }],
      nothing: null,
    })
    // Again, now that it is prepared (on PGlite), with other values.
    const [again] = await runStatement(deps.db, 'test_echo', echo, ["''", -1, false, 'null', 'x'])
    expect(again).toEqual({ t: "''", n: -1, b: false, j: null, nothing: 'x' })
  })

  it('answers callers that arrive together while the statement is first prepared, in transactions too', async () => {
    const statement = 'select $1::int * 2 as twice'
    const results = await Promise.all([
      ...[1, 2, 3].map((n) => runStatement(deps.db, 'test_twice', statement, [n])),
      deps.db.transaction((tx) => runStatement(tx, 'test_twice', statement, [4])),
      ...[5, 6].map((n) => runStatement(deps.db, 'test_twice', statement, [n])),
    ])
    expect(results.map(([row]) => row)).toEqual([2, 4, 6, 8, 10, 12].map((twice) => ({ twice })))
    const [after] = await runStatement(deps.db, 'test_twice', statement, [7])
    expect(after).toEqual({ twice: 14 })
  })

  it('runs in transactions one after another, and again after a first attempt that failed', async () => {
    const statement = 'select $1::int + 1 as next'
    // The first attempt fails inside a transaction (on PGlite: after PREPARE, at EXECUTE), which is rolled back.
    await expect(
      deps.db.transaction((tx) => runStatement(tx, 'test_next', statement, ['not a number'])),
    ).rejects.toThrow()
    for (const n of [1, 2, 3]) {
      const [row] = await deps.db.transaction((tx) => runStatement(tx, 'test_next', statement, [n]))
      expect(row).toEqual({ next: n + 1 })
    }
    const [outside] = await runStatement(deps.db, 'test_next', statement, [10])
    expect(outside).toEqual({ next: 11 })
  })
})

describe('runStatement on PGlite', () => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps('pglite')
  })
  afterAll(async () => {
    await deps.database.close()
  })

  it('keeps each statement prepared in the session, with its plan, across transactions', async () => {
    const statement = 'select count(*)::int as n from staff where id > $1'
    for (let k = 0; k < 8; k++) await runStatement(deps.db, 'test_count', statement, [k])
    await deps.db.transaction(async (tx) => {
      await runStatement(tx, 'test_count', statement, [0])
    })
    const prepared = rowsOf<{ name: string; plans: number }>(
      await deps.db.execute(sql`
        select name, (generic_plans + custom_plans)::int as plans from pg_prepared_statements
        where statement like '%from staff where id > $1%'`),
    )
    // One prepared statement for the text, run nine times (at most five custom plans, then its generic one).
    expect(prepared).toHaveLength(1)
    expect(prepared[0]!.name).toBe('gz_test_count')
    expect(prepared[0]!.plans).toBe(9)
  })
})
