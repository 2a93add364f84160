import { FileBox } from 'file-box'
import type { Contact } from 'wechaty'
import type { OutboxRow } from '../core/outbox/outbox.repository'
import {
  ConversationGoneError,
  NotDeliveredError,
  type Transport,
  UncertainDeliveryError,
} from '../core/outbox/outbox.sender'
import type { Connection } from './connection'

export type LoadFile = (id: number) => Promise<{ fileName: string; data: Buffer } | undefined>

// gRPC said the call never reached the gateway: nothing was sent.
const neverSent = /^14 UNAVAILABLE: (No connection established|Connection dropped)|NO CLIENT|no grpc manager/

/**
 * Delivers outbox rows through the connection's current wechaty; @mentions are real mentions when the
 * contact can be found, and a row with an attachment goes as a file (FileBox). It tells the sender what a
 * failure means: not sent at all (the bot is offline), never sendable (the bot left the group), or unknown
 * (the connection dropped during the hand-over).
 */
export function createWechatyTransport(
  connection: Connection,
  loadFile: LoadFile,
  /** After a failed send: why the conversation can no longer be reached (the bot left the group), if so. */
  goneReason: (row: OutboxRow) => Promise<string | undefined> = async () => undefined,
): Transport {
  return {
    ready: () => connection.ready(),
    async send(row: OutboxRow) {
      const bot = connection.current()
      if (!bot || !connection.ready()) throw new NotDeliveredError('bot offline')
      // Finding the conversation sends nothing: a failure here is never a half-sent message.
      let deliver: () => Promise<unknown>
      try {
        deliver = await prepare(bot, row)
      } catch (error) {
        if (error instanceof ConversationGoneError) throw error
        if (!connection.ready()) throw new NotDeliveredError(messageOf(error))
        throw error
      }
      try {
        await deliver()
      } catch (error) {
        const message = messageOf(error)
        if (neverSent.test(message)) throw new NotDeliveredError(message)
        if (!connection.ready() || /^(1|4|13) [A-Z_]+:/.test(message))
          throw new UncertainDeliveryError(message)
        // Asked only when a send fails, not before every one: leaving a group already drops its rows.
        const gone = await goneReason(row)
        throw gone ? new ConversationGoneError(gone) : error
      }
    },
  }

  async function prepare(bot: NonNullable<ReturnType<Connection['current']>>, row: OutboxRow) {
    const target = row.isRoom
      ? await bot.Room.find({ id: row.conversationId })
      : await bot.Contact.find({ id: row.conversationId })
    if (!target) {
      throw new ConversationGoneError(row.isRoom ? '机器人已不在群里' : '找不到该联系人（可能已删除好友）')
    }
    if (row.attachmentId) {
      const file = await loadFile(row.attachmentId)
      if (!file) throw new ConversationGoneError(`附件 ${row.attachmentId} 已不存在`)
      // Base64, not a raw buffer: puppets serialise the box (toJSON), which a buffer box refuses.
      const box = FileBox.fromBase64(file.data.toString('base64'), file.fileName)
      return () => target.say(box)
    }
    if (!row.isRoom || row.mentions.length === 0) return () => target.say(row.text)
    const contacts: Contact[] = []
    const missing: string[] = []
    for (const mention of row.mentions) {
      const contact = await bot.Contact.find({ id: mention.id }).catch(() => undefined)
      if (contact) contacts.push(contact)
      else missing.push(`@${mention.name}`)
    }
    const text = missing.length > 0 ? `${missing.join(' ')} ${row.text}` : row.text
    const room = target as Awaited<ReturnType<typeof bot.Room.find>> & {}
    return () => room.say(text, ...contacts)
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))
