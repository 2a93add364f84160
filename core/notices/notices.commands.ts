import { residentOf, staffActorOf } from '../chat/chat.actors'
import type { CommandHandlers } from '../chat/chat.types'
import { excerpt } from '../requests/requests.messages'
import { confirmDraft, draftBroadcast, draftMinutes } from './broadcast.usecases'
import { giveFeedback } from './publicity.usecases'

/** 公告 and 确认 (a broadcast drafted in private chat), 意见 (feedback on a design publicity). */
export const noticeCommands: Pick<CommandHandlers, 'announce' | 'confirm' | 'feedback'> = {
  async announce(ctx, inbound, command, who) {
    if (inbound.roomId)
      return { outcome: 'refused:announce-in-room', message: '请私聊我发送"公告 内容"，确认后再发到各群。' }
    const { notice, groups } = await draftBroadcast(ctx, staffActorOf(who), command.text)
    return {
      outcome: `draft:${notice.number}`,
      message: `公告草稿 ${notice.number} 将发到${notice.scopeName}的 ${groups} 个居民群：\n${excerpt(notice.body, 60)}\n回复"确认"发送，${draftMinutes} 分钟内有效。`,
    }
  },

  async confirm(ctx, inbound, _command, who) {
    if (inbound.roomId) return { outcome: 'ignored' }
    const notice = await confirmDraft(ctx, staffActorOf(who))
    return {
      outcome: `published:${notice.number}`,
      message: `公告 ${notice.number} 已开始发送到 ${notice.groupCount} 个群。为防封号会逐个群间隔发出，进度可在管理后台查看。`,
    }
  },

  async feedback(ctx, inbound, command) {
    const { publicity, received } = await giveFeedback(ctx, await residentOf(ctx, inbound), {
      number: command.number,
      text: command.text,
      roomId: inbound.roomId,
    })
    return {
      outcome: `feedback:${publicity.number}`,
      message: `已收到您对公示 ${publicity.number}（${publicity.title}）的意见，目前共 ${received} 条，感谢参与。`,
    }
  },
}
