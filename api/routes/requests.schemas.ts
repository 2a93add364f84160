import { z } from '@hono/zod-openapi'
import { categoryCodes } from '../../core/classify/categories'
import { requestFlags } from '../../core/requests/requests.list'
import { isOpenRequest, type RequestRow } from '../../core/requests/requests.repository'
import { phoneFor } from '../../core/requests/requests.usecases'
import type { StaffRow } from '../../core/shared/actor'
import { requestChannels, requestStatuses } from '../../db/schema'
import { Id, IdFromString, maxId } from './common.schemas'

export const NumberParam = z.object({
  number: z
    .string()
    .regex(/^[Qq]?\d{1,9}$/, '诉求编号形如 Q1024')
    .transform((n) => `Q${n.replace(/^[Qq]/, '')}`)
    .openapi({ param: { name: 'number', in: 'path' }, example: 'Q1024' }),
})

/** The filters of a request list, shared by GET /api/v1/requests and the console's 收件箱. */
export const FilterQuery = z.object({
  status: z
    .enum(requestStatuses, { error: `状态应为 ${requestStatuses.join('、')} 之一` })
    .optional()
    .openapi({ description: 'submitted 待受理 · accepted 办理中 · resolved 已办结 · closed 已完结' }),
  category: z
    .enum(categoryCodes, { error: `分类应为 ${categoryCodes.join('、')} 之一` })
    .optional()
    .openapi({ description: 'An everyday category (照明, 上下水, …)' }),
  xiaoquId: IdFromString.optional().openapi({
    description: 'One xiaoqu; one outside the caller’s scope matches nothing',
  }),
  overdue: z
    .enum(['true', 'false'], { error: 'overdue 应为 true 或 false' })
    .transform((v) => v === 'true')
    .optional()
    .openapi({ description: 'true: a deadline has passed while open; false: none has' }),
  assignee: z
    .union([z.literal('none'), IdFromString], { error: '承办人应为工作人员编号，或 none（未分配）' })
    .optional()
    .openapi({
      description: 'The holder’s staff id, or `none` for requests nobody holds (未分配)',
      example: 'none',
    }),
  flag: z
    .enum(requestFlags, { error: 'flag 应为 withdrawal（居民申请撤回）或 urged（居民催办过）' })
    .optional()
    .openapi({
      description:
        'Open requests whose author asked to withdraw them (withdrawal), or that residents chased (urged)',
    }),
  q: z.string().trim().min(1, '请输入要搜索的关键词').max(50, '关键词不超过 50 字').optional().openapi({
    description:
      'A keyword of the request text (contains, case-insensitive; % and _ are literal), or a request number such as Q1024',
    example: '楼道灯',
  }),
})

export const ListQuery = FilterQuery.extend({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .regex(/^\d+$/, 'cursor 应为上一页返回的 nextCursor')
    .refine((v) => Number(v) <= maxId, 'cursor 应为上一页返回的 nextCursor')
    .optional(),
})

export const RequestSchema = z
  .object({
    number: z.string(),
    status: z.enum(requestStatuses),
    category: z.string(),
    menuItem: z.string().openapi({ description: '六治七补三规范 item' }),
    urgency: z.enum(['urgent', 'normal']),
    text: z.string(),
    location: z.string().nullable(),
    channel: z.enum(requestChannels),
    xiaoquId: z.number().nullable(),
    xiaoquName: z.string().nullable(),
    authorName: z.string().nullable(),
    contactPhone: z.string().nullable().openapi({
      description:
        'In full only to whoever holds the request (its assignee) and admins; masked (138****5678) otherwise',
    }),
    assigneeStaffId: z.number().nullable(),
    responseDueAt: z.string(),
    resolutionDueAt: z.string(),
    respondedAt: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    resolutionNote: z.string().nullable(),
    rating: z.enum(['satisfied', 'unsatisfied']).nullable(),
    supportCount: z.number(),
    urgeCount: z.number().openapi({
      description: 'Chases (催办) residents recorded, at most one a day each; who and what in /events',
    }),
    lastUrgedAt: z.string().nullable(),
    withdrawalAskedAt: z.string().nullable().openapi({
      description:
        'When the author said the request is no longer needed (撤回); it stays open until an officer resolves it. Cleared when it is reopened',
    }),
    overdue: z.boolean(),
    createdAt: z.string(),
  })
  .openapi('Request')

export const PhotoSchema = z
  .object({ id: z.number(), createdAt: z.string(), size: z.number() })
  .openapi('RequestPhoto', {
    description: 'A photo a resident sent after filing; its bytes at /requests/{number}/photos/{photoId}',
  })

