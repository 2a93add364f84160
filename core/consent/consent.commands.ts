import { residentOf } from '../chat/chat.actors'
import type { CommandHandlers } from '../chat/chat.types'
import { formatShanghai } from '../shared/time'
import { castVote, publicStatus } from './campaigns'
import { claimHousehold } from './households'

/** 认证, 同意/反对/弃权 and 征询: private where privacy asks for it. */
export const consentCommands: Pick<CommandHandlers, 'claim' | 'vote' | 'campaign'> = {
  async claim(ctx, inbound, command) {
    if (inbound.roomId)
      return { outcome: 'refused:claim-in-room', message: '为保护隐私，请私聊我发送"认证 楼号单元房号"。' }
    const claim = await claimHousehold(ctx, await residentOf(ctx, inbound), command.text)
    return {
      outcome: `claim:${claim.household.id}`,
      message: claim.verified
        ? `${claim.label} 已经认证过，可以参加征询表决。`
        : `已提交认证：${claim.label}。社区工作人员核实后会通知您，之后即可参加征询表决。`,
    }
  },

  async vote(ctx, inbound, command) {
    if (inbound.roomId) {
      return {
        outcome: 'refused:vote-in-room',
        message: `为保护投票隐私，请私聊我发送"${command.choice} ${command.number}"，群里的消息不计票。`,
      }
    }
    const { campaign, households } = await castVote(
      ctx,
      await residentOf(ctx, inbound),
      command.number,
      command.choice,
    )
    return {
      outcome: `vote:${campaign.number}`,
      message: `已记录您对征询 ${campaign.number} 的意见：${command.choice}（${households.join('、')}）。截止 ${formatShanghai(campaign.closesAt)} 前可以改，以最后一次为准。`,
    }
  },

  async campaign(ctx, inbound, command) {
    const status = await publicStatus(ctx, await residentOf(ctx, inbound), command.number)
    const c = status.campaign
    const state =
      c.status === 'closed' && c.result
        ? `已截止，结果：${c.result.passed ? '通过' : '未通过'}（参与 ${c.result.participatingHeads}/${c.result.totalHeads} 人，同意 ${c.result.agreeingHeads} 人）。`
        : c.status === 'open'
          ? `投票中，截止 ${formatShanghai(c.closesAt)}；已有 ${status.participatingHeads} 位业主参与。`
          : c.status === 'cancelled'
            ? '已取消。'
            : `将于 ${formatShanghai(c.opensAt)} 开始。`
    const mine = inbound.roomId ? '' : status.myChoice ? `\n您的选择：${status.myChoice}。` : ''
    return {
      outcome: `campaign:${c.number}`,
      message: `征询 ${c.number}（${c.scopeName}）：${c.question}\n${state}${mine}`,
    }
  },
}
