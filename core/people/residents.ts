import { eq, sql } from 'drizzle-orm'
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
