import { and, eq, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { residents, staff } from '../../db/schema'

/** The resident behind a WeChat contact, created on first contact; the display name follows WeChat. */
export async function upsertResident(db: DbOrTx, wechatId: string, name: string, now: Date) {
  const [row] = await db
    .insert(residents)
    .values({ wechatId, name, createdAt: now })
    .onConflictDoUpdate({ target: residents.wechatId, set: { name: sql`excluded.name` } })
    .returning()
  return row!
}

export async function findStaffByWechat(db: DbOrTx, wechatId: string) {
  const [row] = await db.select().from(staff).where(eq(staff.wechatId, wechatId))
  return row?.active ? row : undefined
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
  if (input.phone) {
    const [existing] = await db
      .select()
      .from(residents)
      .where(and(eq(residents.phone, input.phone), eq(residents.name, input.name)))
      .limit(1)
    if (existing) return existing
  }
  const [row] = await db
    .insert(residents)
    .values({ name: input.name, phone: input.phone ?? null, createdAt: now })
    .returning()
  return row!
}
