import { isOpenRequest, type RequestRow } from '../../core/requests/requests.repository'
import { roleNames, type StaffRow } from '../../core/shared/actor'
import { formatShanghaiFull } from '../../core/shared/time'
import type { ProjectDocumentKind } from '../../db/schema'

export { statusNames as requestStatusNames } from '../../core/requests/requests.messages'
export { taskStatusNames } from '../../core/tasks/tasks.usecases'

export const time = (at: Date | null | undefined) => (at ? formatShanghaiFull(at) : '—')

export const staffLabel = (staff: StaffRow) => `${staff.name}（${roleNames[staff.role]}）`

export const channelNames: Record<RequestRow['channel'], string> = {
  wechat: '微信群',
  phone: '电话',
  visit: '来访',
  api: '接口',
}

export { requestEventNames } from '../../core/requests/requests.messages'

export const projectEventNames: Record<string, string> = {
  created: '立项',
  stage: '阶段变更',
  document: '登记材料',
  updated: '修改信息',
}

export const documentKindNames: Record<ProjectDocumentKind, string> = {
  design_review: '设计方案审查意见',
  property_agreement: '物业服务协议',
  acceptance: '竣工验收报告',
  handover: '移交记录',
}

export const ratingNames = { satisfied: '满意', unsatisfied: '不满意' } as const

/** Which clock of an open request has run out, if any. */
export function requestOverdue(request: RequestRow, now: Date): '响应超时' | '办结超时' | null {
  const open = isOpenRequest(request)
  if (open && request.resolutionDueAt < now) return '办结超时'
  if (request.status === 'submitted' && request.responseDueAt < now) return '响应超时'
  return null
}

/** The deadline that matters now: the response one until accepted, then the resolution one. */
export const currentDue = (request: RequestRow) =>
  request.status === 'submitted' ? request.responseDueAt : request.resolutionDueAt

/** A 0..1 rate (four decimals) as a percentage with one decimal, rounded half up; null as '—'. */
export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—'
  const tenths = Math.round(Math.round(rate * 10_000) / 10)
  return `${Math.trunc(tenths / 10)}.${Math.abs(tenths % 10)}%`
}

/** '1280000000.00' → fen as a bigint, by string, never through a float. */
function fenOf(yuan: string): bigint {
  const trimmed = yuan.trim()
  const negative = trimmed.startsWith('-')
  const [whole = '0', frac = ''] = trimmed.replace(/^[-+]/, '').split('.')
  const fen = BigInt(whole || '0') * 100n + BigInt(frac.padEnd(2, '0').slice(0, 2) || '0')
  return negative ? -fen : fen
}

const group3 = (digits: string) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')

/** '1234567.8' → '1,234,567.80 元'. */
export function yuan(value: string | null | undefined): string {
  if (value === null || value === undefined) return '—'
  const fen = fenOf(value)
  const abs = fen < 0n ? -fen : fen
  return `${fen < 0n ? '-' : ''}${group3((abs / 100n).toString())}.${(abs % 100n).toString().padStart(2, '0')} 元`
}

/** '1280000000' → '12.80 亿元' (rounded half up to 0.01 亿). */
export function yi(value: string | null | undefined): string {
  if (value === null || value === undefined) return '—'
  const fen = fenOf(value)
  const abs = fen < 0n ? -fen : fen
  const hundredths = (abs + 50_000_000n) / 100_000_000n
  return `${fen < 0n ? '-' : ''}${(hundredths / 100n).toString()}.${(hundredths % 100n).toString().padStart(2, '0')} 亿元`
}
