import type { DbOrTx } from '../../db/client'
import type { chatGroups } from '../../db/schema'
import type { StaffRow } from '../shared/actor'
import type { Deps } from '../shared/deps'
import type { Command } from './chat.parser'

/** What kind of WeChat message it was: the bot reads text, keeps images and voice, ignores the rest. */
export type InboundKind = 'text' | 'image' | 'voice' | 'other'

/** A chat message as the bot adapter hands it over: plain data, no wechaty objects. */
export interface Inbound {
  id: string
  roomId?: string
  roomTopic?: string
  senderId: string
  senderName: string
  text: string
  mentionsSelf: boolean
  sentAt?: Date
  /** 'text' when absent. */
  kind?: InboundKind
  /** A quoted message (引用): `fromBot` when the quoted name is the bot's, as the adapter knows it. */
  quote?: { name: string; text: string; fromBot: boolean }
  /** The image's or voice's file; fetched before the transaction, so no download holds one open. */
  file?: () => Promise<{ fileName: string; data: Buffer } | undefined>
}

export type InboundOutcome = { duplicate: true } | { duplicate: false; outcome: string }

export type ChatDeps = Pick<
  Deps,
  'db' | 'clock' | 'config' | 'classifier' | 'calendar' | 'log' | 'outboxSignal'
>

/** What a command handler gets: the deps with `db` the command's savepoint. */
export type ChatContext = Omit<ChatDeps, 'db'> & { db: DbOrTx }

export type Group = typeof chatGroups.$inferSelect

/** Who is speaking, looked up once by the dispatcher. */
export interface Who {
  group: Group | undefined
  staff: StaffRow | undefined
}

export interface CommandResult {
  outcome: string
  message?: string
  /** The reply's dedupe key when one reply may answer several messages (default: one per message). */
  replyKey?: string
}

export type CommandHandler<C extends Command = Command> = (
  ctx: ChatContext,
  inbound: Inbound,
  command: C,
  who: Who,
) => Promise<CommandResult>

/** One handler per command kind; each feature exports its part and `commands.ts` joins them. */
export type CommandHandlers = {
  [K in Command['kind']]: CommandHandler<Extract<Command, { kind: K }>>
}
