import { staffActorOf } from '../chat/chat.actors'
import * as text from '../chat/chat.messages'
import type { CommandHandlers } from '../chat/chat.types'
import * as repo from '../requests/requests.repository'
import { roleNames } from '../shared/actor'
import { completeTask, openTasksOf } from '../tasks/tasks.usecases'
import { attemptBind } from './bind-attempts'
import { bindGroup, bindStaffWechat, setDigestPreference } from './staff.usecases'

/** 绑定, 绑定小区, 待办, 完成, 每日汇总: what staff say to the bot about their own work. */
export const staffCommands: Pick<CommandHandlers, 'bind' | 'bindGroup' | 'todo' | 'complete' | 'digest'> = {
  async bind(ctx, inbound, command) {
    if (inbound.roomId)
      return { outcome: 'refused:bind-in-room', message: '为保护账号安全，请私聊我发送"绑定 绑定码"。' }
    const now = ctx.clock.now()
    const attempt = await attemptBind(ctx.db, inbound.senderId, now, (tx) =>
      bindStaffWechat(tx, command.code, inbound.senderId, now, inbound.senderName),
    )
    if (!attempt.ok) return { outcome: `refused:${attempt.code}`, message: attempt.message }
    const bound = attempt.value
    return {
      outcome: `bound:staff:${bound.id}`,
      message: `绑定成功：${bound.name}（${roleNames[bound.role]}）。发"待办"查看您的工作，发"帮助"查看用法。`,
    }
  },

  async bindGroup(ctx, inbound, command, who) {
    if (!inbound.roomId)
      return { outcome: 'refused:bind-group-private', message: '请在要绑定的群里发送"绑定小区 绑定码"。' }
    const now = ctx.clock.now()
    const roomId = inbound.roomId
    const attempt = await attemptBind(ctx.db, inbound.senderId, now, (tx) =>
      bindGroup(tx, staffActorOf(who), { code: command.code, roomId, topic: inbound.roomTopic ?? '' }, now),
    )
    if (!attempt.ok) return { outcome: `refused:${attempt.code}`, message: attempt.message }
    const { group, xiaoquName } = attempt.value
    const what =
      group.kind === 'officers'
        ? '工作群'
        : `${xiaoquName ?? ''}${group.kind === 'building' ? '楼栋群' : '居民群'}`
    const how =
      group.kind === 'officers'
        ? '新诉求会推送到这里。'
        : `居民可发"@${ctx.config.botName} 问题描述"提交诉求。`
    return { outcome: `bound:group:${group.id}`, message: `本群已绑定为${what}。${how}` }
  },

  async todo(ctx, _inbound, _command, who) {
    const actor = staffActorOf(who)
    const now = ctx.clock.now()
    const rows = await repo.todoForStaff(ctx.db, actor.staff, 15)
    const taskRows = await openTasksOf(ctx.db, actor.staff, 15)
    if (rows.length + taskRows.length === 0)
      return { outcome: 'todo:0', message: '您目前没有待办诉求或任务。' }
    const parts = ['您的待办（时限早的在前）：']
    if (rows.length > 0) parts.push(`诉求 ${rows.length} 条：`, ...text.requestLines(rows, now))
    if (taskRows.length > 0) parts.push(`任务 ${taskRows.length} 项：`, ...text.taskLines(taskRows, now))
    return { outcome: `todo:${rows.length + taskRows.length}`, message: parts.join('\n') }
  },

  async complete(ctx, _inbound, command, who) {
    const task = await completeTask(ctx, staffActorOf(who), command.number, command.note || undefined)
    return { outcome: `completed:${task.number}`, message: `已完成任务 ${task.number}「${task.title}」。` }
  },

  async digest(ctx, _inbound, command, who) {
    await setDigestPreference(ctx, staffActorOf(who), command.on)
    return {
      outcome: `digest:${command.on ? 'on' : 'off'}`,
      message: command.on
        ? '已改为每日汇总：超时提醒将在每个工作日 9:00 汇总发给您一次（紧急事项仍即时提醒）。发"每日汇总 关"恢复逐条提醒。'
        : '已恢复逐条提醒：事项超时即提醒您。',
    }
  },
}
