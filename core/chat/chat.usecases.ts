import { eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { chatGroups, inboundMessages, staff as staffTable } from '../../db/schema'
import type { OutboxMention } from '../../db/schema/messaging.table'
import { jsonRows, jsonValue, rowOf, runStatement } from '../../db/statements'
import {
  enqueueMessages,
  insertOutboxSql,
  type OutgoingMessage,
  outboxRows,
} from '../outbox/outbox.repository'
import type { StaffRow } from '../shared/actor'
import { isDatabaseUnavailable } from '../shared/db-errors'
import { isAppError } from '../shared/errors'
import { wellFormed } from '../shared/unicode'
import { respondToMedia } from './chat.media'
import * as text from './chat.messages'
import { parseCommand, quotedNumbers } from './chat.parser'
import type { ChatDeps, CommandResult, Group, Inbound, InboundOutcome, Who } from './chat.types'
import { commandHandlers } from './commands'

export type { ChatDeps, Inbound, InboundKind, InboundOutcome } from './chat.types'

type InboundFile = { fileName: string; data: Buffer }

/**
 * Handles one inbound message exactly once: the message row, the change it causes and the reply are
 * committed together. A replayed message id finds its row and does nothing.
 */
export async function handleInbound(deps: ChatDeps, received: Inbound): Promise<InboundOutcome> {
  const inbound = storable(received)
  const file = await fetchFile(deps, inbound)
  const now = deps.clock.now()
  // Most commands succeed: they run straight in the transaction, without a savepoint's two statements. One
  // that fails (a refusal, a bug) takes the whole transaction down with it, nothing committed, and the
  // message is handled again with the command in a savepoint, so its row and the explanation commit.
  let result: Awaited<ReturnType<typeof handleOnce>>
  try {
    result = await handleOnce(deps, inbound, file, now, 'direct')
  } catch (error) {
    if (!(error instanceof CommandFailed)) throw error
    result = await handleOnce(deps, inbound, file, now, 'savepoint')
  }
  if (!result.duplicate) deps.outboxSignal.notify()
  return result
}

/** A command failed in 'direct' mode: its transaction is rolled back, to be run again with a savepoint. */
class CommandFailed extends Error {}

/**
 * What a failure in 'direct' mode becomes: the database away is no failure of the command (the whole message
 * is kept and tried again); anything else is, and the message is handled again with a savepoint.
 */
const failedDirect = (error: unknown) =>
  isDatabaseUnavailable(error)
    ? error
    : new CommandFailed('command failed: run again in a savepoint', { cause: error })

type Mode = 'direct' | 'savepoint'

async function handleOnce(
  deps: ChatDeps,
  inbound: Inbound,
  file: InboundFile | undefined,
  now: Date,
  mode: Mode,
) {
  return deps.db.transaction(async (tx) => {
    // The dedupe row and who is speaking, in one statement. A replay waits here for its first delivery's
    // commit, then finds its row and does nothing.
    const [opened] = await runStatement(tx, 'inbound_open', openInboundSql, [
      inbound.id,
      inbound.roomId ?? null,
      inbound.senderId,
      inbound.senderName,
      inbound.text,
      inbound.sentAt?.toISOString() ?? null,
      now.toISOString(),
      inbound.kind ?? 'text',
    ])
    if (!opened?.stored) return { duplicate: true as const }
    const group = opened.room ? rowOf(chatGroups, jsonValue(opened.room)) : undefined
    const speaker = opened.speaker ? rowOf(staffTable, jsonValue(opened.speaker)) : undefined
    const staff = speaker?.active ? speaker : undefined
    // In 'direct' mode the reply is not written at once: it rides in the closing statement.
    const replies: OutgoingMessage[] | undefined = mode === 'direct' ? [] : undefined
    const outcome = await respond(deps, tx, inbound, file, { group, staff }, mode, replies)
    const at = deps.clock.now()
    // The outcome, the reply, and the group's last message (to the minute: a busy group's row is written, and
    // locked to the commit, once a minute, not by every message), in one statement.
    const close = () =>
      runStatement(tx, 'inbound_close', closeInboundSql, [
        inbound.id,
        outcome,
        group?.id ?? null,
        now.toISOString(),
        replies?.length ? jsonRows(outboxRows(replies, at, deps.config.send.maxChars)) : '[]',
        at.toISOString(),
      ])
    try {
      await close()
    } catch (error) {
      // A reply that cannot be stored counts as the command's failure, as when it was written on its own:
      // the message is handled again with the command and its reply in a savepoint.
      throw mode === 'direct' ? failedDirect(error) : error
    }
    return { duplicate: false as const, outcome }
  })
}

const openInboundSql = `
with stored as (
  insert into inbound_messages (message_id, room_id, sender_id, sender_name, text, sent_at, received_at, kind)
  values ($1, $2, $3, $4, $5, $6::timestamptz, $7::timestamptz, $8)
  on conflict do nothing
  returning message_id
)
select (select message_id from stored) as stored,
  (select to_jsonb(g) from chat_groups g where g.room_id = $2) as room,
  (select to_jsonb(s) from staff s where s.wechat_id = $3) as speaker`

const closeInboundSql = `
with outcome as (update inbound_messages set outcome = $2 where message_id = $1),
replied as (${insertOutboxSql('$5', '$6')})
update chat_groups set last_message_at = $4::timestamptz
where id = $3 and (last_message_at is null or last_message_at <= $4::timestamptz - interval '1 minute')`

/**
 * An image's or voice's file, downloaded before the transaction opens (never hold one across WeChat)
 * and not at all for a message already handled. A failed download is logged; the message still counts.
 */
async function fetchFile(deps: ChatDeps, inbound: Inbound): Promise<InboundFile | undefined> {
  if (!inbound.file || (inbound.kind !== 'image' && inbound.kind !== 'voice')) return undefined
  const [seen] = await deps.db
    .select({ id: inboundMessages.messageId })
    .from(inboundMessages)
    .where(eq(inboundMessages.messageId, inbound.id))
  if (seen) return undefined
  try {
    return await inbound.file()
  } catch (error) {
    deps.log.warn('inbound file could not be fetched', { err: error, messageId: inbound.id })
    return undefined
  }
}

/**
 * Postgres text cannot hold NUL, and PGlite fails on a lone surrogate: either would fail the insert and lose
 * the whole message. NUL goes, a lone surrogate becomes U+FFFD.
 */
const withoutNul = (value: string) => wellFormed(value.replaceAll('\u0000', ''))

function storable(inbound: Inbound): Inbound {
  return {
    ...inbound,
    text: withoutNul(inbound.text),
    senderName: withoutNul(inbound.senderName),
    roomTopic: inbound.roomTopic === undefined ? undefined : withoutNul(inbound.roomTopic),
    quote: inbound.quote && {
      ...inbound.quote,
      name: withoutNul(inbound.quote.name),
      text: withoutNul(inbound.quote.text),
    },
  }
}

async function respond(
  deps: ChatDeps,
  tx: DbOrTx,
  inbound: Inbound,
  file: InboundFile | undefined,
  known: { group: Group | undefined; staff: StaffRow | undefined },
  mode: Mode,
  replies?: OutgoingMessage[],
) {
  const inRoom = Boolean(inbound.roomId)
  // A group that was unbound or that the bot left counts as unbound.
  const group = known.group?.state === 'active' ? known.group : undefined
  const who: Who = { group, staff: known.staff }
  const staff = known.staff
  if ((inbound.kind ?? 'text') !== 'text') {
    if (inRoom && !group) return 'unbound-room'
    return dispatch(deps, tx, inbound, mode, (ctx) => respondToMedia(ctx, inbound, who, file), replies)
  }
  // Only a quote of the bot's own message lends its numbers; a resident's quote is read as plain text.
  const quoted = inbound.quote?.fromBot ? quotedNumbers(inbound.quote.text) : undefined
  const command = parseCommand(inbound.text, {
    botName: deps.config.botName,
    inRoom,
    mentionsSelf: inbound.mentionsSelf,
    quoted,
  })
  if (command.kind === 'ignore') return 'ignored'
  // Unbound groups get silence: only staff binding them is answered.
  if (inRoom && !group && !(command.kind === 'bindGroup' && staff)) return 'unbound-room'
  const handler = commandHandlers[command.kind] as (
    ...args: Parameters<(typeof commandHandlers)['help']>
  ) => Promise<CommandResult>
  return dispatch(deps, tx, inbound, mode, (ctx) => handler(ctx, inbound, command as never, who), replies)
}

/**
 * Runs a handler and replies through the outbox. 'direct': in the transaction itself, any failure aborting
 * it (CommandFailed), the reply handed back in `replies` for the closing statement. 'savepoint': in a
 * savepoint, a refusal or a failure explained, the reply written in the savepoint.
 */
async function dispatch(
  deps: ChatDeps,
  tx: DbOrTx,
  inbound: Inbound,
  mode: Mode,
  run: (ctx: ChatDeps & { db: DbOrTx }) => Promise<CommandResult>,
  replies?: OutgoingMessage[],
): Promise<string> {
  const reply = async (db: DbOrTx, message: string, dedupeKey = `reply:${inbound.id}`) => {
    const mentions: OutboxMention[] = inbound.roomId
      ? [{ id: inbound.senderId, name: inbound.senderName }]
      : []
    const answer: OutgoingMessage = {
      conversationId: inbound.roomId ?? inbound.senderId,
      isRoom: Boolean(inbound.roomId),
      text: message,
      mentions,
      dedupeKey,
      priority: 'reply',
    }
    if (replies) replies.push(answer)
    else await enqueueMessages(db, [answer], deps.clock.now(), { maxChars: deps.config.send.maxChars })
  }
  const attempt = async (db: DbOrTx) => {
    const result = await run({ ...deps, db })
    if (result.message) await reply(db, result.message, result.replyKey)
    return result.outcome
  }
  if (mode === 'direct') {
    try {
      return await attempt(tx)
    } catch (error) {
      throw failedDirect(error)
    }
  }
  try {
    // A failed command, or a reply that cannot be stored, rolls back to this savepoint: the inbound row
    // and the explanation still commit.
    return await tx.transaction((sp) => attempt(sp))
  } catch (error) {
    // The database away is no failure of the command: the whole message is kept and tried again.
    if (isDatabaseUnavailable(error)) throw error
    if (!isAppError(error)) {
      deps.log.error('chat command failed', { err: error, messageId: inbound.id })
      await reply(tx, text.genericFailure)
      return `error:${error instanceof Error ? error.message : String(error)}`.slice(0, 200)
    }
    await reply(tx, error.message)
    return `refused:${error.code}`
  }
}
