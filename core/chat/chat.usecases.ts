import { and, eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { chatGroups, inboundMessages, requestSupporters, residents } from '../../db/schema'
import type { OutboxMention } from '../../db/schema/messaging.table'
import { castVote, publicStatus } from '../consent/campaigns'
import { claimHousehold } from '../consent/households'
import { confirmDraft, draftBroadcast, draftMinutes } from '../notices/broadcast.usecases'
import { giveFeedback } from '../notices/publicity.usecases'
import { enqueueMessages } from '../outbox/outbox.repository'
import { findStaffByWechat, upsertResident } from '../people/residents'
import { requestNotFound } from '../requests/requests.errors'
import { excerpt, filedReply, progressReply } from '../requests/requests.messages'
import * as repo from '../requests/requests.repository'
import * as requestsUseCases from '../requests/requests.usecases'
import { type Actor, roleNames, type StaffRow, scopeCovers } from '../shared/actor'
import type { Deps } from '../shared/deps'
import { forbidden, isAppError } from '../shared/errors'
import { formatShanghai } from '../shared/time'
import {
  bindGroup,
  bindStaffWechat,
  findActiveStaffByName,
  setDigestPreference,
} from '../staff/staff.usecases'
import { completeTask, openTasksOf } from '../tasks/tasks.usecases'
import * as text from './chat.messages'
import { type Command, parseCommand } from './chat.parser'

/** A chat message as the bot adapter hands it over: plain data, no wechaty objects. */
export interface Inbound {
  id: string
  roomId?: string
  roomTopic?: string
  senderId: string
  senderName: string
  text: string
  mentionsSelf: boolean
  sentAt?: Date
}

export type InboundOutcome = { duplicate: true } | { duplicate: false; outcome: string }

type ChatDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'classifier' | 'calendar' | 'log' | 'outboxSignal'>
type Group = typeof chatGroups.$inferSelect

/**
 * Handles one inbound message exactly once: the message row, the change it causes and the reply are
 * committed together. A replayed message id finds its row and does nothing.
 */
export async function handleInbound(deps: ChatDeps, received: Inbound): Promise<InboundOutcome> {
  const inbound = storable(received)
  const result = await deps.db.transaction(async (tx) => {
    const now = deps.clock.now()
    const stored = await tx
      .insert(inboundMessages)
      .values({
        messageId: inbound.id,
        roomId: inbound.roomId ?? null,
        senderId: inbound.senderId,
        senderName: inbound.senderName,
        text: inbound.text,
        sentAt: inbound.sentAt ?? null,
        receivedAt: now,
      })
      .onConflictDoNothing()
      .returning({ id: inboundMessages.messageId })
    if (stored.length === 0) return { duplicate: true as const }
    const outcome = await respond(deps, tx, inbound)
    await tx.update(inboundMessages).set({ outcome }).where(eq(inboundMessages.messageId, inbound.id))
    return { duplicate: false as const, outcome }
  })
  if (!result.duplicate) deps.outboxSignal.notify()
  return result
}

/** Postgres text cannot hold NUL: one in a message would fail the insert and lose the whole message. */
const withoutNul = (value: string) => value.replaceAll('\u0000', '')

function storable(inbound: Inbound): Inbound {
  return {
    ...inbound,
    text: withoutNul(inbound.text),
    senderName: withoutNul(inbound.senderName),
    roomTopic: inbound.roomTopic === undefined ? undefined : withoutNul(inbound.roomTopic),
  }
}

async function respond(deps: ChatDeps, tx: DbOrTx, inbound: Inbound): Promise<string> {
  const inRoom = Boolean(inbound.roomId)
  const command = parseCommand(inbound.text, {
    botName: deps.config.botName,
    inRoom,
    mentionsSelf: inbound.mentionsSelf,
  })
  if (command.kind === 'ignore') return 'ignored'
  const [group] = inbound.roomId
    ? await tx.select().from(chatGroups).where(eq(chatGroups.roomId, inbound.roomId))
    : []
  const staff = await findStaffByWechat(tx, inbound.senderId)
  // Unbound groups get silence: only staff binding them is answered.
  if (inRoom && !group && !(command.kind === 'bindGroup' && staff)) return 'unbound-room'
  const now = deps.clock.now()
  const reply = async (message: string) => {
    const mentions: OutboxMention[] = inRoom ? [{ id: inbound.senderId, name: inbound.senderName }] : []
    await enqueueMessages(
      tx,
      [
        {
          conversationId: inbound.roomId ?? inbound.senderId,
          isRoom: inRoom,
          text: message,
          mentions,
          dedupeKey: `reply:${inbound.id}`,
          priority: 'reply',
        },
      ],
      now,
      { maxChars: deps.config.send.maxChars },
    )
  }
  try {
    // A failed command rolls back to this savepoint: the inbound row and the explanation still commit.
    const { outcome, message } = await tx.transaction((sp) =>
      runCommand(deps, sp, inbound, command, { group, staff }),
    )
    if (message) await reply(message)
    return outcome
  } catch (error) {
    if (!isAppError(error)) {
      deps.log.error('chat command failed', { err: error, messageId: inbound.id })
      await reply(text.genericFailure)
      return `error:${error instanceof Error ? error.message : String(error)}`.slice(0, 200)
    }
    await reply(error.message)
    return `refused:${error.code}`
  }
}

interface Who {
  group: Group | undefined
  staff: StaffRow | undefined
}

async function runCommand(
  deps: ChatDeps,
  tx: DbOrTx,
  inbound: Inbound,
  command: Command,
  who: Who,
): Promise<{ outcome: string; message?: string }> {
  const ctx = { ...deps, db: tx }
  const now = deps.clock.now()
  const inRoom = Boolean(inbound.roomId)
  const botName = deps.config.botName
  const staffActor = (): Actor & { kind: 'staff' } => {
    if (!who.staff) throw forbidden('chat.not_staff', text.notStaff)
    return { kind: 'staff', staff: who.staff, via: 'wechat' }
  }
  const resident = () => upsertResident(tx, inbound.senderId, inbound.senderName, now)
  switch (command.kind) {
    case 'help':
      return { outcome: 'help', message: text.helpText(botName, { staff: Boolean(who.staff), inRoom }) }
    case 'unknown':
      return { outcome: 'unknown', message: text.unknownHint(botName, inRoom) }
    case 'missingArgument':
      return { outcome: 'missing-argument', message: text.missingArgument(command.command, command.usage) }
    case 'file': {
      if (who.group?.kind === 'officers')
        return { outcome: 'refused:officers-group', message: text.notInOfficersUse }
      const author = await resident()
      const xiaoquId = who.group?.xiaoquId ?? (await repo.lastXiaoquOf(tx, author.id))
      if (!xiaoquId) return { outcome: 'refused:no-xiaoqu', message: text.needGroupToFile(botName) }
      const filed = await requestsUseCases.fileRequest(ctx, {
        text: command.text,
        xiaoquId,
        channel: 'wechat',
        resident: author,
        groupId: who.group?.id,
        inboundMessageId: inbound.id,
      })
      return {
        outcome: `request:${filed.request.number}`,
        message: filedReply(filed.request, filed.truncated),
      }
    }
    case 'progress': {
      const request = await repo.findRequestByNumber(tx, command.number)
      if (!request) throw requestNotFound(command.number)
      const context = await repo.loadRequestContext(tx, request)
      if (!(await mayFollow(tx, request, context, inbound.senderId, who))) {
        return {
          outcome: 'refused:progress-not-yours',
          message: `只能查询您自己提交或同求的诉求，或本小区群里的诉求。如果您也遇到同样的问题，可在小区群里发"同求 ${request.number}"。`,
        }
      }
      const events = await repo.listRequestEvents(tx, request.id)
      return {
        outcome: `progress:${request.number}`,
        message: progressReply(request, events, context.assignee?.name ?? null),
      }
    }
    case 'mine': {
      const author = await resident()
      const rows = await repo.openRequestsOf(tx, author.id, 10)
      if (rows.length === 0)
        return { outcome: 'mine:0', message: `您目前没有未完结的诉求。提交诉求请发"@${botName} 问题描述"。` }
      return {
        outcome: `mine:${rows.length}`,
        message: ['您未完结的诉求：', ...text.requestLines(rows, now)].join('\n'),
      }
    }
    case 'support': {
      const { request, added } = await requestsUseCases.supportRequest(ctx, await resident(), command.number)
      return {
        outcome: `support:${request.number}`,
        message: added
          ? `已为诉求 ${request.number} 加上您的同求，目前共 ${request.supportCount} 人同求。办理进展会在群里告知。`
          : `您已同求过 ${request.number}，不会重复计数。`,
      }
    }
    case 'rate': {
      const updated = await requestsUseCases.rateRequest(
        ctx,
        await resident(),
        command.number,
        command.rating,
        command.reason,
      )
      return command.rating === 'satisfied'
        ? {
            outcome: `rated:${updated.number}:satisfied`,
            message: `感谢评价！诉求 ${updated.number} 已完结。`,
          }
        : {
            outcome: `rated:${updated.number}:unsatisfied`,
            message: `已记录您的意见，诉求 ${updated.number} 已重新交办，会尽快处理。`,
          }
    }
    case 'bind': {
      if (inRoom)
        return { outcome: 'refused:bind-in-room', message: '为保护账号安全，请私聊我发送"绑定 绑定码"。' }
      const bound = await bindStaffWechat(tx, command.code, inbound.senderId, now)
      return {
        outcome: `bound:staff:${bound.id}`,
        message: `绑定成功：${bound.name}（${roleNames[bound.role]}）。发"待办"查看您的工作，发"帮助"查看用法。`,
      }
    }
    case 'bindGroup': {
      if (!inRoom)
        return { outcome: 'refused:bind-group-private', message: '请在要绑定的群里发送"绑定小区 绑定码"。' }
      const { group, xiaoquName } = await bindGroup(
        tx,
        staffActor(),
        { code: command.code, roomId: inbound.roomId!, topic: inbound.roomTopic ?? '' },
        now,
      )
      const what =
        group.kind === 'officers'
          ? '工作群'
          : `${xiaoquName ?? ''}${group.kind === 'building' ? '楼栋群' : '居民群'}`
      const how =
        group.kind === 'officers' ? '新诉求会推送到这里。' : `居民可发"@${botName} 问题描述"提交诉求。`
      return { outcome: `bound:group:${group.id}`, message: `本群已绑定为${what}。${how}` }
    }
    case 'todo': {
      const actor = staffActor()
      const rows = await repo.todoForStaff(tx, actor.staff, 15)
      const taskRows = await openTasksOf(tx, actor.staff, 15)
      if (rows.length + taskRows.length === 0)
        return { outcome: 'todo:0', message: '您目前没有待办诉求或任务。' }
      const parts = [`您的待办（时限早的在前）：`]
      if (rows.length > 0) parts.push(`诉求 ${rows.length} 条：`, ...text.requestLines(rows, now))
      if (taskRows.length > 0) parts.push(`任务 ${taskRows.length} 项：`, ...text.taskLines(taskRows, now))
      return { outcome: `todo:${rows.length + taskRows.length}`, message: parts.join('\n') }
    }
    case 'complete': {
      const task = await completeTask(ctx, staffActor(), command.number, command.note || undefined)
      return { outcome: `completed:${task.number}`, message: `已完成任务 ${task.number}「${task.title}」。` }
    }
    case 'digest': {
      const actor = staffActor()
      await setDigestPreference(ctx, actor, command.on)
      return {
        outcome: `digest:${command.on ? 'on' : 'off'}`,
        message: command.on
          ? '已改为每日汇总：超时提醒将在每个工作日 9:00 汇总发给您一次（紧急事项仍即时提醒）。发"每日汇总 关"恢复逐条提醒。'
          : '已恢复逐条提醒：事项超时即提醒您。',
      }
    }
    case 'accept': {
      const updated = await requestsUseCases.acceptRequest(
        ctx,
        staffActor(),
        command.number,
        command.note || undefined,
      )
      return {
        outcome: `accepted:${updated.number}`,
        message: `已受理 ${updated.number}，已告知居民。办结请发"办结 ${updated.number} 办理结果"。`,
      }
    }
    case 'assign': {
      const actor = staffActor()
      const candidates = await findActiveStaffByName(tx, command.target)
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
    }
    case 'resolve': {
      const updated = await requestsUseCases.resolveRequest(ctx, staffActor(), command.number, command.note)
      return { outcome: `resolved:${updated.number}`, message: `已办结 ${updated.number}，已请居民评价。` }
    }
    case 'announce': {
      if (inRoom)
        return { outcome: 'refused:announce-in-room', message: '请私聊我发送"公告 内容"，确认后再发到各群。' }
      const { notice, groups } = await draftBroadcast(ctx, staffActor(), command.text)
      return {
        outcome: `draft:${notice.number}`,
        message: `公告草稿 ${notice.number} 将发到${notice.scopeName}的 ${groups} 个居民群：\n${excerpt(notice.body, 60)}\n回复"确认"发送，${draftMinutes} 分钟内有效。`,
      }
    }
    case 'confirm': {
      if (inRoom) return { outcome: 'ignored' }
      const notice = await confirmDraft(ctx, staffActor())
      return {
        outcome: `published:${notice.number}`,
        message: `公告 ${notice.number} 已开始发送到 ${notice.groupCount} 个群。为防封号会逐个群间隔发出，进度可在管理后台查看。`,
      }
    }
    case 'feedback': {
      const { publicity, received } = await giveFeedback(ctx, await resident(), {
        number: command.number,
        text: command.text,
        roomId: inbound.roomId,
      })
      return {
        outcome: `feedback:${publicity.number}`,
        message: `已收到您对公示 ${publicity.number}（${publicity.title}）的意见，目前共 ${received} 条，感谢参与。`,
      }
    }
    case 'claim': {
      if (inRoom)
        return { outcome: 'refused:claim-in-room', message: '为保护隐私，请私聊我发送"认证 楼号单元房号"。' }
      const claim = await claimHousehold(ctx, await resident(), command.text)
      return {
        outcome: `claim:${claim.household.id}`,
        message: claim.verified
          ? `${claim.label} 已经认证过，可以参加征询表决。`
          : `已提交认证：${claim.label}。社区工作人员核实后会通知您，之后即可参加征询表决。`,
      }
    }
    case 'vote': {
      if (inRoom) {
        return {
          outcome: 'refused:vote-in-room',
          message: `为保护投票隐私，请私聊我发送"${command.choice} ${command.number}"，群里的消息不计票。`,
        }
      }
      const { campaign, households } = await castVote(ctx, await resident(), command.number, command.choice)
      return {
        outcome: `vote:${campaign.number}`,
        message: `已记录您对征询 ${campaign.number} 的意见：${command.choice}（${households.join('、')}）。截止 ${formatShanghai(campaign.closesAt)} 前可以改，以最后一次为准。`,
      }
    }
    case 'campaign': {
      const status = await publicStatus(ctx, await resident(), command.number)
      const c = status.campaign
      const state =
        c.status === 'closed' && c.result
          ? `已截止，结果：${c.result.passed ? '通过' : '未通过'}（参与 ${c.result.participatingHeads}/${c.result.totalHeads} 人，同意 ${c.result.agreeingHeads} 人）。`
          : c.status === 'open'
            ? `投票中，截止 ${formatShanghai(c.closesAt)}；已有 ${status.participatingHeads} 位业主参与。`
            : c.status === 'cancelled'
              ? '已取消。'
              : `将于 ${formatShanghai(c.opensAt)} 开始。`
      const mine = inRoom ? '' : status.myChoice ? `\n您的选择：${status.myChoice}。` : ''
      return {
        outcome: `campaign:${c.number}`,
        message: `征询 ${c.number}（${c.scopeName}）：${c.question}\n${state}${mine}`,
      }
    }
    case 'ignore':
      return { outcome: 'ignored' }
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
