import { sql } from 'drizzle-orm'
import { type DbOrTx, rowsOf } from '../../db/client'

export type LeaseResult = { held: true } | { held: false; holder: string; expiresAt: Date }

/**
 * Takes or renews the lease on a bot account: one process per account, so two processes never log the
 * same account in or send its messages twice. The database's clock decides, not each host's. A lease
 * held by someone else is taken only once it has lapsed.
 */
export async function acquireLease(
  db: DbOrTx,
  account: string,
  holder: string,
  leaseMs: number,
): Promise<LeaseResult> {
  const rows = rowsOf<{ holder: string; expires_at: string | Date; mine: boolean }>(
    await db.execute(sql`
      insert into bot_leases (account, holder, expires_at, acquired_at)
      values (${account}, ${holder}, now() + ${leaseMs}::int * interval '1 millisecond', now())
      on conflict (account) do update
        set holder = excluded.holder,
            expires_at = excluded.expires_at,
            acquired_at = case when bot_leases.holder = excluded.holder then bot_leases.acquired_at
                               else excluded.acquired_at end
        where bot_leases.holder = excluded.holder or bot_leases.expires_at < now()
      returning holder, expires_at, true as mine`),
  )
  if (rows.length > 0) return { held: true }
  const [current] = rowsOf<{ holder: string; expires_at: string | Date }>(
    await db.execute(sql`select holder, expires_at from bot_leases where account = ${account}`),
  )
  // Released between the two statements: the next try takes it.
  if (!current) return { held: false, holder: '(released)', expiresAt: new Date(0) }
  return { held: false, holder: current.holder, expiresAt: new Date(current.expires_at) }
}

/** Gives the lease up at shutdown, so a successor need not wait for it to lapse. */
export async function releaseLease(db: DbOrTx, account: string, holder: string) {
  await db.execute(sql`delete from bot_leases where account = ${account} and holder = ${holder}`)
}
