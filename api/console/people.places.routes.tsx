import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { z } from 'zod'
import { addRooms, createArea, createXiaoqu, listBuildings, listRooms } from '../../core/areas/areas.usecases'
import {
  createOrganisation,
  getXiaoquGovernance,
  listOrganisations,
  setXiaoquGovernance,
} from '../../core/organisations/organisations.usecases'
import { assertRole } from '../../core/shared/actor'
import { isAppError } from '../../core/shared/errors'
import { issueBindCode } from '../../core/staff/staff.usecases'
import { areaKinds, organisationKinds } from '../../db/schema'
import { actorOf, type C, type ConsoleKit, noticeReader, render, statusOf, viewerOf } from './kit'
import { optionalId, parseForm, pathId, placesFor } from './people.form'
import { OrganisationsPage, organisationsHref } from './people.orgs.page'
import { type IssuedCode, PlacesPage, placesHref, XiaoquPage, xiaoquHref } from './people.places.page'
import type { ConsoleEnv } from './session'

const noticeOf = noticeReader({
  area_created: '区域已创建。',
  xiaoqu_created: '小区已创建。',
  governance: '治理情况已保存。',
  rooms: '房屋已添加。',
  organisation_created: '单位已登记。',
})

const AreaForm = z.object({
  kind: z.enum(areaKinds, { error: '请选择区域类型。' }),
  name: z.string().min(1, '请填写名称。').max(50, '名称不超过 50 字。'),
  parentId: optionalId('请从列表中选择上级区域。'),
})
const XiaoquForm = z.object({
  communityId: z
    .string()
    .regex(/^\d{1,9}$/, '请选择所属社区。')
    .transform(Number),
  name: z.string().min(1, '请填写小区名称。').max(50, '小区名称不超过 50 字。'),
  address: z
    .string()
    .max(200, '地址不超过 200 字。')
    .optional()
    .transform((v) => v || undefined),
  buildYear: z
    .string()
    .regex(/^(?:(?:19|20)\d{2})?$/, '建成年份应为四位年份，如 1995；不知道可不填。')
    .optional()
    .transform((v) => (v ? Number(v) : undefined)),
})
const GovernanceForm = z
  .object({
    ownersKind: z.enum(['none', 'owners_committee', 'property_management_committee'], {
      error: '请选择业主组织。',
    }),
    formedOn: z
      .string()
      .regex(/^(?:\d{4}-\d{2}-\d{2})?$/, '成立日期应形如 2026-03-02。')
      .optional(),
    propertyCompanyId: optionalId('请从列表中选择物业服务企业。'),
  })
  .refine((f) => f.ownersKind === 'none' || Boolean(f.formedOn), {
    message: '已组建业委会或物管会时，请填写成立日期。',
  })
const GroupCodeForm = z.object({
  kind: z.enum(['residents', 'building'], { error: '请选择群类型。' }),
  buildingId: optionalId('请从列表中选择楼栋。'),
})
const RoomForm = z.object({
  building: z.string().min(1, '请填写楼栋。').max(30, '楼栋不超过 30 字。'),
  unit: z.string().min(1, '请填写单元。').max(30, '单元不超过 30 字。'),
  room: z.string().min(1, '请填写房号。').max(30, '房号不超过 30 字。'),
  area: z
    .string()
    .regex(/^(?:\d{1,6}(?:\.\d{1,2})?)?$/, '面积应为数字，最多两位小数，如 75.5；不知道可不填。')
    .optional()
    .transform((v) => (v ? Math.round(Number(v) * 100) : undefined)),
})
const OrganisationForm = z.object({
  kind: z.enum(organisationKinds, { error: '请选择单位类型。' }),
  name: z.string().min(1, '请填写单位名称。').max(100, '单位名称不超过 100 字。'),
  areaId: optionalId('请从列表中选择区域。'),
})

