import { excerpt, statusNames } from '../requests/requests.messages'
import { isOpenRequest, openChases, type RequestRow, withdrawalAsked } from '../requests/requests.repository'
import { formatShanghai } from '../shared/time'
import type { TaskRow } from '../tasks/tasks.usecases'

export function helpText(botName: string, who: { staff: boolean; inRoom: boolean }) {
  const lines = who.inRoom
    ? [
        `我是${botName}，可以这样和我说：`,
        `· @${botName} 问题描述（或"报事 问题描述"）：提交诉求，例如"@${botName} 3号楼2单元楼道灯坏了"`,
        '· 进度 Q1024：查看诉求进度',
        '· 催办 Q1024：催促办理（也可以引用我的回复，说"怎么还没人来修"）',
        '· 我的诉求：查看我提交的未完结诉求',
        '· 撤回 Q1024：不再需要办理（发错了、已经修好了），承办人核实后办结',
        '· 同求 Q1024：我也遇到同样的问题（刚有人提交的，说"@改造助手 我家也是"即可）',
        '· 满意 Q1024 / 不满意 Q1024 原因：评价已办结的诉求',
        '· 意见 G12 内容：对正在公示的设计方案提意见',
        '· 征询 Z7：查看征询表决的进展（投票请私聊我）',
      ]
    : [
        `我是${botName}，可以这样和我说：`,
        '· 报事 问题描述：提交诉求（也可在小区居民群里 @我）',
        '· 进度 Q1024 · 催办 Q1024 · 撤回 Q1024 · 我的诉求 · 同求 Q1024',
        '· 满意 Q1024 / 不满意 Q1024 原因',
        '· 认证 3号楼2单元301：认证您的房屋（社区核实后可参加表决）',
        '· 同意 Z7 / 反对 Z7 / 弃权 Z7：对征询投票，截止前可改 · 征询 Z7：查看进展',
      ]
  if (who.staff) {
    lines.push(
      '工作人员：',
      '· 待办：我的待办诉求和任务，超时的在前',
      '· 受理 Q1024 · 转派 Q1024 姓名 · 办结 Q1024 办理结果',
      '· 完成 T12 完成情况：完成一项任务',
      '· 每日汇总 开 / 关（私聊）：超时提醒改为每个工作日 9:00 汇总一次',
      '· 绑定小区 绑定码（在群里）：把本群绑定到小区',
      '· 公告 内容（私聊）：向管辖范围内的居民群发公告，回复"确认"后发送',
    )
  } else if (!who.inRoom) {
    lines.push('工作人员：发送"绑定 绑定码"绑定账号。')
  }
  return lines.join('\n')
}

export const unknownHint = (botName: string, inRoom: boolean) =>
  inRoom
    ? `没听懂这条指令。提交诉求请发"@${botName} 问题描述"，发"帮助"查看全部用法。`
    : '没听懂。提交诉求请发"报事 问题描述"，查进度发"进度 Q1024"，发"帮助"查看全部用法。'

/** The answer to thanks, a greeting or a plain "好的" (`null`: none, in a group, where it would be noise). */
export const smallTalkReply = (botName: string, mood: 'thanks' | 'greeting' | 'ack', inRoom: boolean) => {
  const how = inRoom ? `"@${botName} 问题描述"` : '"报事 问题描述"'
  if (mood === 'thanks') return inRoom ? `不客气！有问题随时@${botName}。` : '不客气！有问题随时告诉我。'
  if (mood === 'greeting')
    return `您好！提交诉求请发${how}，例如"3号楼2单元楼道灯坏了"；发"帮助"查看全部用法。`
  return inRoom ? null : `好的。提交诉求请发${how}，发"帮助"查看全部用法。`
}

export const missingArgument = (command: string, example: string) =>
  `"${command}"后面缺少内容，请这样发：${example}`

export const supportNeedsNumber = '请带上诉求编号，例如"同求 Q1024"；也可以引用那条诉求的回复，说"我家也是"。'

/** The answer to a filing with nothing in it: what to say, in the form this chat takes. */
export const describeWhat = (botName: string, inRoom: boolean) =>
  `请说明哪里、出了什么问题，例如："${inRoom ? `@${botName} ` : '报事 '}3号楼2单元楼道灯坏了"。`

export const needGroupToFile = (botName: string) =>
  `请在您小区的居民群里发"@${botName} 问题描述"提交诉求，这样我们才知道是哪个小区。`

export const notStaff =
  '这条指令只有绑定过的工作人员可以使用。工作人员请先私聊我发送"绑定 绑定码"（绑定码向管理员索取）。'

export const notInOfficersUse = `工作群里不受理居民诉求。请在小区居民群里提交，或通过管理后台代录。`

export const genericFailure = '抱歉，处理这条消息时出错了，消息已保存，请稍后再试或联系社区工作人员。'

export function requestLines(
  rows: readonly { request: RequestRow; xiaoquName?: string | null }[],
  now: Date,
) {
  return rows.map(({ request, xiaoquName }) => {
    const due = request.status === 'submitted' ? request.responseDueAt : request.resolutionDueAt
    const open = isOpenRequest(request)
    const overdue = open && due < now
    const place = xiaoquName ? `${xiaoquName} ` : ''
    const chased = openChases(request) > 0 ? ` 居民催办${request.urgeCount}次` : ''
    const withdrawn = withdrawalAsked(request) ? ' 居民申请撤回' : ''
    return `${request.number}【${request.category}】${statusNames[request.status]} ${place}${excerpt(request.text, 18)}${open ? ` 时限${formatShanghai(due)}` : ''}${overdue ? ' ⚠已超时' : ''}${chased}${withdrawn}`
  })
}

export function taskLines(rows: readonly { task: TaskRow; xiaoquName?: string | null }[], now: Date) {
  return rows.map(({ task, xiaoquName }) => {
    const late = task.dueAt < now ? '【已超时】' : ''
    return `${late}${task.number}「${task.title}」${xiaoquName ?? ''} 时限 ${formatShanghai(task.dueAt)}`
  })
}

/** One line of a list to pick from: number, category and the start of the text. */
export const candidateLine = (request: { number: string; category: string; text: string }) =>
  `${request.number}【${request.category}】${excerpt(request.text, 18)}`

const example = (botName: string, inRoom: boolean) =>
  inRoom ? `"@${botName} 3号楼2单元楼道灯坏了"` : '"报事 3号楼2单元楼道灯坏了"'

export const imageHint = (botName: string, inRoom: boolean) =>
  `收到图片。请补充文字说明问题和位置，例如${example(botName, inRoom)}；提交诉求后 10 分钟内发的照片会自动补充到诉求里。`

export const voiceHint = (botName: string, inRoom: boolean) =>
  `暂时听不了语音，请用文字描述问题和位置，例如${example(botName, inRoom)}。`

export const onlyText = '暂时只能看懂文字消息。提交诉求请发"报事 问题描述"，发"帮助"查看全部用法。'

export const photoUnreadable = (maxBytes: number) =>
  `这张图片没能保存，请重新发送 JPG 或 PNG 照片（不超过 ${Math.floor(maxBytes / 1024 / 1024)} MB）。`
