import { type Message, types } from 'wechaty'
import { handleInbound, type Inbound } from '../core/chat/chat.usecases'
import type { Deps } from '../core/shared/deps'

/** Turns a wechaty Message into plain data; null for what the bot does not read (its own, non-text). */
export async function toInbound(message: Message): Promise<Inbound | null> {
  if (message.self()) return null
  if (message.type() !== types.Message.Text) return null
  const talker = message.talker()
  const room = message.room()
  return {
    id: message.id,
    roomId: room?.id,
    roomTopic: room ? await room.topic() : undefined,
    senderId: talker.id,
    senderName: talker.name(),
    text: message.text(),
    mentionsSelf: room ? await message.mentionSelf().catch(() => false) : false,
    sentAt: message.date(),
  }
}

export function createMessageHandler(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'classifier' | 'calendar' | 'log' | 'outboxSignal'>,
) {
  return async (message: Message) => {
    try {
      const inbound = await toInbound(message)
      if (!inbound) return
      const result = await handleInbound(deps, inbound)
      deps.log.debug('inbound handled', { id: inbound.id, ...result })
    } catch (error) {
      deps.log.error('inbound message failed', { err: error, id: message.id })
    }
  }
}
