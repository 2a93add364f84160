import type { DbOrTx } from '../../db/client'
import { residents, staff } from '../../db/schema'
import { rowOf, runStatement } from '../../db/statements'

/**
 * The resident behind a WeChat contact, created on first contact; the display name follows WeChat. A known
 * resident under the same name is only read: no write, so no row lock held to the end of the caller's
 * transaction, and one resident's messages handled at once do not queue behind each other.
 */
export async function upsertResident(db: DbOrTx, wechatId: string, name: string, now: Date) {
  const [row] = await runStatement(db, 'resident_upsert', upsertResidentSql, [
    wechatId,
    name,
    now.toISOString(),
  ])
  return rowOf(residents, row!)
}

/**
 * The upsert as CTEs `known` and `written` over the given parameters (`$1`…), for a statement that does more
 * (the filing's plan): the resident is `select * from written union all select * from known`.
 */
export const upsertResidentCtes = (wechatId: string, name: string, at: string) => `
with known as (select * from residents where wechat_id = ${wechatId} and name = ${name}),
written as (
  insert into residents (wechat_id, name, created_at)
  select ${wechatId}, ${name}, ${at}::timestamptz where not exists (select 1 from known)
  on conflict (wechat_id) do update set name = excluded.name
  returning *
)`

const upsertResidentSql = `${upsertResidentCtes('$1', '$2', '$3')}
select * from written union all select * from known`

export async function findStaffByWechat(db: DbOrTx, wechatId: string) {
  const [row] = await runStatement(db, 'staff_by_wechat', 'select * from staff where wechat_id = $1', [
    wechatId,
  ])
  const found = row ? rowOf(staff, row) : undefined
  return found?.active ? found : undefined
}

/** '138****5678': enough to recognise, not enough to call. */
export function maskPhone(phone: string | null | undefined) {
  if (!phone) return phone ?? null
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****'
}

/**
 * A resident who called or came in person: the same name and phone are the same person, so their
 * requests stay together (同一人多次来电不重复建档).
 */
export async function findOrCreateOfflineResident(
  db: DbOrTx,
  input: { name: string; phone?: string },
  now: Date,
) {
  const existing = input.phone
    ? await findOfflineResident(db, { name: input.name, phone: input.phone })
    : undefined
  return existing ?? createOfflineResident(db, input, now)
}

/** The resident with this name and phone, if one is known. */
export async function findOfflineResident(db: DbOrTx, input: { name: string; phone: string }) {
  // residents_phone (migration 0025): one index probe, not a scan of every resident.
  const [row] = await runStatement(
    db,
    'resident_by_phone',
    'select * from residents where phone = $1 and name = $2 order by id limit 1',
    [input.phone, input.name],
  )
  return row ? rowOf(residents, row) : undefined
}

export async function createOfflineResident(db: DbOrTx, input: { name: string; phone?: string }, now: Date) {
  const [row] = await runStatement(
    db,
    'resident_offline',
    'insert into residents (name, phone, created_at) values ($1, $2, $3::timestamptz) returning *',
    [input.name, input.phone ?? null, now.toISOString()],
  )
  return rowOf(residents, row!)
}
