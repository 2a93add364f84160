import { staffActorOf } from '../chat/chat.actors'
import type { CommandHandlers } from '../chat/chat.types'
import { findActiveStaffByName } from '../staff/staff.usecases'
import * as repo from './requests.repository'
import * as requestsUseCases from './requests.usecases'

/** What officers say about a request in chat: 受理, 转派, 办结. */
export const requestStaffCommands: Pick<CommandHandlers, 'accept' | 'assign' | 'resolve'> = {
  async accept(ctx, _inbound, command, who) {
    // "我来处理" under the bot's message is 受理 only from staff; from a resident it is their own talk.
    if (command.inferred && !who.staff) return { outcome: 'ignored' }
    const updated = await requestsUseCases.acceptRequest(
      ctx,
      staffActorOf(who),
      command.number,
      command.note || undefined,
    )
    return {
      outcome: `accepted:${updated.number}`,
      message: `已受理 ${updated.number}，已告知居民。办结请发"办结 ${updated.number} 办理结果"。`,
    }
  },

  async assign(ctx, _inbound, command, who) {
    const actor = staffActorOf(who)
    const named = await findActiveStaffByName(ctx.db, command.target)
    // Namesakes elsewhere do not make the name ambiguous: only those the request may go to count.
    const request = await repo.findRequestByNumber(ctx.db, command.number)
    const place = request ? (await repo.loadRequestContext(ctx.db, request)).xiaoqu : undefined
    const fitting = named.filter((s) => !requestsUseCases.assignmentRefusal(actor.staff, s, place))
    const candidates = fitting.length > 0 ? fitting : named
    if (candidates.length !== 1) {
      const why =
        candidates.length === 0
          ? `没有找到名为"${command.target}"的工作人员`
          : `有 ${candidates.length} 位名为"${command.target}"的工作人员，请在管理后台转派`
      return {
        outcome: 'refused:assign-target',
        message: `${why}。请发"转派 ${command.number} 姓名"，姓名与系统中登记的一致。`,
      }
    }
    const updated = await requestsUseCases.assignRequest(
      ctx,
      actor,
      command.number,
      candidates[0]!,
      command.note || undefined,
    )
    return {
      outcome: `assigned:${updated.number}`,
      message: `已将 ${updated.number} 转派给 ${candidates[0]!.name}。`,
    }
  },

  async resolve(ctx, _inbound, command, who) {
    const updated = await requestsUseCases.resolveRequest(
      ctx,
      staffActorOf(who),
      command.number,
      command.note,
    )
    return { outcome: `resolved:${updated.number}`, message: `已办结 ${updated.number}，已请居民评价。` }
  },
}
