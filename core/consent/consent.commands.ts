import { residentOf } from '../chat/chat.actors'
import type { CommandHandlers } from '../chat/chat.types'
import { formatShanghai } from '../shared/time'
import { campaignsOpenTo, castVote, publicStatus } from './campaigns'
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
        message: `为保护投票隐私，请私聊我发送"${command.choice} ${command.number ?? 'Z7'}"${command.number ? '' : '（Z7 换成征询编号）'}，群里的消息不计票。`,
      }
    }
    const resident = await residentOf(ctx, inbound)
    // A ballot always names its campaign: without a number, the answer says which ones and how.
    if (!command.number) {
      const open = await campaignsOpenTo(ctx.db, resident.id, ctx.clock.now())
      if (open.length === 0)
        return {
          outcome: 'vote:no-number:none',
          message:
            '您目前没有可以投票的征询。征询开始时会通知您；还没认证房屋的，请先发"认证 3号楼2单元301"，经社区核实后即可投票。',
        }
      return {
        outcome: `vote:no-number:${open.length}`,
        message: [
          `请带上征询编号，例如"${command.choice} ${open[0]!.number}"。您可以参加的征询：`,
          ...open.map(
            (c) => `${c.number}（${c.scopeName}）${c.question}，截止 ${formatShanghai(c.closesAt)}`,
          ),
        ].join('\n'),
      }
    }
    const { campaign, households } = await castVote(ctx, resident, command.number, command.choice)
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
