import type { DbOrTx } from '../../db/client'
import { getXiaoquForStaff } from '../areas/areas.usecases'
import { findOrCreateOfflineResident } from '../people/residents'
import type { Actor } from '../shared/actor'
import type { Deps } from '../shared/deps'
import { fileRequest } from './requests.usecases'

type Ctx = Pick<Deps, 'clock' | 'config' | 'classifier' | 'calendar'> & { db: DbOrTx }

export interface OnBehalfInput {
  xiaoquId: number
  text: string
  channel: 'phone' | 'visit'
  residentName: string
  phone?: string
  location?: string
}

/**
 * 代录: files a request for a resident who phoned or came in, in a xiaoqu within the staff member's scope.
 * The same name and phone are the same resident, so one caller's requests stay together. One rule for the
 * API and the console.
 */
export async function fileOnBehalf(ctx: Ctx, actor: Actor & { kind: 'staff' }, input: OnBehalfInput) {
  await getXiaoquForStaff(ctx.db, actor, input.xiaoquId)
  const resident = await findOrCreateOfflineResident(
    ctx.db,
    { name: input.residentName, phone: input.phone },
    ctx.clock.now(),
  )
  const filed = await fileRequest(ctx, {
    text: input.text,
    xiaoquId: input.xiaoquId,
    channel: input.channel,
    resident,
    location: input.location,
    contactPhone: input.phone,
    filedBy: actor,
  })
  return filed.request
}
