import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { z } from 'zod'
import { listOrganisations } from '../../core/organisations/organisations.usecases'
import { assertRole, assertScope } from '../../core/shared/actor'
import { invalid, isAppError } from '../../core/shared/errors'
import { deactivateStaff, openWorkOf } from '../../core/staff/deactivate.usecases'
import { createStaff, getStaff, issueBindCode, listStaff, rotateToken } from '../../core/staff/staff.usecases'
import { staffRoles } from '../../db/schema'
import { actorOf, type C, type ConsoleKit, noticeReader, render, statusOf, viewerOf } from './kit'
import { optionalId, parseForm, pathId, placesFor } from './people.form'
import { registerPlacePages } from './people.places.routes'
import {
  StaffDetailPage,
  type StaffFormValues,
  StaffListPage,
  type StaffOutcome,
  staffHref,
} from './people.staff.page'
import { type ConsoleEnv, endSession } from './session'

const noticeOf = noticeReader({
  deactivated: '已停用：其令牌和微信身份已失效。请把下列未办结的诉求和任务转派给其他人。',
})

const CreateStaffForm = z.object({
  name: z.string().min(1, '请填写姓名。').max(50, '姓名不超过 50 字。'),
  role: z.enum(staffRoles, { error: '请选择角色。' }),
  scope: z
    .string()
    .regex(/^(?:[ax]\d{1,9})?$/, '请从列表中选择管辖范围。')
    .optional(),
  organisationId: optionalId('请从列表中选择物业公司。'),
  phone: z
    .string()
    .regex(/^(?:1\d{10})?$/, '手机号应为 11 位数字，如 13800000000；不填也可以。')
    .optional()
    .transform((v) => v || undefined),
})

/** 人员与区域 · 工作人员: the list, creating, tokens, binding codes, deactivation (admins and officers). */
export function registerPeoplePages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps, mutate } = kit
  const { db, config } = deps

  const listPage = async (
    c: C,
    options: { error?: string; status?: ContentfulStatusCode; values?: StaffFormValues } = {},
  ) => {
    const viewer = c.get('staff')
    assertRole(viewer, ['officer'])
    const [rows, places, organisations] = await Promise.all([
      listStaff(db, viewer.scopePath),
      placesFor(db, viewer.scopePath),
      listOrganisations(db),
    ])
    return render(
      c,
      <StaffListPage
        viewer={viewerOf(c)}
        rows={rows}
        names={places.names}
        organisations={new Map(organisations.map((o) => [o.id, o.name]))}
        canCreate={viewer.role === 'admin'}
        scopes={places.scopes}
        companies={organisations.filter((o) => o.kind === 'property_company')}
        values={options.values}
        error={options.error}
        notice={noticeOf(c)}
      />,
      options.status ?? 200,
    )
  }

  const detailPage = async (
    c: C,
    id: number,
    options: { outcome?: StaffOutcome; error?: string; notice?: string; status?: ContentfulStatusCode } = {},
  ) => {
    const viewer = c.get('staff')
    assertRole(viewer, ['officer'])
    const person = await getStaff(db, id)
    if (person.id !== viewer.id) assertScope(viewer, person.scopePath)
    const [places, organisations, work] = await Promise.all([
      placesFor(db, viewer.scopePath),
      listOrganisations(db),
      openWorkOf(db, person.id),
    ])
    return render(
      c,
      <StaffDetailPage
        viewer={viewerOf(c)}
        person={person}
        names={places.names}
        organisation={organisations.find((o) => o.id === person.organisationId)?.name}
        work={work}
        outcome={options.outcome}
        error={options.error}
        notice={options.notice ?? noticeOf(c)}
      />,
      options.status ?? 200,
    )
  }

  /** A change on a staff member's page: a refusal is shown there with its message and status. */
  const onStaff = async (c: C, id: number, work: () => Promise<Response>) => {
    try {
      return await work()
    } catch (error) {
      if (!isAppError(error)) throw error
      return detailPage(c, id, { error: error.message, status: statusOf(error) })
    }
  }

  app.get('/people', (c) => listPage(c))

  app.post('/people/staff', async (c) => {
    const body = await c.req.parseBody()
    const values = Object.fromEntries(
      ['name', 'role', 'scope', 'organisationId', 'phone'].map((k) => [
        k,
        typeof body[k] === 'string' ? body[k] : '',
      ]),
    ) as StaffFormValues
    try {
      const form = parseForm(CreateStaffForm, body)
      const scopeId = form.scope ? Number(form.scope.slice(1)) : undefined
      const created = await mutate((ctx) =>
        createStaff(
          ctx.db,
          actorOf(c),
          {
            name: form.name,
            role: form.role,
            areaId: form.scope?.startsWith('a') ? scopeId : undefined,
            xiaoquId: form.scope?.startsWith('x') ? scopeId : undefined,
            organisationId: form.organisationId,
            phone: form.phone,
          },
          ctx.clock.now(),
        ),
      )
      return detailPage(c, created.staff.id, {
        outcome: { kind: 'token', token: created.token, created: true },
      })
    } catch (error) {
      if (!isAppError(error)) throw error
      return listPage(c, { error: error.message, status: statusOf(error), values })
    }
  })

  app.get('/people/staff/:id', (c) => detailPage(c, pathId(c.req.param('id'), '工作人员')))

  app.post('/people/staff/:id/token', async (c) => {
    const id = pathId(c.req.param('id'), '工作人员')
    return onStaff(c, id, async () => {
      const token = await mutate((ctx) => rotateToken(ctx.db, actorOf(c), id, ctx.clock.now()))
      const self = id === c.get('staff').id
      // The session was the old token: it ends now, and the new one is used to log in again.
      if (self) endSession(c)
      return detailPage(c, id, {
        outcome: { kind: 'token', token, created: false },
        notice: self ? '您的令牌已更换，本次登录随之结束：请复制新令牌，重新登录。' : undefined,
      })
    })
  })

  app.post('/people/staff/:id/binding-code', async (c) => {
    const id = pathId(c.req.param('id'), '工作人员')
    return onStaff(c, id, async () => {
      const code = await mutate((ctx) =>
        issueBindCode(
          ctx.db,
          actorOf(c),
          { purpose: 'staff', staffId: id },
          ctx.clock.now(),
          config.bindCodeTtlMinutes,
        ),
      )
      return detailPage(c, id, {
        outcome: { kind: 'code', code: code.code, expiresAt: code.expiresAt, botName: config.botName },
      })
    })
  })

  app.post('/people/staff/:id/deactivate', async (c) => {
    const id = pathId(c.req.param('id'), '工作人员')
    const body = await c.req.parseBody()
    return onStaff(c, id, async () => {
      if (body.confirm !== '1') throw invalid('staff.confirm_required', '请勾选"确认停用"后再提交。')
      await mutate((ctx) => deactivateStaff(ctx, actorOf(c), id))
      return c.redirect(`${staffHref(id)}?ok=deactivated`, 303)
    })
  })

  registerPlacePages(app, kit)
}
