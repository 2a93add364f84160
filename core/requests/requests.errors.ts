import { AppError, forbidden, notFound } from '../shared/errors'
import { numberHint, statusNames } from './requests.messages'
import type { RequestRow } from './requests.repository'

export const requestNotFound = (number: string) =>
  notFound('requests.not_found', `没有找到诉求 ${number}。${numberHint}`, { number })

export const emptyDescription = () =>
  new AppError('requests.empty', 400, '请说明哪里、出了什么问题，例如："@改造助手 3号楼2单元楼道灯坏了"。')

export const wrongStatus = (request: RequestRow, action: string) =>
  new AppError(
    'requests.wrong_status',
    409,
    `诉求 ${request.number} 当前状态为"${statusNames[request.status]}"，不能${action}。`,
    { status: request.status },
  )

export const notAuthor = (number: string) =>
  forbidden(
    'requests.not_author',
    `只有诉求 ${number} 的提交人才能评价。如果您也遇到同样的问题，可回复"同求 ${number}"。`,
  )

export const notYourRequest = (number: string) =>
  forbidden('requests.not_assignee', `诉求 ${number} 不是交给您办理的，不能处理。`)
