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
  releaseUntried,
  settleAs,
} from './outbox.repository'
import { isQuietTime, startOfShanghaiDay } from './pacing'

/** Any constant all instances share: the pacing budget is counted under it. */
const pacingLockKey = 7_301_202_005
/** With several accounts each account's budget has its own lock: (this, hashtext(account)). */
const accountPacingLockKey = 7_301_205

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
 * Sends what is due within the global rate: a claim of runs (each group's next rows, in order), one
 * message at a time. Returns how many rows it settled (sent or failed), so a loop can go straight on while
 * there is work.
 *
 * A message costs one write: the previous message's "sent" goes with the next one's "in flight" (see
 * markInFlight); the last one's is written at the end of the round. A row whose send fails (or goes back
 * untried) holds its group: the rest of that group's run in the claim goes back untried with it.
 */
export async function drainOutboxOnce(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log'>,
  transport: Transport,
  limit = 20,
  signal: { stopped: boolean } = { stopped: false },
  /**
   * The bot account this sender speaks for (several accounts). Undefined: every conversation, pacing
   * counted over all messages, as with one account. Given: only the conversations it speaks in (see
   * claimDue), rows stamped `sent_by`, rate and daily cap counted for this account alone; the minimum gap
   * stays per group, whoever sent there last.
   */
  account?: string,
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
  const allowNormal = !isQuietTime(now, quietHours)
  const claim = { now, limit, leaseMs, minGapMs, allowNormal, ...(account === undefined ? {} : { account }) }
  const rows =
    ratePerMinute > 0 || dailyCap > 0
      ? // Counting and claiming under one lock: two senders share the rate and the daily cap, not double them.
        await db.transaction(async (tx) => {
          await tx.execute(
            account === undefined
              ? sql`select pg_advisory_xact_lock(${pacingLockKey})`
              : sql`select pg_advisory_xact_lock(${accountPacingLockKey}::int, hashtext(${account}::text))`,
          )
          let budget = limit
          if (ratePerMinute > 0) {
            budget = Math.min(
              budget,
              ratePerMinute - (await countSentSince(tx, new Date(now.getTime() - 60_000), account)),
            )
          }
          if (dailyCap > 0) {
            const sentToday = await countSentSince(tx, startOfShanghaiDay(now), account)
            if (sentToday >= dailyCap)
              log.warn('daily send cap reached; waiting for tomorrow', {
                dailyCap,
                ...(account === undefined ? {} : { account }),
              })
            budget = Math.min(budget, dailyCap - sentToday)
          }
          return budget > 0 ? claimDue(tx, { ...claim, limit: budget }) : []
        })
      : // No budget to share: the claim is one statement, and SKIP LOCKED keeps two senders apart.
        await claimDue(db, claim)
  let settled = 0
  /** Handed over and not yet recorded as sent: written with the next message's hand-over. */
  let handed: number | undefined
  const flush = async () => {
    if (handed === undefined) return
    const id = handed
    handed = undefined
    await markSent(db, id, clock.now())
  }
  /** Groups held back in this round: a row of theirs failed, went back, or was taken from us. */
  const held = new Set<string>()
  const untried: OutboxRow[] = []
  const postedNow = new Set<string>()
  for (const [index, row] of rows.entries()) {
    // Stopping, or the bot went away: what is claimed and not yet sent goes back untouched.
    if (!ready()) {
      untried.push(...rows.slice(index))
      break
    }
    if (held.has(row.conversationId)) {
      untried.push(row)
      continue
    }
    // One message per group per gap (a claim holds one row per group then; this guards it).
    if (minGapMs > 0 && postedNow.has(row.conversationId)) {
      await release(db, row, new Date(clock.now().getTime() + minGapMs))
      held.add(row.conversationId)
      continue
    }
    const sentBefore = handed
    handed = undefined
    const attempt = await markInFlight(db, row, clock.now(), leaseMs, sentBefore, account)
    if (!attempt) {
      // The lease ran out and another sender took the row back: the rest of its group is not ours to send.
      held.add(row.conversationId)
      continue
    }
    try {
      await transport.send(attempt)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      if (error instanceof NotDeliveredError) {
        log.info('outbox send deferred: the bot is not connected', { id: row.id })
        await release(db, row, row.notBefore)
        held.add(row.conversationId)
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
      held.add(row.conversationId)
      settled++
      continue
    }
    // Sent. If recording that fails, the row stays in flight and its lease makes it `uncertain`: a
    // database hiccup must not turn into a second message.
    handed = row.id
    postedNow.add(row.conversationId)
    settled++
    // Machines post at even intervals; people do not. A pause is no time to leave a sent row unrecorded.
    if (jitterMs > 0) {
      await flush()
      await new Promise((resolve) => setTimeout(resolve, Math.random() * jitterMs))
    }
  }
  await flush()
  await releaseUntried(db, untried)
  return settled
}

/** The long-running sender: drains, then sleeps until woken or the poll interval passes. */
export function startOutboxSender(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log' | 'outboxSignal'>,
  transport: Transport,
  /** `account`: the bot account this sender speaks for (see drainOutboxOnce); undefined = all, as before. */
  options: { account?: string } = {},
) {
  const signal = { stopped: false }
  // A round's claim: with pauses between messages (jitter) 20, so a claim goes out well within its lease;
  // with none, 50, so a backlog drains with fewer claims.
  const batch = deps.config.send.jitterMs > 0 ? 20 : 50
  const loop = async () => {
    while (!signal.stopped) {
      try {
        const settled = await drainOutboxOnce(deps, transport, batch, signal, options.account)
        if (settled > 0) continue
      } catch (error) {
        if (signal.stopped) break
        // An outage is logged once, where it is noticed (db/health.ts), not at every poll.
        deps.log[isDatabaseUnavailable(error) ? 'debug' : 'error']('outbox sender error', {
          err: error,
          ...(options.account === undefined ? {} : { account: options.account }),
        })
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
