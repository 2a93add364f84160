import type { requestEventKinds } from '../../db/schema'
import { formatShanghai } from '../shared/time'
import { isOpenRequest, type RequestRow } from './requests.repository'

export const statusNames: Record<RequestRow['status'], string> = {
  submitted: '待受理',
  accepted: '办理中',
  resolved: '已办结，待评价',
  closed: '已完结',
}

/** The first `length` characters, counted whole (an emoji is never cut in half). */
export const excerpt = (text: string, length = 24) => {
  const chars = Array.from(text)
  return chars.length > length ? `${chars.slice(0, length).join('')}…` : text
}

export const numberHint = '诉求编号形如 Q1024（字母 Q 加数字），可在提交时机器人的回复里找到。'

/** 同求 on a number that is not of the asker's xiaoqu, or that does not exist: the same words for both. */
export const notInYourXiaoqu = (number: string) =>
  `没有找到本小区的诉求 ${number}。同求只能针对本小区的诉求，请在本小区的群里核对编号后再发"同求 编号"。${numberHint}`

/** 进度 on a number the asker may not follow, or that does not exist: the same words for both. */
export const cannotFollow = (number: string) =>
  `没有找到诉求 ${number}，或您不能查询它：只能查询您自己提交或同求的诉求，或本小区的诉求。${numberHint}`

export function filedReply(request: RequestRow, truncated: boolean) {
  const lines = [
    `已收到您的诉求，编号 ${request.number}。`,
    `分类：${request.category}（${request.menuItem}）${request.urgency === 'urgent' ? '，已标为【紧急】' : ''}`,
    `将于 ${formatShanghai(request.responseDueAt)} 前响应，${formatShanghai(request.resolutionDueAt)} 前办结。`,
    `回复"进度 ${request.number}"可随时查询。`,
  ]
  if (truncated) lines.push('（您的留言较长，诉求中只保留了前 2000 字，原文已完整保存。）')
  return lines.join('\n')
}

export function newRequestForOfficers(request: RequestRow, xiaoquName: string, authorName: string) {
  return [
    `${request.urgency === 'urgent' ? '【紧急】' : ''}新诉求 ${request.number}【${request.category}】${xiaoquName}`,
    `${authorName}：${excerpt(request.text, 60)}`,
    `响应时限 ${formatShanghai(request.responseDueAt)}，办结时限 ${formatShanghai(request.resolutionDueAt)}。`,
    `回复"受理 ${request.number}"受理。`,
  ].join('\n')
}

/** How each event of a request is named to people. */
export const requestEventNames: Record<(typeof requestEventKinds)[number], string> = {
  filed: '提交',
  accepted: '受理',
  assigned: '转派',
  resolved: '办结',
  rated: '评价',
  reopened: '重新办理',
  supported: '同求',
  reclassified: '重新分类',
  extended: '延期',
  replied: '回复居民',
  urged: '居民催办',
  withdrawal_asked: '居民申请撤回',
}

export function progressReply(
  request: RequestRow,
  events: readonly { kind: string; at: Date; actorName: string | null; note: string | null }[],
  assigneeName: string | null,
) {
  const lines = [
    `诉求 ${request.number}【${request.category}】${statusNames[request.status]}`,
    `内容：${excerpt(request.text, 40)}`,
  ]
  if (assigneeName) lines.push(`承办人：${assigneeName}`)
  if (request.status === 'submitted') lines.push(`响应时限：${formatShanghai(request.responseDueAt)}`)
  if (isOpenRequest(request)) {
    lines.push(`办结时限：${formatShanghai(request.resolutionDueAt)}`)
  }
  if (request.supportCount > 0) lines.push(`同求：${request.supportCount} 人`)
  const shown = events.filter((e) => e.kind !== 'supported').slice(-5)
  for (const e of shown) {
    lines.push(
      `· ${formatShanghai(e.at)} ${requestEventNames[e.kind as (typeof requestEventKinds)[number]] ?? e.kind}${e.note ? `：${excerpt(e.note, 30)}` : ''}`,
    )
  }
  return lines.join('\n')
}

/**
 * 进度 for a supporter or a neighbour: where the request stands, not what it says or who filed it (that is
 * for the filer and the staff).
 */
