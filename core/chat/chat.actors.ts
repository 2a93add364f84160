import { upsertResident } from '../people/residents'
import type { Actor } from '../shared/actor'
import { forbidden } from '../shared/errors'
import * as text from './chat.messages'
import type { ChatContext, Inbound, Who } from './chat.types'

/** The speaker as staff, or a refusal naming how staff bind their WeChat. */
export function staffActorOf(who: Who): Actor & { kind: 'staff' } {
  if (!who.staff) throw forbidden('chat.not_staff', text.notStaff)
  return { kind: 'staff', staff: who.staff, via: 'wechat' }
}

/** The speaker as a resident, created on first contact and renamed when their WeChat name changed. */
export const residentOf = (ctx: ChatContext, inbound: Inbound) =>
  upsertResident(ctx.db, inbound.senderId, inbound.senderName, ctx.clock.now())
