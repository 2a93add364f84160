import { eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { chatGroups } from '../../db/schema'

/** Why a group can no longer be sent to, if it cannot: the bot has left it (removed, or it was dissolved). */
export async function groupGoneReason(db: DbOrTx, roomId: string): Promise<string | undefined> {
  const [group] = await db
    .select({ state: chatGroups.state })
    .from(chatGroups)
    .where(eq(chatGroups.roomId, roomId))
  return group?.state === 'left' ? '机器人已不在群里' : undefined
}
