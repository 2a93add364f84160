import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { botStatus } from '../../db/schema'

/** One account's connection as its bot process sees it; `reported_at` is the database's now(). */
export type BotStatusRow = Omit<typeof botStatus.$inferInsert, 'reportedAt'>

/**
 * Writes an account's status (one statement: at each state change and with each lease renewal, so a
 * stale `reported_at` means a dead process). A process only overwrites its own row, or one whose writer
 * no longer holds the account's lease: a standby waiting for the lease, or a misconfigured one, never
 * hides the state of the process that is serving the account. Returns whether the row was written.
 */
export async function reportBotStatus(db: DbOrTx, row: BotStatusRow): Promise<boolean> {
  const values = {
    holder: row.holder,
    state: row.state,
    stateSince: row.stateSince,
    detail: row.detail ?? null,
    qr: row.qr ?? null,
    selfId: row.selfId ?? null,
    selfName: row.selfName ?? null,
    reportedAt: sql`now()`,
  }
  const written = await db
    .insert(botStatus)
    .values({ account: row.account, ...values })
    .onConflictDoUpdate({
      target: botStatus.account,
      set: values,
      setWhere: sql`${botStatus.holder} = excluded.holder or not exists (
        select 1 from bot_leases l
        where l.account = excluded.account and l.holder = ${botStatus.holder} and l.expires_at > now())`,
    })
    .returning({ account: botStatus.account })
  return written.length > 0
}

/** Every account's last reported status, by name. */
export async function readBotStatus(db: DbOrTx) {
  return db.select().from(botStatus).orderBy(botStatus.account)
}
