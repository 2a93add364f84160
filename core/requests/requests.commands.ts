import { and, desc, eq, inArray } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { requests } from '../../db/schema'
import { residentOf } from '../chat/chat.actors'
import * as text from '../chat/chat.messages'
import type { CommandHandlers, Who } from '../chat/chat.types'
import { scopeCovers } from '../shared/actor'
import { planFilingForAuthor } from './requests.filing'
import {
  cannotFollow,
  excerpt,
  filedReply,
  finishedReply,
  progressReply,
  statusReply,
  urgedReply,
  withdrawalReply,
} from './requests.messages'
import * as repo from './requests.repository'
import * as requestsUseCases from './requests.usecases'
import { requestStaffCommands } from './requests-staff.commands'

type ResidentCommands = Pick<
  CommandHandlers,
  'file' | 'progress' | 'urge' | 'withdraw' | 'mine' | 'support' | 'rate'
>

export const requestCommands: ResidentCommands = {
  async file(ctx, inbound, command, who) {
    if (who.group?.kind === 'officers')
      return { outcome: 'refused:officers-group', message: text.notInOfficersUse }
    // Refused before the plan draws a number: an empty filing leaves no gap in the numbers residents see.
    if (command.text.trim() === '') {
      return {
        outcome: 'refused:requests.empty',
        message: text.describeWhat(ctx.config.botName, Boolean(inbound.roomId)),
      }
    }
    // In a xiaoqu's group the author is written and the filing planned by one statement.
    const groupXiaoqu = who.group?.xiaoquId
    const planned = groupXiaoqu
      ? await planFilingForAuthor(ctx.db, groupXiaoqu, {
          wechatId: inbound.senderId,
          name: inbound.senderName,
          at: ctx.clock.now(),
        })
      : undefined
    const author = planned?.author ?? (await residentOf(ctx, inbound))
    const plan = planned
    const xiaoquId = groupXiaoqu ?? (await repo.lastXiaoquOf(ctx.db, author.id))
    if (!xiaoquId) return { outcome: 'refused:no-xiaoqu', message: text.needGroupToFile(ctx.config.botName) }
    const filed = await requestsUseCases.fileRequest(
      ctx,
      {
        text: command.text,
        xiaoquId,
        channel: 'wechat',
        resident: author,
        groupId: who.group?.id,
        inboundMessageId: inbound.id,
      },
      plan,
    )
    return { outcome: `request:${filed.request.number}`, message: filedReply(filed.request, filed.truncated) }
  },

  async progress(ctx, inbound, command, who) {
    const number =
      command.number ?? (await onlyOpenRequest(ctx.db, (await residentOf(ctx, inbound)).id, '进度'))
    if (typeof number !== 'string') return number
    const request = await repo.findRequestByNumber(ctx.db, number)
    // A number that does not exist and one the asker may not follow get the same words.
    if (!request) return { outcome: 'refused:requests.not_found', message: cannotFollow(number) }
    const context = await repo.loadRequestContext(ctx.db, request)
    const view = await mayFollow(ctx.db, request, context, inbound.senderId, who)
    if (!view) return { outcome: 'refused:progress-not-yours', message: cannotFollow(request.number) }
    if (view === 'status') return { outcome: `progress:${request.number}`, message: statusReply(request) }
    const events = await repo.listRequestEvents(ctx.db, request.id)
    return {
      outcome: `progress:${request.number}`,
      message: progressReply(request, events, context.assignee?.name ?? null),
    }
  },

  async urge(ctx, inbound, command, who) {
    // Staff chase through 待办 and the nudges: to them 催办 shows where the request stands.
    if (who.staff)
      return requestCommands.progress(ctx, inbound, { kind: 'progress', number: command.number }, who)
    if (who.group?.kind === 'officers')
      return { outcome: 'refused:officers-group', message: text.notInOfficersUse }
    // The sender is written (upserted) once, and only when needed: for the number, or for the chase itself.
    let sender: ReturnType<typeof residentOf> | undefined
    const resident = () => (sender ??= residentOf(ctx, inbound))
    const number = command.number ?? (await onlyOpenRequest(ctx.db, (await resident()).id, '催办'))
    if (typeof number !== 'string') return number
    const request = await repo.findRequestByNumber(ctx.db, number, true)
    if (!request) return { outcome: 'refused:requests.not_found', message: cannotFollow(number) }
    const context = await repo.loadRequestContext(ctx.db, request)
    const view = await mayFollow(ctx.db, request, context, inbound.senderId, who)
    if (!view) return { outcome: 'refused:urge-not-yours', message: cannotFollow(request.number) }
    const urged = await requestsUseCases.urgeRequest(ctx, await resident(), request, context, command.text)
    if (urged === 'finished') {
      return {
        outcome: `urge:${request.number}:finished`,
        message: finishedReply(request, view === 'full'),
      }
    }
    const where =
      view === 'full'
        ? progressReply(
            request,
            await repo.listRequestEvents(ctx.db, request.id),
            context.assignee?.name ?? null,
          )
        : statusReply(request)
    return {
      outcome: `urge:${request.number}:${urged}`,
      message: `${urgedReply(request.number, urged)}\n${where}`,
    }
  },

  async withdraw(ctx, inbound, command, who) {
    // Staff close a request by 办结: "已修好" under the bot's message about it is one, with those words as
    // the result; anything else shows where it stands.
    if (who.staff) {
      if (command.number && officerDone.test(command.reason)) {
        const note = command.reason.trim()
        return requestStaffCommands.resolve(
          ctx,
          inbound,
          { kind: 'resolve', number: command.number, note },
          who,
        )
      }
      return requestCommands.progress(ctx, inbound, { kind: 'progress', number: command.number }, who)
    }
    if (who.group?.kind === 'officers')
      return { outcome: 'refused:officers-group', message: text.notInOfficersUse }
    const resident = await residentOf(ctx, inbound)
    const number = command.number ?? (await onlyOpenRequest(ctx.db, resident.id, '撤回'))
    if (typeof number !== 'string') return number
    const request = await repo.findRequestByNumber(ctx.db, number, true)
    if (!request) return { outcome: 'refused:requests.not_found', message: cannotFollow(number) }
    const context = await repo.loadRequestContext(ctx.db, request)
    // Only its author may say a request is not needed; anyone else gets what they may know of it.
    if (request.residentId !== resident.id) {
      const view = await mayFollow(ctx.db, request, context, inbound.senderId, who)
      return {
        outcome: 'refused:withdraw-not-yours',
        message: view
          ? `只有提交人可以撤回诉求 ${request.number}。\n${statusReply(request)}`
          : cannotFollow(request.number),
      }
    }
    const asked = await requestsUseCases.askWithdrawal(ctx, resident, request, context, command.reason)
    if (asked === 'finished')
      return { outcome: `withdraw:${request.number}:finished`, message: finishedReply(request, true) }
    return { outcome: `withdraw:${request.number}:${asked}`, message: withdrawalReply(request.number, asked) }
  },

  async mine(ctx, inbound) {
    const author = await residentOf(ctx, inbound)
    const rows = await repo.openRequestsOf(ctx.db, author.id, 10)
    if (rows.length === 0) {
      return {
        outcome: 'mine:0',
        message: `您目前没有未完结的诉求。提交诉求请发"@${ctx.config.botName} 问题描述"。`,
      }
    }
    return {
      outcome: `mine:${rows.length}`,
      message: ['您未完结的诉求：', ...text.requestLines(rows, ctx.clock.now())].join('\n'),
    }
  },

  async support(ctx, inbound, command, who) {
    if (who.group?.kind === 'officers')
      return { outcome: 'refused:officers-group', message: text.notInOfficersUse }
    const supporter = await residentOf(ctx, inbound)
    // "+1" or "我家也是" with no number and no quote: the latest request another resident filed in this group
    // within the last 3 days, named in the answer so a wrong guess is seen at once.
    const since = supportWindowStart(ctx.clock.now())
    const latest =
      !command.number && who.group
        ? await repo.latestFiledInGroup(ctx.db, who.group.id, supporter.id, since)
        : undefined
    const number = command.number ?? latest?.number
    if (!number) return { outcome: 'support:none', message: text.supportNeedsNumber }
    const { request, added } = await requestsUseCases.supportRequest(ctx, supporter, number, {
      xiaoquId: who.group?.xiaoquId,
    })
    const which = latest
      ? `${request.number}【${request.category}】${excerpt(request.text, 20)}`
      : request.number
    return {
      outcome: `support:${request.number}`,
      message: added
        ? `已为诉求 ${which} 加上您的同求，目前共 ${request.supportCount} 人同求。办理进展会在群里告知。`
        : `您已同求过 ${which}，不会重复计数。`,
    }
  },

  async rate(ctx, inbound, command, who) {
    const author = await residentOf(ctx, inbound)
    let number = command.number
    if (!number) {
      const word = command.rating === 'satisfied' ? '满意' : '不满意'
      const picked = pickOne(await candidatesOf(ctx.db, author.id, ['resolved']), 'rate', word)
      if (typeof picked !== 'string') return picked
      number = picked
    }
    const updated = await requestsUseCases.rateRequest(ctx, author, number, command.rating, command.reason, {
      xiaoquId: who.group?.xiaoquId,
    })
    return command.rating === 'satisfied'
      ? { outcome: `rated:${updated.number}:satisfied`, message: `感谢评价！诉求 ${updated.number} 已完结。` }
      : {
          outcome: `rated:${updated.number}:unsatisfied`,
          message: `已记录您的意见，诉求 ${updated.number} 已重新交办，会尽快处理。`,
        }
  },
}

