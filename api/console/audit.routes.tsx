import type { Hono } from 'hono'
import { z } from 'zod'
import { listAudit } from '../../core/audit/audit'
import { assertRole } from '../../core/shared/actor'
import { invalid } from '../../core/shared/errors'
import { fromShanghai } from '../../core/sla/calendar'
import { AuditPage, type AuditQuery, auditHref } from './audit.page'
import type { ConsoleKit } from './kit'
import { render, viewerOf } from './kit'
import type { ConsoleEnv } from './session'

const pageSize = 50
const day = 86_400_000
const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, '日期应形如 2026-03-02。')
  .optional()
const Query = z.object({
  actor: z.string().max(50, '操作人不超过 50 字。').optional(),
  action: z.string().max(60, '操作不超过 60 字。').optional(),
  entity: z.string().max(60, '对象类型不超过 60 字。').optional(),
  entityId: z.string().max(100, '对象编号不超过 100 字。').optional(),
  from: date,
  to: date,
  before: z
    .string()
    .regex(/^\d{1,15}$/, '翻页参数有误，请回到第一页。')
    .optional(),
})

/** 操作记录: the audit log with filters and keyset paging (admins); and the 机器人 page. */
export function registerAuditPages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { db } = kit.deps

  app.get('/audit', async (c) => {
    assertRole(c.get('staff'), [])
    const raw = Object.fromEntries(
      Object.entries(c.req.query())
        .map(([k, v]) => [k, v.trim()])
        .filter(([, v]) => v !== ''),
    )
    const parsed = Query.safeParse(raw)
    if (!parsed.success)
      throw invalid('audit.bad_filter', parsed.error.issues[0]?.message ?? '筛选条件有误。')
    const q = parsed.data
    const at = (d: string) => {
      const value = fromShanghai(d)
      if (Number.isNaN(value.getTime())) throw invalid('audit.bad_filter', '日期应形如 2026-03-02。')
      return value
    }
    const page = await listAudit(db, {
      actorStaffId: q.actor && /^\d{1,9}$/.test(q.actor) ? Number(q.actor) : undefined,
      actorName: q.actor && !/^\d+$/.test(q.actor) ? q.actor : undefined,
      action: q.action,
      entity: q.entity,
      entityId: q.entityId,
      from: q.from ? at(q.from) : undefined,
      to: q.to ? new Date(at(q.to).getTime() + day) : undefined,
      before: q.before ? Number(q.before) : undefined,
      limit: pageSize,
    })
    const { before: _before, ...filters } = q
    const query: AuditQuery = filters
    const href = (extra: Record<string, string>) => {
      const params = new URLSearchParams({ ...(filters as Record<string, string>), ...extra })
      return params.size > 0 ? `${auditHref}?${params}` : auditHref
    }
    return render(
      c,
      <AuditPage
        viewer={viewerOf(c)}
        rows={page.items}
        query={query}
        nextHref={page.nextBefore ? href({ before: String(page.nextBefore) }) : undefined}
        firstHref={q.before ? href({}) : undefined}
      />,
    )
  })
}
