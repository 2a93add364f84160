import type { Contact, Wechaty } from 'wechaty'
import type { OutboxRow } from '../core/outbox/outbox.repository'
import type { Transport } from '../core/outbox/outbox.sender'

/** Delivers outbox rows through wechaty; @mentions are real mentions when the contact can be found. */
export function createWechatyTransport(bot: Wechaty): Transport {
  return {
    async send(row: OutboxRow) {
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
