import { join } from 'node:path'
import { type Message, types } from 'wechaty'
import { z } from 'zod'
import { groupSpeaker, learnReach, routePrivateChat } from '../core/accounts/reach'
import { parseQuote, withoutLeadingMention } from '../core/chat/chat.parser'
import { handleInbound, type Inbound, type InboundKind } from '../core/chat/chat.usecases'
import type { Deps } from '../core/shared/deps'
import { botStatus } from '../db/schema'
import { createInboundQueue, type InboundSpoolStats } from './inbound-queue'
import { createInboundSpool } from './inbound-spool'

type MessageDeps = Pick<
  Deps,
  'db' | 'database' | 'clock' | 'config' | 'classifier' | 'calendar' | 'log' | 'outboxSignal'
>

/** WeChat's message types as the bot reads them: text, image, voice; the rest is kept but not read. */
export function kindOf(type: types.Message): InboundKind {
  if (type === types.Message.Text) return 'text'
  if (type === types.Message.Image) return 'image'
  if (type === types.Message.Audio) return 'voice'
  return 'other'
}

/** Longer texts are kept in full in WeChat, not here: nobody types a demand this long. */
const maxTextLength = 10_000

/**
 * What the puppet hands over, checked before core sees it: ids are non-empty strings, names and texts
 * strings (a puppet may send null for either), the time a valid date. Anything else is not a message.
 */
const InboundFields = z.object({
  id: z.string().min(1).max(256),
  roomId: z.string().min(1).max(256).optional(),
  roomTopic: z.string().max(500).catch('').optional(),
  senderId: z.string().min(1).max(256),
  senderName: z.string().max(200).catch(''),
  text: z
    .string()
    .catch('')
    .transform((t) => t.slice(0, maxTextLength)),
  sentAt: z
    .date()
    .refine((d) => !Number.isNaN(d.getTime()))
    .optional()
    .catch(undefined),
})

/** Turns a wechaty Message into plain data; null for the bot's own messages. */
export async function toInbound(
  message: Message,
  botName: string,
  log?: MessageDeps['log'],
): Promise<Inbound | null> {
  if (message.self()) return null
  const talker = message.talker()
  const room = message.room()
  const kind = kindOf(message.type())
  const quiet =
    <T>(what: string, fallback: T) =>
    (error: unknown) => {
      log?.warn(`inbound: ${what} failed`, { err: error, id: message.id })
      return fallback
    }
  const mentionsSelf =
    room && kind === 'text' ? await message.mentionSelf().catch(quiet('mentionSelf', false)) : false
  let text = message.text() ?? ''
  let quote: Inbound['quote']
  if (kind === 'text') {
    const parsed = parseQuote(text)
    if (parsed.quote) {
      const names = await botNames(message, log)
      quote = { ...parsed.quote, fromBot: [botName, ...names].includes(parsed.quote.name) }
      text = withoutLeadingMention(parsed.body, mentionsSelf)
    } else if (mentionsSelf) {
      // Wechaty strips the mentions it can name; a group nickname it cannot stays as a leading "@…".
      text = withoutLeadingMention(await message.mentionText().catch(quiet('mentionText', text)), true)
    }
  }
  const fields = InboundFields.safeParse({
    id: message.id,
    roomId: room?.id,
    roomTopic: room ? await room.topic().catch(quiet('topic', '')) : undefined,
    senderId: talker?.id,
    senderName: talker?.name(),
    text,
    sentAt: message.date(),
  })
  if (!fields.success) {
    log?.warn('inbound: the puppet sent something that is not a readable message; ignored', {
      id: message.id,
      issues: fields.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).slice(0, 5),
    })
    return null
  }
  return {
    ...fields.data,
    mentionsSelf,
    kind,
    quote,
    file:
      kind === 'image' || kind === 'voice'
        ? async () => {
            const box = await message.toFileBox()
            return { fileName: box.name, data: await box.toBuffer() }
          }
        : undefined,
  }
}

/** The names the bot goes by where the message was said: its WeChat name and its nickname in the group. */
async function botNames(message: Message, log?: MessageDeps['log']) {
  try {
    const self = message.wechaty.currentUser
    const alias = await message.room()?.alias(self)
    return [self.name(), alias].filter((n): n is string => Boolean(n))
  } catch (error) {
    log?.warn('inbound: the bot names could not be read', { err: error, id: message.id })
    return []
  }
}