export function statusReply(request: RequestRow) {
  const lines = [`诉求 ${request.number}【${request.category}】${statusNames[request.status]}`]
  if (request.status === 'submitted') lines.push(`响应时限：${formatShanghai(request.responseDueAt)}`)
  if (isOpenRequest(request)) {
    lines.push(`办结时限：${formatShanghai(request.resolutionDueAt)}`)
  }
  if (request.supportCount > 0) lines.push(`同求：${request.supportCount} 人`)
  return lines.join('\n')
}

export const acceptedNotice = (request: RequestRow, officerName: string) =>
  `您的诉求 ${request.number}（${excerpt(request.text, 16)}）已受理，承办人：${officerName}。将于 ${formatShanghai(request.resolutionDueAt)} 前办结。`

export const assignedNotice = (request: RequestRow, assigneeName: string) =>
  `您的诉求 ${request.number}（${excerpt(request.text, 16)}）已转交 ${assigneeName} 办理。`

export const assignedToYou = (request: RequestRow, xiaoquName: string) =>
  `您有一条转派的诉求 ${request.number}【${request.category}】${xiaoquName}：${excerpt(request.text, 60)}\n办结时限 ${formatShanghai(request.resolutionDueAt)}。回复"受理 ${request.number}"受理，"办结 ${request.number} 说明"办结。`

export const resolvedNotice = (request: RequestRow, note: string) =>
  `您的诉求 ${request.number}（${excerpt(request.text, 16)}）已办结：${note}\n请回复"满意 ${request.number}"或"不满意 ${request.number} 原因"评价。`

export const reopenedNotice = (request: RequestRow, reason: string) =>
  `诉求 ${request.number}【${request.category}】居民不满意：${reason}。已重新打开，请继续办理，办结时限 ${formatShanghai(request.resolutionDueAt)}。`

/** To the holder (or the officers' groups) when a resident chases a request: once a day per request. */
export const urgedNotice = (request: RequestRow, xiaoquName: string, who: string, said: string) =>
  [
    `居民催办：诉求 ${request.number}【${request.category}】${xiaoquName}（${statusNames[request.status]}）`,
    `${who}：${excerpt(said.trim() || '请尽快处理', 40)}`,
    request.status === 'submitted'
      ? `响应时限 ${formatShanghai(request.responseDueAt)}。回复"受理 ${request.number}"受理。`
      : `办结时限 ${formatShanghai(request.resolutionDueAt)}。回复"办结 ${request.number} 办理结果"办结。`,
  ].join('\n')

/** To the holder (or the officers' groups) when the author no longer needs a request: once per request. */
export const withdrawalNotice = (request: RequestRow, xiaoquName: string, who: string, said: string) =>
  [
    `居民申请撤回：诉求 ${request.number}【${request.category}】${xiaoquName}（${statusNames[request.status]}）`,
    `${who}：${excerpt(said.trim() || '不需要办理了', 40)}`,
    `核实后请回复"办结 ${request.number} 居民撤回"办结；仍需办理的，请照常办理。`,
  ].join('\n')

/** The answer to 撤回: the request stays open until its holder checks with the resident and resolves it. */
export const withdrawalReply = (number: string, outcome: 'asked' | 'again') =>
  outcome === 'asked'
    ? `已转告承办人：您不再需要办理诉求 ${number}。承办人核实后办结，办结时会通知您。`
    : `您已申请撤回诉求 ${number}，承办人核实后办结，办结时会通知您。`

/** The first line of the answer to 催办, before where the request stands. */
export const urgedReply = (number: string, outcome: 'urged' | 'again' | 'joined') =>
  outcome === 'urged'
    ? `已为您催办诉求 ${number}，已提醒承办人尽快处理。`
    : outcome === 'again'
      ? `您今天已催办过诉求 ${number}，承办人已收到提醒，会尽快处理。`
      : `已记录您的催办。今天已有居民催办过诉求 ${number}，承办人已收到提醒，会尽快处理。`

/** 催办 on a request already resolved or closed: what to do instead. */
export const finishedReply = (request: RequestRow, isAuthor: boolean) =>
  request.status === 'closed'
    ? `诉求 ${request.number} 已办结并完成评价。如有新的问题，请重新提交。`
    : isAuthor
      ? `诉求 ${request.number} 已办结。问题如果还在，请回复"不满意 ${request.number} 原因"，会重新办理；已解决请回复"满意 ${request.number}"。`
      : `诉求 ${request.number} 已办结。`
