// Hot statements by hand: one SQL text with positional parameters, prepared per connection on postgres.js,
// prepared in the session and run by EXECUTE on PGlite, and their raw rows mapped to what drizzle returns.
import { type Column, getTableColumns, type Table } from 'drizzle-orm'
import type { PgSession } from 'drizzle-orm/pg-core'
import { mayHoldLoneSurrogate, wellFormed } from '../core/shared/unicode'
import { type DbOrTx, rowsOf, sessionOf } from './client'

export type RawRow = Record<string, unknown>

/**
 * One SQL text with positional parameters, run through the caller's session (pool, transaction or savepoint).
 * On postgres.js: a prepared statement (postgres.js names it), parsed and planned once per connection. On
 * PGlite: EXECUTE of a statement prepared in the session, with the parameters as literals, in one simple
 * query, which costs it a fraction of the extended protocol's Parse/Bind/Describe/Execute round.
 * Parameters are strings, numbers, booleans or null: a timestamp goes as an ISO string, JSON as text.
 */
export function runStatement(db: DbOrTx, name: string, text: string, params: unknown[]): Promise<RawRow[]>
/** The same, each row as the array of its values in the select's order (`rowAt` maps them). */
export function runStatement(
  db: DbOrTx,
  name: string,
  text: string,
  params: unknown[],
  mode: 'array',
): Promise<unknown[][]>
export async function runStatement(
  db: DbOrTx,
  name: string,
  text: string,
  params: unknown[],
  mode?: 'array',
): Promise<RawRow[] | unknown[][]> {
  const session = (db as unknown as { _: { session: PgSession & { client: unknown } } })._.session
  const embedded = session.client as Partial<EmbeddedClient> & { unsafe?: unknown }
  // A NUL would end the simple query's text early: such a statement goes the extended way, which refuses
  // it (22021, answered 400) as before.
  const inlinable = params.every((p) => typeof p !== 'string' || !p.includes('\u0000'))
  if (typeof embedded.exec === 'function' && embedded.unsafe === undefined && inlinable) {
    // Every PGlite client comes from openDatabase, which marks a transaction's with its session.
    const owner = (embedded as { [sessionOf]?: object })[sessionOf] ?? embedded
    return runPrepared(embedded as EmbeddedClient, owner, name, text, params, mode)
  }
  if (typeof embedded.unsafe === 'function') {
    // postgres.js straight from the session's client (the pool's, or the transaction's or savepoint's, under
    // the health watch), as drizzle's prepared query would call it with no logger and no cache, without its
    // query object, tracing spans and cache lookup around every call.
    const query = (embedded as PostgresJsClient).unsafe(text, params, { prepare: true })
    if (mode === 'array') return (await query.values()) as unknown[][]
    return rowsOf<RawRow>(await query)
  }
  // PGlite with a NUL among the parameters: drizzle's extended-protocol query, which refuses it.
  if (mode === 'array') {
    // drizzle hands a custom mapper the driver's rows in array mode: as they are, here.
    const query = session.prepareQuery({ sql: text, params }, undefined, name, true, (rows) => rows)
    return (await query.execute()) as unknown[][]
  }
  return rowsOf<RawRow>(await session.prepareQuery({ sql: text, params }, undefined, name, false).execute())
}

/** What runStatement calls of a postgres.js client (pool, transaction or savepoint). */
interface PostgresJsClient {
  unsafe(
    text: string,
    params: unknown[],
    options: { prepare: boolean },
  ): Promise<unknown> & {
    values(): Promise<unknown>
  }
}

/** A statement in a PGlite session: its name there, whether it is known to exist, and its first attempts. */
interface Prepared {
  name: string
  ready: boolean
  tries: number
  /** A first attempt (PREPARE and EXECUTE) on its way. */
  preparing: boolean
}

/** Per PGlite session, per statement text. */
const preparedIn = new WeakMap<object, Map<string, Prepared>>()

/**
 * On PGlite: the statement is prepared in the session the first time (PREPARE), then run by EXECUTE with
 * its parameters as literals, all in one simple query. PGlite would otherwise parse, analyse and plan the
 * whole text for every call; EXECUTE's text is short and the plan is kept.
 * - A prepared statement outlives a failed transaction, so when a first attempt fails the statement may or
 *   may not exist: the next attempt prepares it afresh under a new name rather than guess (one stray
 *   statement per such failure, before the first success only).
 * - While one caller's first attempt is on its way, another runs the whole text with the literals written
 *   in, as it would without PREPARE: waiting for the attempt could deadlock, as a caller inside a
 *   transaction holds PGlite until its transaction ends.
 */