export interface MessageHandlerOptions {
  /**
   * The bot account receiving (several accounts, issue 15). Every account in a group receives each of its
   * messages (with its own message id), so each is filed by one account only: a message @-mentioning
   * accounts by the one mentioned (the first by name if several are), any other by the account the group
   * is routed to (see groupSpeaker). The conversations it hears from are learnt as reachable by it.
   * Undefined: every message is handled, nothing learnt, as with one account.
   */
  account?: string
  /** Where messages the database cannot take wait: `DATA_DIR/inbound-spool/<account>` by default. */
  spoolDir?: string
  /** The first retry's wait, doubling up to `retryMaxMs` (1 s to 2 s by default: while the database is known down a try is refused at once, so trying often costs nothing and the spool is stored within seconds of its return). */
  retryBaseMs?: number
  retryMaxMs?: number
}

export interface MessageHandler {
  (message: Message): Promise<void>
  /** Reads what the last run left in the spool and replays it; call before reading messages. */
  start(): Promise<void>
  /** Retries no more and waits briefly for the messages in hand; what is spooled stays on disk. */
  stop(): Promise<void>
  /** Resolves once every message read is stored (or logged as lost) and the spool is empty. */
  idle(): Promise<void>
  spoolStats(): InboundSpoolStats
}

/** The spool of one bot account: two accounts may share a DATA_DIR, never a spool. */
export const defaultSpoolDir = (config: MessageDeps['config'], account = config.bot.account) =>
  join(config.dataDir, 'inbound-spool', account)

/** How long a conversation learnt from a message is not learnt again from the next ones. */
const relearnAfterMs = 10 * 60_000
/** How long the other accounts' WeChat ids and names (bot_status) are used before they are read again. */
const selvesTtlMs = 60_000

/**
 * Who handles a message that @-mentions bot accounts: the one mentioned, the first by name when several
 * are. `mentionsSelf` is this account's own mention; `others` the other accounts mentioned.
 */
export function mentionedHandler(account: string, mentionsSelf: boolean, others: readonly string[]) {
  const mentioned = [...(mentionsSelf ? [account] : []), ...others].sort()
  return mentioned[0]
}

/** Whose messages must keep their order: the group's, or the person's in a private chat. */
function conversationOf(message: Message) {
  try {
    return String(message.room()?.id ?? message.talker()?.id ?? '')
  } catch {
    return ''
  }
}

/**
 * Each message is stored with its reply in one transaction; when the database cannot take it, it waits in
 * an on-disk spool and is stored later, in arrival order, as if at the time it arrived.
 */