export const RequestDetailSchema = RequestSchema.extend({ photos: z.array(PhotoSchema) }).openapi(
  'RequestDetail',
)

export const PhotoParams = NumberParam.extend({
  photoId: IdFromString.openapi({ param: { name: 'photoId', in: 'path' }, example: 1 }),
})

export const RequestListSchema = z
  .object({ items: z.array(RequestSchema), nextCursor: z.string().nullable() })
  .openapi('RequestList')

export const CreateRequestBody = z
  .object({
    xiaoquId: Id,
    text: z.string().trim().min(1, '请填写诉求内容').max(2000, '诉求内容不超过 2000 字'),
    channel: z.enum(['phone', 'visit'], { error: '来源应为电话（phone）或来访（visit）' }),
    residentName: z.string().trim().min(1, '请填写居民姓名').max(50, '居民姓名不超过 50 字'),
    phone: z
      .string()
      .regex(/^1\d{10}$|^0\d{2,3}-?\d{7,8}$/, '联系电话应为 11 位手机号或座机号（如 010-12345678）')
      .optional(),
    location: z.string().trim().max(100, '位置不超过 100 字').optional(),
  })
  .openapi('CreateRequest')

export const NoteBody = z.object({ note: z.string().trim().max(500).optional() })
export const ResolveBody = z.object({ note: z.string().trim().min(1, '请写明办理结果').max(1000) })
export const AssignBody = z.object({
  staffId: Id,
  note: z.string().trim().max(500).optional(),
})
export const ReclassifyBody = z.object({
  category: z.enum(categoryCodes, { error: `分类应为 ${categoryCodes.join('、')} 之一` }),
  urgency: z.enum(['urgent', 'normal'], { error: '紧急程度应为 urgent（紧急）或 normal（一般）' }).optional(),
  reason: z
    .string({ error: '请写明重新分类的原因' })
    .trim()
    .min(1, '请写明重新分类的原因')
    .max(500, '原因不超过 500 字'),
})

export const ExtendBody = z.object({
  resolutionDueAt: z.iso
    .datetime({ offset: true, message: '应为带时区的时间，如 2026-03-20T18:00:00+08:00' })
    .optional(),
  snoozeUntil: z.iso
    .datetime({ offset: true, message: '应为带时区的时间，如 2026-03-20T18:00:00+08:00' })
    .optional(),
  reason: z.string().trim().min(1, '请写明延期或暂缓提醒的原因').max(500),
})

export const ReplyBody = z.object({
  text: z
    .string({ error: '请填写要回复居民的内容' })
    .trim()
    .min(1, '请填写要回复居民的内容')
    .max(500, '回复不超过 500 字，请分几次发送'),
})
export const ReplySchema = z
  .object({
    number: z.string(),
    sentTo: z.enum(['group', 'private']).openapi({
      description: 'The group the request was filed in, or the resident’s private chat',
    }),
  })
  .openapi('RequestReply')

export const EventSchema = z
  .object({
    kind: z.string(),
    actorKind: z.string(),
    actorName: z.string().nullable(),
    note: z.string().nullable(),
    data: z.unknown().optional(),
    at: z.string(),
  })
  .openapi('RequestEvent')

const iso = (d: Date | null) => (d ? d.toISOString() : null)

export function toRequestDto(
  row: RequestRow,
  extra: { xiaoquName?: string | null; authorName?: string | null; viewer: StaffRow; now: Date },
) {
  const open = isOpenRequest(row)
  const overdue =
    (row.status === 'submitted' && row.responseDueAt < extra.now) || (open && row.resolutionDueAt < extra.now)
  return {
    number: row.number,
    status: row.status,
    category: row.category,
    menuItem: row.menuItem,
    urgency: row.urgency,
    text: row.text,
    location: row.location,
    channel: row.channel,
    xiaoquId: row.xiaoquId,
    xiaoquName: extra.xiaoquName ?? null,
    authorName: extra.authorName ?? null,
    contactPhone: phoneFor(extra.viewer, row),
    assigneeStaffId: row.assigneeStaffId,
    responseDueAt: row.responseDueAt.toISOString(),
    resolutionDueAt: row.resolutionDueAt.toISOString(),
    respondedAt: iso(row.respondedAt),
    resolvedAt: iso(row.resolvedAt),
    resolutionNote: row.resolutionNote,
    rating: row.rating,
    supportCount: row.supportCount,
    urgeCount: row.urgeCount,
    lastUrgedAt: iso(row.lastUrgedAt),
    withdrawalAskedAt: iso(row.withdrawalAskedAt),
    overdue,
    createdAt: row.createdAt.toISOString(),
  }
}