async function runPrepared(
  client: EmbeddedClient,
  session: object,
  name: string,
  text: string,
  params: unknown[],
  mode?: 'array',
) {
  let statements = preparedIn.get(session)
  if (!statements) {
    statements = new Map()
    preparedIn.set(session, statements)
  }
  let state = statements.get(text)
  if (!state) {
    state = { name: `gz_${name}`, ready: false, tries: 0, preparing: false }
    statements.set(text, state)
  }
  const rowsOfLast = (results: { rows: RawRow[] }[]) => results.at(-1)?.rows ?? []
  const options = mode === 'array' ? ({ rowMode: 'array' } as const) : undefined
  if (state.preparing) {
    const inlined = text.replace(/\$(\d+)/g, (_match, n: string) => literal(params[Number(n) - 1]))
    return rowsOfLast(await client.exec(inlined, options))
  }
  const args = params.map(argument).join(', ')
  const execute = (on: string) => `execute ${on}${args ? `(${args})` : ''}`
  if (state.ready) return rowsOfLast(await client.exec(execute(state.name), options))
  state.preparing = true
  state.tries++
  try {
    const results = await client.exec(`prepare ${state.name} as ${text};\n${execute(state.name)}`, options)
    state.ready = true
    return rowsOfLast(results)
  } catch (error) {
    state.name = `gz_${name}_${state.tries}`
    throw error
  } finally {
    state.preparing = false
  }
}

interface EmbeddedClient {
  exec(query: string, options?: { rowMode: 'array' }): Promise<{ rows: RawRow[] }[]>
}

/**
 * A parameter as an argument of EXECUTE: a quoted literal, which takes the type PREPARE gave the parameter,
 * or null. Quotes are doubled, which is the whole of the escaping under standard_conforming_strings (on in
 * every PostgreSQL since 9.1, PGlite's included), and strings made well-formed (PGlite fails a statement on
 * a lone surrogate).
 */
function argument(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`not a finite number: ${value}`)
  return `'${wellFormed(String(value)).replaceAll("'", "''")}'`
}

/** A parameter written into the text: the same, with numbers and booleans bare (their type is their own). */
function literal(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean'
    ? argument(value).slice(1, -1)
    : argument(value)
}

/**
 * Rows as one JSON parameter (a statement reads them with `jsonb_to_recordset`), each with its `ord`, so a
 * statement can keep their order. Every string well-formed: a lone surrogate (a name or an excerpt cut inside
 * an emoji) is an invalid JSON escape to Postgres and would fail the statement, and with it the caller's
 * transaction. JSON.stringify writes a lone surrogate as a `\udXXX` escape and a paired one as itself, so the
 * text shows whether any string needs mending: almost never, and only then does the slower replacer run.
 */
export function jsonRows(rows: readonly object[]) {
  const ordered = rows.map((row, ord) => ({ ...row, ord }))
  const text = JSON.stringify(ordered)
  return mayHoldLoneSurrogate(text)
    ? JSON.stringify(ordered, (_key, value) => (typeof value === 'string' ? wellFormed(value) : value))
    : text
}

const columnsOf = new WeakMap<Table, [string, Column][]>()

/**
 * A raw row (snake_case, the drivers' text timestamps) as drizzle returns `table`'s rows: the same keys and
 * value types, so what is read raw is indistinguishable from what is read through drizzle.
 */
export function rowOf<T extends Table>(table: T, raw: RawRow): T['$inferSelect'] {
  const out: RawRow = {}
  for (const [key, column] of columnsIn(table)) {
    const value = raw[column.name]
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value)
  }
  return out as T['$inferSelect']
}

/**
 * `rowOf` for a row in array mode whose values from `from` on are `table`'s columns in their declared order
 * (as `getTableColumns(table)` spread into a select writes them).
 */
export function rowAt<T extends Table>(table: T, values: readonly unknown[], from = 0): T['$inferSelect'] {
  const columns = columnsIn(table)
  const out: RawRow = {}
  for (let i = 0; i < columns.length; i++) {
    const [key, column] = columns[i]!
    const value = values[from + i]
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value)
  }
  return out as T['$inferSelect']
}

/** A table's columns in their declared order, with their keys. */
function columnsIn(table: Table) {
  let columns = columnsOf.get(table)
  if (!columns) {
    columns = Object.entries(getTableColumns(table))
    columnsOf.set(table, columns)
  }
  return columns
}

/** A value read as JSON (to_jsonb, json_agg): postgres.js and PGlite parse it already; text is parsed here. */
export const jsonValue = <T = RawRow>(value: unknown) =>
  (typeof value === 'string' ? JSON.parse(value) : value) as T
