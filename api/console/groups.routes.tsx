import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { z } from 'zod'
import { listGroups, rebindGroup, unbindGroup } from '../../core/groups/groups.usecases'
import { listOpenIdentityIssues, resolveIdentityIssue } from '../../core/groups/identity-issues.usecases'
import { invalid, isAppError, notFound } from '../../core/shared/errors'
import { groupKinds, groupStates } from '../../db/schema'
import { GroupsPage, groupsHref } from './groups.page'
import type { ConsoleKit } from './kit'
import { actorOf, type C, field, noticeReader, render, statusOf, viewerOf } from './kit'
import { placesFor } from './people.form'
import type { ConsoleEnv } from './session'

const noticeOf = noticeReader({
  unbound: '已解绑：机器人将在该群保持沉默，待发消息已取消。',
  rebound: '已重新启用。',
  resolved: '已更新 ID，待发消息将发往新的 ID。',
  dismissed: '已忽略。',
})

// A filter that does not parse is no filter: the list is shown whole rather than refused.
const FiltersSchema = z.object({
  xiaoquId: z.coerce.number().int().positive().max(2_147_483_647).optional().catch(undefined),
  kind: z.enum(groupKinds).optional().catch(undefined),
  state: z.enum(groupStates).optional().catch(undefined),
})

function idParam(raw: string) {
  if (!/^\d{1,9}$/.test(raw))
    throw notFound('groups.not_found', `没有找到编号为 ${raw.slice(0, 20)} 的对象。`)
  return Number(raw)
}

/** 群管理: groups in the viewer's scope with 解绑 / 重新启用, and for admins the open identity issues. */
export function registerGroupPages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps, mutate } = kit
  const { db } = deps

  const page = async (c: C, options: { error?: string; status?: ContentfulStatusCode } = {}) => {
    const staff = c.get('staff')
    const filters = FiltersSchema.parse({
      xiaoquId: c.req.query('xiaoquId') || undefined,
      kind: c.req.query('kind') || undefined,
      state: c.req.query('state') || undefined,
    })
    const admin = staff.role === 'admin'
    const [rows, places, issues] = await Promise.all([
      listGroups(db, staff, filters),
      placesFor(db, staff.scopePath),
      admin ? listOpenIdentityIssues(db, actorOf(c)) : undefined,
    ])
    return render(
      c,
      <GroupsPage
        viewer={viewerOf(c)}
        rows={rows}
        filters={filters}
        places={places.places}
        names={places.names}
        canAct={admin || staff.role === 'officer'}
        issues={issues}
        error={options.error}
        notice={noticeOf(c)}
      />,
      options.status ?? 200,
    )
  }

  /** Runs a change; a refusal is shown on the list with its message, success redirects with a notice. */
  const act = async (c: C, work: Parameters<typeof mutate>[0], ok: string) => {
    try {
      await mutate(work)
    } catch (error) {
      if (!isAppError(error)) throw error
      return page(c, { error: error.message, status: statusOf(error) })
    }
    return c.redirect(`${groupsHref}?ok=${ok}`, 303)
  }

  app.get('/groups', (c) => page(c))

  app.post('/groups/:id/unbind', async (c) => {
    const id = idParam(c.req.param('id'))
    const body = await c.req.parseBody()
    return act(
      c,
      (ctx) => {
        const reason = field(body, 'reason', 500, '解绑原因')
        if (!reason) throw invalid('groups.reason_required', '解绑须写明原因。')
        return unbindGroup(ctx, actorOf(c), id, reason)
      },
      'unbound',
    )
  })

  app.post('/groups/:id/rebind', async (c) => {
    const id = idParam(c.req.param('id'))
    const body = await c.req.parseBody()
    return act(
      c,
      (ctx) => rebindGroup(ctx, actorOf(c), id, { reason: field(body, 'reason', 500, '说明') }),
      'rebound',
    )
  })

  app.post('/identity-issues/:id/resolve', async (c) => {
    const id = idParam(c.req.param('id'))
    const body = await c.req.parseBody()
    const dismiss = body.dismiss === '1'
    return act(
      c,
      (ctx) => {
        if (dismiss) return resolveIdentityIssue(ctx, actorOf(c), id, { dismiss: true })
        const wechatId = field(body, 'otherId', 200, '新的 ID') ?? field(body, 'wechatId', 200, '新的 ID')
        if (!wechatId) throw invalid('identity_issues.choice_required', '请选择一个候选，或填写新的 ID。')
        return resolveIdentityIssue(ctx, actorOf(c), id, { wechatId })
      },
      dismiss ? 'dismissed' : 'resolved',
    )
  })
}
