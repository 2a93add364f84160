import { sql } from 'drizzle-orm'
import { currentSendPacing } from '../settings/send-pacing'
import { isDatabaseUnavailable } from '../shared/db-errors'
import type { Deps } from '../shared/deps'
import {
  claimDue,
  countSentSince,
  markFailed,
  markInFlight,
  markSent,
  type OutboxRow,
  recoverExpiredLeases,
  release,
  settleAs,
} from './outbox.repository'
import { isQuietTime, startOfShanghaiDay } from './pacing'

/** Any constant all instances share: the pacing budget is counted under it. */
const pacingLockKey = 7_301_202_005

/** What actually delivers a message: wechaty in production, a fake in tests. */
export interface Transport {
  send(message: OutboxRow): Promise<void>
  /** False while the bot is logged out or disconnected: then nothing is attempted. Absent = always. */
  ready?(): boolean
}

/** The message never left: the bot went offline before the hand-over. No attempt is counted. */
export class NotDeliveredError extends Error {}
/** The conversation is gone for the bot (removed from the group, contact deleted): never retried. */
export class ConversationGoneError extends Error {}
/** The connection dropped while the message was being handed over: it may or may not have arrived. */
export class UncertainDeliveryError extends Error {}

/**
 * Sends what is due, one message at a time, within the global rate. Returns how many rows it settled
 * (sent or failed), so a loop can go straight on while there is work.
 */
export async function drainOutboxOnce(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log'>,
  transport: Transport,
  limit = 20,
  signal: { stopped: boolean } = { stopped: false },
): Promise<number> {
  const { db, clock, config, log } = deps
  const { jitterMs, maxAttempts, retryBaseMs, leaseMs } = config.send
  const ready = () => !signal.stopped && (transport.ready?.() ?? true)
  // While the bot is away nothing is claimed, so no attempt is used up and order is kept.
  if (!ready()) return 0
  // Pacing admins may change at run time (console 设置与目标), over the environment's; cached a few seconds.
  const { minGapMs, ratePerMinute, dailyCap, quietHours } = await currentSendPacing(deps)
  const now = clock.now()
  await recoverExpiredLeases(db, now)
  const dayStart = startOfShanghaiDay(now)
  // Counting and claiming under one lock: two senders share the rate and the daily cap, not double them.
  const rows = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${pacingLockKey})`)
    let budget = limit
    if (ratePerMinute > 0) {
      budget = Math.min(budget, ratePerMinute - (await countSentSince(tx, new Date(now.getTime() - 60_000))))
    }
    if (dailyCap > 0) {
      const sentToday = await countSentSince(tx, dayStart)
      if (sentToday >= dailyCap) log.warn('daily send cap reached; waiting for tomorrow', { dailyCap })
      budget = Math.min(budget, dailyCap - sentToday)
    }
    if (budget <= 0) return []
    const allowNormal = !isQuietTime(now, quietHours)
    return claimDue(tx, { now, limit: budget, leaseMs, minGapMs, allowNormal })
  })
  let settled = 0
  const postedNow = new Set<string>()
  for (const [index, row] of rows.entries()) {
    // Stopping, or the bot went away: what is claimed and not yet sent goes back untouched.
    if (!ready()) {
      for (const rest of rows.slice(index)) await release(db, rest, rest.notBefore)
      break
    }
    // One claim may hold two rows for different groups; only one message per group per gap.
    if (minGapMs > 0 && postedNow.has(row.conversationId)) {
      await release(db, row, new Date(clock.now().getTime() + minGapMs))
      continue
    }
    const attempt = await markInFlight(db, row, clock.now(), leaseMs)
    if (!attempt) continue // the lease ran out and another sender took the row back
    try {
      await transport.send(attempt)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      if (error instanceof NotDeliveredError) {
        log.info('outbox send deferred: the bot is not connected', { id: row.id })
        await release(db, row, row.notBefore)
        continue
      }
      if (error instanceof ConversationGoneError || error instanceof UncertainDeliveryError) {
        const status = error instanceof ConversationGoneError ? 'dropped' : 'uncertain'
        log.warn(`outbox message ${status}`, { id: row.id, error: message })
        await settleAs(db, attempt, status, message)
        settled++
        continue
      }
      log.warn('outbox send failed', { id: row.id, attempts: attempt.attempts, error: message })
      await markFailed(db, attempt, message, clock.now(), { maxAttempts, retryBaseMs })
      settled++
      continue
    }
    // Sent. If recording that fails, the row stays in flight and its lease makes it `uncertain`: a
    // database hiccup must not turn into a second message.
    await markSent(db, row.id, clock.now())
    postedNow.add(row.conversationId)
    settled++
    // Machines post at even intervals; people do not.
    if (jitterMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * jitterMs))
  }
  return settled
}

/** The long-running sender: drains, then sleeps until woken or the poll interval passes. */
export function startOutboxSender(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log' | 'outboxSignal'>,
  transport: Transport,
) {
  const signal = { stopped: false }
  const loop = async () => {
    while (!signal.stopped) {
      try {
        const settled = await drainOutboxOnce(deps, transport, 20, signal)
        if (settled > 0) continue
      } catch (error) {
        if (signal.stopped) break
        // An outage is logged once, where it is noticed (db/health.ts), not at every poll.
        deps.log[isDatabaseUnavailable(error) ? 'debug' : 'error']('outbox sender error', { err: error })
      }
      await deps.outboxSignal.wait(deps.config.send.pollMs)
    }
  }
  const done = loop()
  return {
    /** Finishes the message in hand, puts back what was claimed, and stops. */
    async stop() {
      signal.stopped = true
      deps.outboxSignal.notify()
      await done
    },
  }
}
