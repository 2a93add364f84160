import { FileBox } from 'file-box'
import type { Contact, Wechaty } from 'wechaty'
import type { OutboxRow } from '../core/outbox/outbox.repository'
import type { Transport } from '../core/outbox/outbox.sender'

export type LoadFile = (id: number) => Promise<{ fileName: string; data: Buffer } | undefined>

/**
 * Delivers outbox rows through wechaty; @mentions are real mentions when the contact can be found, and a
 * row with an attachment goes as a file (FileBox).
 */
export function createWechatyTransport(bot: Wechaty, loadFile: LoadFile): Transport {
  return {
    async send(row: OutboxRow) {
      if (row.attachmentId) {
        const file = await loadFile(row.attachmentId)
        if (!file) throw new Error(`attachment ${row.attachmentId} is gone`)
        // Base64, not a raw buffer: puppets serialise the box (toJSON), which a buffer box refuses.
        const box = FileBox.fromBase64(file.data.toString('base64'), file.fileName)
        const target = row.isRoom
          ? await bot.Room.find({ id: row.conversationId })
          : await bot.Contact.find({ id: row.conversationId })
        if (!target) throw new Error(`conversation ${row.conversationId} not found`)
        await target.say(box)
        return
      }
      if (row.isRoom) {
        const room = await bot.Room.find({ id: row.conversationId })
        if (!room) throw new Error(`room ${row.conversationId} not found`)
        const contacts: Contact[] = []
        const missing: string[] = []
        for (const mention of row.mentions) {
          const contact = await bot.Contact.find({ id: mention.id }).catch(() => undefined)
          if (contact) contacts.push(contact)
          else missing.push(`@${mention.name}`)
        }
        const text = missing.length > 0 ? `${missing.join(' ')} ${row.text}` : row.text
        await room.say(text, ...contacts)
        return
      }
      const contact = await bot.Contact.find({ id: row.conversationId })
      if (!contact) throw new Error(`contact ${row.conversationId} not found`)
      await contact.say(row.text)
    },
  }
}
