import { and, count, desc, eq, gte, inArray, isNull, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { botLeases, chatGroups, identityIssues, outbox } from '../../db/schema'

const week = 7 * 86_400_000

/** One thing an admin should know about the bot, newest first. */
export interface BotAlert {
  at: Date
  kind: 'group_left' | 'message_failed' | 'message_uncertain' | 'identity_issue'
  /** The group's topic, the staff member or group whose id was lost, … */
  subject: string
  detail: string | null
}

/**
 * What the bot has left on record: who holds the account, messages waiting or stuck, and the past week's
 * events that need an admin (groups it was removed from, messages that failed or may not have arrived, ids
 * lost at a new login).
 */
export async function botHealth(db: DbOrTx, now: Date) {
  const since = new Date(now.getTime() - week)
  const [leases, counts, stuck, left, issues] = await Promise.all([
    db.select().from(botLeases).orderBy(botLeases.account),
    db
      .select({ status: outbox.status, count: count() })
      .from(outbox)
      .where(inArray(outbox.status, ['pending', 'sending', 'uncertain', 'failed']))
      .groupBy(outbox.status),
    db
      .select({
        id: outbox.id,
        status: outbox.status,
        lastError: outbox.lastError,
        createdAt: outbox.createdAt,
        topic: chatGroups.topic,
        conversationId: outbox.conversationId,
      })
      .from(outbox)
      .leftJoin(chatGroups, eq(chatGroups.roomId, outbox.conversationId))
      .where(and(inArray(outbox.status, ['uncertain', 'failed']), gte(outbox.createdAt, since)))
      .orderBy(desc(outbox.id))
      .limit(20),
    db
      .select({ topic: chatGroups.topic, at: chatGroups.stateChangedAt })
      .from(chatGroups)
      .where(and(eq(chatGroups.state, 'left'), gte(chatGroups.stateChangedAt, since)))
      .orderBy(desc(chatGroups.stateChangedAt))
      .limit(20),
    db
      .select({
        kind: identityIssues.kind,
        oldWechatId: identityIssues.oldWechatId,
        createdAt: identityIssues.createdAt,
        candidates: sql<number>`jsonb_array_length(${identityIssues.candidates})`,
      })
      .from(identityIssues)
      .where(isNull(identityIssues.resolvedAt))
      .orderBy(desc(identityIssues.id))
      .limit(20),
  ])
  const alerts: BotAlert[] = [
    ...left.map((g) => ({ at: g.at ?? since, kind: 'group_left' as const, subject: g.topic, detail: null })),
    ...stuck.map((m) => ({
      at: m.createdAt,
      kind: m.status === 'failed' ? ('message_failed' as const) : ('message_uncertain' as const),
      subject: m.topic ?? m.conversationId,
      detail: m.lastError,
    })),
    ...issues.map((i) => ({
      at: i.createdAt,
      kind: 'identity_issue' as const,
      subject: `${i.kind === 'group' ? '群' : '工作人员'} ${i.oldWechatId}`,
      detail: Number(i.candidates) === 0 ? '没有候选' : `${Number(i.candidates)} 个候选`,
    })),
  ].sort((a, b) => b.at.getTime() - a.at.getTime())
  const waiting = Object.fromEntries(counts.map((c) => [c.status, Number(c.count)])) as Partial<
    Record<(typeof outbox.$inferSelect)['status'], number>
  >
  return { leases, waiting, alerts }
}

export type BotHealth = Awaited<ReturnType<typeof botHealth>>