export function createMessageHandler(deps: MessageDeps, options: MessageHandlerOptions = {}): MessageHandler {
  const { account } = options
  const spool = createInboundSpool(
    options.spoolDir ?? defaultSpoolDir(deps.config, account),
    deps.config.inboundSpool,
    deps.log,
  )
  /** Conversations learnt from messages lately (conversation -> when): one write per conversation per while. */
  const learnt = new Map<string, number>()
  /**
   * Whether this account files a message, and learns its conversation as reachable. Decided when it is
   * stored (a replay from the spool included), so the database decides who speaks in the group now.
   */
  const mine = async (inbound: Inbound) => {
    if (account === undefined) return true
    const conversationId = inbound.roomId ?? inbound.senderId
    const now = deps.clock.now()
    const last = learnt.get(conversationId)
    if (last === undefined || now.getTime() - last > relearnAfterMs) {
      await learnReach(deps.db, { conversationId, account, isRoom: Boolean(inbound.roomId) }, now)
      if (learnt.size > 10_000) learnt.clear()
      learnt.set(conversationId, now.getTime())
    } else if (!inbound.roomId) {
      // The person may have talked to another account meanwhile: the reply goes from this one.
      await routePrivateChat(deps.db, conversationId, account, now)
    }
    // A private chat is the person's with this account; a mention was decided when the message was read.
    if (!inbound.roomId || inbound.mentionsSelf) return true
    const speaker = await groupSpeaker(deps.db, inbound.roomId, account, now, 2 * deps.config.bot.leaseMs)
    if (speaker !== account)
      deps.log.debug('inbound left to the account the group is routed to', {
        id: inbound.id,
        account,
        speaker,
      })
    return speaker === account
  }
  let selves: { at: number; rows: { account: string; selfId: string | null; selfName: string | null }[] } = {
    at: 0,
    rows: [],
  }
  /** The other accounts' WeChat ids and names as they reported them (bot_status), read once a minute. */
  const otherSelves = async () => {
    if (Date.now() - selves.at > selvesTtlMs) {
      try {
        const rows = await deps.db
          .select({ account: botStatus.account, selfId: botStatus.selfId, selfName: botStatus.selfName })
          .from(botStatus)
        selves = { at: Date.now(), rows: rows.filter((r) => r.account !== account) }
      } catch (error) {
        // The database away: the last list read serves (the message itself waits in the spool if need be).
        deps.log.debug('inbound: the accounts could not be read', { err: error })
      }
    }
    return selves.rows
  }
  /** The other accounts this group message @-mentions (matched by their WeChat id or name). */
  const othersMentioned = async (message: Message): Promise<string[]> => {
    const others = await otherSelves()
    if (others.length === 0) return []
    const contacts = await message.mentionList().catch((error: unknown) => {
      deps.log.warn('inbound: mentionList failed', { err: error, id: message.id })
      return []
    })
    const safely = <T>(read: () => T, fallback: T) => {
      try {
        return read()
      } catch {
        return fallback
      }
    }
    // Ids first; a name only where no id matches (ids are per puppet), and never our own name: two accounts
    // may share the display name 改造助手, and a mention of this one must not be taken for the other's.
    const self = safely(() => message.wechaty.currentUser, undefined)
    const ownId = safely(() => self?.id, undefined)
    const ownName = safely(() => self?.name(), undefined)
    const found = new Set<string>()
    for (const contact of contacts) {
      if (ownId !== undefined && contact.id === ownId) continue
      const byId = others.filter((other) => other.selfId === contact.id)
      if (byId.length > 0) {
        for (const other of byId) found.add(other.account)
        continue
      }
      const name = safely(() => contact.name(), '')
      if (name === '' || name === ownName) continue
      for (const other of others) if (name === other.selfName) found.add(other.account)
    }
    return [...found]
  }
  /** The message as core reads it, or null when another account handles it (it @-mentions only others). */
  const read = async (message: Message) => {
    const inbound = await toInbound(message, deps.config.botName, deps.log)
    if (!inbound || account === undefined) return inbound
    // Another of our accounts speaking in a group this one is in is no resident.
    if ((await otherSelves()).some((other) => other.selfId === inbound.senderId)) return null
    if (!inbound.roomId || (inbound.kind ?? 'text') !== 'text') return inbound
    const others = await othersMentioned(message)
    if (others.length === 0) return inbound
    const handler = mentionedHandler(account, inbound.mentionsSelf, others)
    if (handler === account) return inbound
    deps.log.debug('inbound left to the account it mentions', { id: inbound.id, account, handler })
    return null
  }
  const queue = createInboundQueue({
    spool,
    log: deps.log,
    retryBaseMs: options.retryBaseMs ?? 1_000,
    retryMaxMs: options.retryMaxMs ?? 2_000,
    maxFileBytes: deps.config.attachmentMaxBytes,
    async store(inbound, receivedAt) {
      // A replayed message is handled at the time it arrived: its row, its request's deadlines, its reply.
      const clock = receivedAt ? { now: () => new Date(receivedAt.getTime()) } : deps.clock
      if (!(await mine(inbound))) return
      const result = await handleInbound({ ...deps, clock }, inbound)
      deps.log.debug('inbound handled', { id: inbound.id, ...result })
    },
    databaseUp: () =>
      deps.database.ping().then(
        () => true,
        () => false,
      ),
  })
  const handle = (message: Message) =>
    queue.take(conversationOf(message), () => read(message), deps.clock.now())
  return Object.assign(handle, {
    start: queue.start,
    stop: queue.stop,
    idle: queue.idle,
    spoolStats: queue.stats,
  })
}
