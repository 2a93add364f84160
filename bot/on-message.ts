import { join } from 'node:path'
import { type Message, types } from 'wechaty'
import { z } from 'zod'
import { parseQuote, withoutLeadingMention } from '../core/chat/chat.parser'
import { handleInbound, type Inbound, type InboundKind } from '../core/chat/chat.usecases'
import type { Deps } from '../core/shared/deps'
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
  /** Where messages the database cannot take wait: `DATA_DIR/inbound-spool/<BOT_ACCOUNT>` by default. */
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
export const defaultSpoolDir = (config: MessageDeps['config']) =>
  join(config.dataDir, 'inbound-spool', config.bot.account)

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
  const spool = createInboundSpool(
    options.spoolDir ?? defaultSpoolDir(deps.config),
    deps.config.inboundSpool,
    deps.log,
  )
  const queue = createInboundQueue({
    spool,
    log: deps.log,
    retryBaseMs: options.retryBaseMs ?? 1_000,
    retryMaxMs: options.retryMaxMs ?? 2_000,
    maxFileBytes: deps.config.attachmentMaxBytes,
    async store(inbound, receivedAt) {
      // A replayed message is handled at the time it arrived: its row, its request's deadlines, its reply.
      const clock = receivedAt ? { now: () => new Date(receivedAt.getTime()) } : deps.clock
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
    queue.take(
      conversationOf(message),
      () => toInbound(message, deps.config.botName, deps.log),
      deps.clock.now(),
    )
  return Object.assign(handle, {
    start: queue.start,
    stop: queue.stop,
    idle: queue.idle,
    spoolStats: queue.stats,
  })
}