/** Said by an officer about a request: it is done. */
const officerDone = /修好|已处理|处理好|处理完|解决了|已解决|办好|办完|已完成|完成了|搞定/

/** How far back "+1" without a number looks for the group's latest request. */
const supportWindowStart = (now: Date) => new Date(now.getTime() - 3 * 24 * 3600_000)

type Candidate = Pick<repo.RequestRow, 'number' | 'category' | 'text'>

/** A command about an open request said without a number: the sender's only one, or the reply listing them. */
async function onlyOpenRequest(db: DbOrTx, authorId: number, word: string) {
  return pickOne(await candidatesOf(db, authorId, [...repo.openStatuses]), 'progress', word)
}

/** How many candidates a reply lists; one more is read to tell "10 条" from "10 条以上". */
const candidatesShown = 10

/** A resident's own requests in the given states, newest first: what a command without a number may mean. */
async function candidatesOf(db: DbOrTx, residentId: number, statuses: repo.RequestRow['status'][]) {
  return db
    .select({ number: requests.number, category: requests.category, text: requests.text })
    .from(requests)
    .where(and(eq(requests.residentId, residentId), inArray(requests.status, statuses)))
    .orderBy(desc(requests.id))
    .limit(candidatesShown + 1)
}

/** The only candidate's number; otherwise the reply that lists them, or says there is none. */
function pickOne(candidates: Candidate[], purpose: 'rate' | 'progress', word: string) {
  if (candidates.length === 1) return candidates[0]!.number
  if (candidates.length === 0) {
    return {
      outcome: `${purpose}:none`,
      message:
        purpose === 'rate'
          ? '您目前没有待评价的诉求。诉求办结后，回复"满意 Q1024"或"不满意 Q1024 原因"评价。'
          : '您目前没有办理中的诉求。查询其他诉求请带上编号，例如"进度 Q1024"。',
    }
  }
  const what = purpose === 'rate' ? '已办结待评价' : '办理中'
  const example =
    word === '不满意' ? `不满意 ${candidates[0]!.number} 原因` : `${word} ${candidates[0]!.number}`
  const more = candidates.length > candidatesShown
  const shown = candidates.slice(0, candidatesShown)
  return {
    outcome: `${purpose}:choose:${more ? `${candidatesShown}+` : candidates.length}`,
    message: [
      more
        ? `您有 ${candidatesShown} 条以上${what}的诉求，请带上编号，例如"${example}"。最近 ${candidatesShown} 条：`
        : `您有 ${candidates.length} 条${what}的诉求，请带上编号，例如"${example}"：`,
      ...shown.map((c) => text.candidateLine(c)),
    ].join('\n'),
  }
}

/**
 * How much of a request's progress the asker may read: all of it for its author and for staff whose scope
 * covers it (property staff: what they hold); only where it stands ('status') for its supporters and for
 * anyone asking in a group of the same xiaoqu; nothing for anyone else.
 */
async function mayFollow(
  db: DbOrTx,
  request: repo.RequestRow,
  context: Awaited<ReturnType<typeof repo.loadRequestContext>>,
  senderId: string,
  who: Who,
): Promise<'full' | 'status' | false> {
  if (who.staff) {
    const inSight =
      who.staff.role === 'property_staff'
        ? request.assigneeStaffId === who.staff.id
        : scopeCovers(who.staff.scopePath, context.xiaoqu?.path)
    return inSight ? 'full' : false
  }
  if (context.author?.wechatId === senderId) return 'full'
  if (who.group?.xiaoquId && who.group.xiaoquId === request.xiaoquId) return 'status'
  return (await repo.isSupporter(db, request.id, senderId)) ? 'status' : false
}