/** 人员与区域 · 区域与小区, 单位: areas, xiaoqu, rooms, governance, group binding codes, organisations. */
export function registerPlacePages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps, mutate } = kit
  const { db, config } = deps
  const ttl = config.bindCodeTtlMinutes

  type Shown = { issued?: IssuedCode; error?: string; status?: ContentfulStatusCode }

  const placesPage = async (c: C, shown: Shown = {}) => {
    const viewer = c.get('staff')
    assertRole(viewer, ['officer'])
    const { areas, places } = await placesFor(db, viewer.scopePath)
    const inScope = new Set(
      areas.filter((a) => viewer.scopePath === null || a.path.startsWith(viewer.scopePath)).map((a) => a.id),
    )
    return render(
      c,
      <PlacesPage
        viewer={viewerOf(c)}
        areas={areas}
        places={places}
        inScope={inScope}
        issued={shown.issued}
        error={shown.error}
        notice={noticeOf(c)}
      />,
      shown.status ?? 200,
    )
  }

  const xiaoquPage = async (c: C, id: number, shown: Shown = {}) => {
    const viewer = c.get('staff')
    assertRole(viewer, ['officer'])
    const governance = await getXiaoquGovernance(db, actorOf(c), id)
    const [{ areas }, organisations, rooms, buildings] = await Promise.all([
      placesFor(db, viewer.scopePath),
      listOrganisations(db),
      listRooms(db, id),
      listBuildings(db, id),
    ])
    return render(
      c,
      <XiaoquPage
        viewer={viewerOf(c)}
        governance={governance}
        communityName={areas.find((a) => a.id === governance.xiaoqu.communityId)?.name ?? '—'}
        companies={organisations.filter((o) => o.kind === 'property_company')}
        rooms={rooms}
        buildings={buildings}
        issued={shown.issued}
        error={shown.error}
        notice={noticeOf(c)}
      />,
      shown.status ?? 200,
    )
  }

  const organisationsPage = async (c: C, shown: Shown = {}) => {
    const viewer = c.get('staff')
    assertRole(viewer, ['officer'])
    const [{ areas }, rows] = await Promise.all([placesFor(db, viewer.scopePath), listOrganisations(db)])
    return render(
      c,
      <OrganisationsPage
        viewer={viewerOf(c)}
        rows={rows}
        areaNames={new Map(areas.map((a) => [a.id, a.name]))}
        areas={areas.filter((a) => viewer.scopePath === null || a.path.startsWith(viewer.scopePath))}
        error={shown.error}
        notice={noticeOf(c)}
      />,
      shown.status ?? 200,
    )
  }

  /** Runs `work`; a refusal re-renders `page` with its message and status. */
  const attempt = async (page: (shown: Shown) => Promise<Response>, work: () => Promise<Response>) => {
    try {
      return await work()
    } catch (error) {
      if (!isAppError(error)) throw error
      return page({ error: error.message, status: statusOf(error) })
    }
  }

  app.get('/people/places', (c) => placesPage(c))
  app.get('/people/organisations', (c) => organisationsPage(c))
  app.get('/people/xiaoqu/:id', (c) => xiaoquPage(c, pathId(c.req.param('id'), '小区')))

  app.post('/people/areas', async (c) => {
    const body = await c.req.parseBody()
    return attempt(
      (s) => placesPage(c, s),
      async () => {
        const form = parseForm(AreaForm, body)
        await mutate((ctx) => createArea(ctx.db, actorOf(c), form, ctx.clock.now()))
        return c.redirect(`${placesHref}?ok=area_created`, 303)
      },
    )
  })

  app.post('/people/areas/:id/binding-code', async (c) => {
    const id = pathId(c.req.param('id'), '区域')
    return attempt(
      (s) => placesPage(c, s),
      async () => {
        const code = await mutate((ctx) =>
          issueBindCode(
            ctx.db,
            actorOf(c),
            { purpose: 'group', kind: 'officers', areaId: id },
            ctx.clock.now(),
            ttl,
          ),
        )
        const { areas } = await placesFor(db, c.get('staff').scopePath)
        const place = areas.find((a) => a.id === id)?.name ?? `区域 ${id}`
        return placesPage(c, { issued: { ...code, place, kind: '工作群', botName: config.botName } })
      },
    )
  })

  app.post('/people/xiaoqu', async (c) => {
    const body = await c.req.parseBody()
    return attempt(
      (s) => placesPage(c, s),
      async () => {
        const form = parseForm(XiaoquForm, body)
        const created = await mutate((ctx) => createXiaoqu(ctx.db, actorOf(c), form, ctx.clock.now()))
        return c.redirect(`${xiaoquHref(created.id)}?ok=xiaoqu_created`, 303)
      },
    )
  })

  app.post('/people/xiaoqu/:id/binding-code', async (c) => {
    const id = pathId(c.req.param('id'), '小区')
    const body = await c.req.parseBody()
    return attempt(
      (s) => xiaoquPage(c, id, s),
      async () => {
        const form = parseForm(GroupCodeForm, body)
        const code = await mutate((ctx) =>
          issueBindCode(
            ctx.db,
            actorOf(c),
            { purpose: 'group', xiaoquId: id, ...form },
            ctx.clock.now(),
            ttl,
          ),
        )
        const { xiaoqu } = await getXiaoquGovernance(db, actorOf(c), id)
        const kind = form.kind === 'building' ? '楼栋群' : '居民群'
        return xiaoquPage(c, id, { issued: { ...code, place: xiaoqu.name, kind, botName: config.botName } })
      },
    )
  })

  app.post('/people/xiaoqu/:id/governance', async (c) => {
    const id = pathId(c.req.param('id'), '小区')
    const body = await c.req.parseBody()
    return attempt(
      (s) => xiaoquPage(c, id, s),
      async () => {
        const form = parseForm(GovernanceForm, body)
        await mutate((ctx) =>
          setXiaoquGovernance({ db: ctx.db, now: ctx.clock.now() }, actorOf(c), id, {
            ownersOrganisation:
              form.ownersKind === 'none' ? null : { kind: form.ownersKind, formedOn: form.formedOn ?? '' },
            propertyCompanyId: form.propertyCompanyId ?? null,
          }),
        )
        return c.redirect(`${xiaoquHref(id)}?ok=governance`, 303)
      },
    )
  })

  app.post('/people/xiaoqu/:id/rooms', async (c) => {
    const id = pathId(c.req.param('id'), '小区')
    const body = await c.req.parseBody()
    return attempt(
      (s) => xiaoquPage(c, id, s),
      async () => {
        const form = parseForm(RoomForm, body)
        const { area, ...room } = form
        await mutate((ctx) =>
          addRooms(ctx.db, actorOf(c), id, [{ ...room, areaCenti: area }], ctx.clock.now()),
        )
        return c.redirect(`${xiaoquHref(id)}?ok=rooms`, 303)
      },
    )
  })

  app.post('/people/organisations', async (c) => {
    const body = await c.req.parseBody()
    return attempt(
      (s) => organisationsPage(c, s),
      async () => {
        const form = parseForm(OrganisationForm, body)
        await mutate((ctx) => createOrganisation({ db: ctx.db, now: ctx.clock.now() }, actorOf(c), form))
        return c.redirect(`${organisationsHref}?ok=organisation_created`, 303)
      },
    )
  })
}
