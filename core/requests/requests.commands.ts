import { and, desc, eq, inArray } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { requestSupporters, requests, residents } from '../../db/schema'
import { residentOf } from '../chat/chat.actors'
import * as text from '../chat/chat.messages'
import type { CommandHandlers, Who } from '../chat/chat.types'
import { scopeCovers } from '../shared/actor'
import { requestNotFound } from './requests.errors'
import { filedReply, progressReply } from './requests.messages'
import * as repo from './requests.repository'
import * as requestsUseCases from './requests.usecases'

type ResidentCommands = Pick<CommandHandlers, 'file' | 'progress' | 'mine' | 'support' | 'rate'>

export const requestCommands: ResidentCommands = {
  async file(ctx, inbound, command, who) {
    if (who.group?.kind === 'officers')
      return { outcome: 'refused:officers-group', message: text.notInOfficersUse }
    const author = await residentOf(ctx, inbound)
    const xiaoquId = who.group?.xiaoquId ?? (await repo.lastXiaoquOf(ctx.db, author.id))
    if (!xiaoquId) return { outcome: 'refused:no-xiaoqu', message: text.needGroupToFile(ctx.config.botName) }
    const filed = await requestsUseCases.fileRequest(ctx, {
      text: command.text,
      xiaoquId,
      channel: 'wechat',
      resident: author,
      groupId: who.group?.id,
      inboundMessageId: inbound.id,
    })
    return { outcome: `request:${filed.request.number}`, message: filedReply(filed.request, filed.truncated) }
  },

  async progress(ctx, inbound, command, who) {
    let number = command.number
    if (!number) {
      const author = await residentOf(ctx, inbound)
      const open = await candidatesOf(ctx.db, author.id, ['submitted', 'accepted'])
      const picked = pickOne(open, 'progress', '进度')
      if (typeof picked !== 'string') return picked
      number = picked
    }
    const request = await repo.findRequestByNumber(ctx.db, number)
    if (!request) throw requestNotFound(number)
    const context = await repo.loadRequestContext(ctx.db, request)
    if (!(await mayFollow(ctx.db, request, context, inbound.senderId, who))) {
      return {
        outcome: 'refused:progress-not-yours',
        message: `只能查询您自己提交或同求的诉求，或本小区群里的诉求。如果您也遇到同样的问题，可在小区群里发"同求 ${request.number}"。`,
      }
    }
    const events = await repo.listRequestEvents(ctx.db, request.id)
    return {
      outcome: `progress:${request.number}`,
      message: progressReply(request, events, context.assignee?.name ?? null),
    }
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

  async support(ctx, inbound, command) {
    const { request, added } = await requestsUseCases.supportRequest(
      ctx,
      await residentOf(ctx, inbound),
      command.number,
    )
    return {
      outcome: `support:${request.number}`,
      message: added
        ? `已为诉求 ${request.number} 加上您的同求，目前共 ${request.supportCount} 人同求。办理进展会在群里告知。`
        : `您已同求过 ${request.number}，不会重复计数。`,
    }
  },

  async rate(ctx, inbound, command) {
    const author = await residentOf(ctx, inbound)
    let number = command.number
    if (!number) {
      const word = command.rating === 'satisfied' ? '满意' : '不满意'
      const picked = pickOne(await candidatesOf(ctx.db, author.id, ['resolved']), 'rate', word)
      if (typeof picked !== 'string') return picked
      number = picked
    }
    const updated = await requestsUseCases.rateRequest(ctx, author, number, command.rating, command.reason)
    return command.rating === 'satisfied'
      ? { outcome: `rated:${updated.number}:satisfied`, message: `感谢评价！诉求 ${updated.number} 已完结。` }
      : {
          outcome: `rated:${updated.number}:unsatisfied`,
          message: `已记录您的意见，诉求 ${updated.number} 已重新交办，会尽快处理。`,
        }
  },
}

type Candidate = Pick<repo.RequestRow, 'number' | 'category' | 'text'>

/** A resident's own requests in the given states, newest first: what a command without a number may mean. */
async function candidatesOf(db: DbOrTx, residentId: number, statuses: repo.RequestRow['status'][]) {
  return db
    .select({ number: requests.number, category: requests.category, text: requests.text })
    .from(requests)
    .where(and(eq(requests.residentId, residentId), inArray(requests.status, statuses)))
    .orderBy(desc(requests.id))
    .limit(10)
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
  return {
    outcome: `${purpose}:choose:${candidates.length}`,
    message: [
      `您有 ${candidates.length} 条${what}的诉求，请带上编号，例如"${example}"：`,
      ...candidates.map((c) => text.candidateLine(c)),
    ].join('\n'),
  }
}

/**
 * Who may read a request's progress: its author and supporters, staff whose scope covers it (property
 * staff: what they hold), and anyone asking in a group of the same xiaoqu, where it is public anyway.
 */
async function mayFollow(
  db: DbOrTx,
  request: repo.RequestRow,
  context: Awaited<ReturnType<typeof repo.loadRequestContext>>,
  senderId: string,
  who: Who,
) {
  if (who.staff) {
    return who.staff.role === 'property_staff'
      ? request.assigneeStaffId === who.staff.id
      : scopeCovers(who.staff.scopePath, context.xiaoqu?.path)
  }
  if (who.group?.xiaoquId && who.group.xiaoquId === request.xiaoquId) return true
  if (context.author?.wechatId === senderId) return true
  const [supporter] = await db
    .select({ id: requestSupporters.residentId })
    .from(requestSupporters)
    .innerJoin(residents, eq(residents.id, requestSupporters.residentId))
    .where(and(eq(requestSupporters.requestId, request.id), eq(residents.wechatId, senderId)))
  return Boolean(supporter)
}
