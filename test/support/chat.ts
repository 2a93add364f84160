import { eq } from 'drizzle-orm'
import { handleInbound, type Inbound } from '../../core/chat/chat.usecases'
import { outbox } from '../../db/schema'
import type { TestDeps } from './deps'
import { uniqueId } from './factories'

/** One chat message through the bot's use case, with a fresh id; returns the outcome and the reply text. */
export async function say(
  deps: TestDeps,
  message: Omit<Inbound, 'id' | 'mentionsSelf'> & { mentionsSelf?: boolean },
) {
  const id = uniqueId('m')
  const result = await handleInbound(deps, { mentionsSelf: false, ...message, id })
  const [reply] = await deps.db
    .select()
    .from(outbox)
    .where(eq(outbox.dedupeKey, `reply:${id}`))
  return { result, reply: reply?.text ?? '' }
}
