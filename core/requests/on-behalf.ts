import type { DbOrTx } from '../../db/client'
import { createOfflineResident } from '../people/residents'
import { type Actor, assertScope, type ResidentRow } from '../shared/actor'
import type { Deps } from '../shared/deps'
import { notFound } from '../shared/errors'
import { planFiling } from './requests.filing'
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
 * API and the console. Returns the request with the names it is shown with. Needs no transaction from its
 * caller: it opens one where it writes more than one statement.
 */
export async function fileForCaller(ctx: Ctx, actor: Actor & { kind: 'staff' }, input: OnBehalfInput) {
  // The filing's plan (which reads the xiaoqu, for the scope check) and the caller, in one statement.
  const plan = await planFiling(ctx.db, input.xiaoquId, {
    staffScope: actor.staff.scopePath,
    ...(input.phone ? { caller: { name: input.residentName, phone: input.phone } } : {}),
  })
  const found = plan.caller
  // As getXiaoquForStaff answers.
  if (!plan.xiaoqu) throw notFound('xiaoqu.not_found', `没有编号为 ${input.xiaoquId} 的小区。`)
  assertScope(actor.staff, plan.xiaoqu.path)
  const file = async (on: Ctx, resident: ResidentRow) => {
    const filed = await fileRequest(
      on,
      {
        text: input.text,
        xiaoquId: input.xiaoquId,
        channel: input.channel,
        resident,
        location: input.location,
        contactPhone: input.phone,
        filedBy: actor,
      },
      plan,
    )
    return { request: filed.request, xiaoquName: filed.xiaoquName, authorName: resident.name }
  }
  // A known caller: the filing is one statement (or its own transaction when routed). A new one is written
  // with the filing, all or nothing, so a failed filing leaves no stray resident.
  if (found) return file(ctx, found)
  return ctx.db.transaction(async (tx) => {
    const resident = await createOfflineResident(
      tx,
      { name: input.residentName, phone: input.phone },
      ctx.clock.now(),
    )
    return file({ ...ctx, db: tx }, resident)
  })
}

/** 代录, for callers that need only the request. */
export async function fileOnBehalf(ctx: Ctx, actor: Actor & { kind: 'staff' }, input: OnBehalfInput) {
  return (await fileForCaller(ctx, actor, input)).request
}
