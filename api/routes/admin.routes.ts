import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import {
  addRooms,
  createArea,
  createXiaoqu,
  getXiaoquForStaff,
  listAreas,
  listRooms,
  listXiaoqu,
} from '../../core/areas/areas.usecases'
import {
  createOrganisation,
  listOrganisations,
  setXiaoquGovernance,
} from '../../core/organisations/organisations.usecases'
import { roleNames } from '../../core/shared/actor'
import type { Deps } from '../../core/shared/deps'
import { listOverrides, saveOverrides } from '../../core/sla/calendar-store'
import {
  createStaff,
  issueBindCode,
  listStaff,
  rotateToken,
  setDigestPreference,
} from '../../core/staff/staff.usecases'
import { organisationKinds, staffRoles, type staff as staffTable } from '../../db/schema'
import { type ApiEnv, staffActor } from '../auth'
import { errorResponses } from '../errors'
import { Id, IdFromString } from './common.schemas'
import { registerStaffAuditRoutes } from './staff-audit.routes'

const security = [{ Bearer: [] }]
const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } })
const body = <T>(schema: T) => ({ body: { required: true, ...json(schema) } })
const IdParam = z.object({
  id: IdFromString.openapi({ param: { name: 'id', in: 'path' }, example: 1 }),
})
const ok = (description: string, schema: z.ZodType = z.unknown()) => ({ description, ...json(schema) })

const StaffSchema = z
  .object({
    id: z.number(),
    name: z.string(),
    role: z.enum(staffRoles),
    roleName: z.string(),
    scopePath: z.string().nullable(),
    organisationId: z.number().nullable(),
    supervisorId: z.number().nullable(),
    wechatBound: z.boolean(),
    active: z.boolean(),
    digest: z.boolean(),
  })
  .openapi('Staff')
const toStaffDto = (s: typeof staffTable.$inferSelect) => ({
  id: s.id,
  name: s.name,
  role: s.role,
  roleName: roleNames[s.role],
  scopePath: s.scopePath,
  organisationId: s.organisationId,
  supervisorId: s.supervisorId,
  wechatBound: Boolean(s.wechatId),
  active: s.active,
  digest: s.digest,
})
const BindCodeSchema = z
  .object({ code: z.string(), expiresAt: z.string(), instructions: z.string() })
  .openapi('BindCode')

const routes = {
  me: createRoute({
    method: 'get',
    path: '/me',
    tags: ['工作人员 staff'],
    security,
    summary: 'Who the token belongs to',
    responses: { 200: ok('The caller', StaffSchema), ...errorResponses(401) },
  }),
  mePreferences: createRoute({
    method: 'put',
    path: '/me/preferences',
    tags: ['工作人员 staff'],
    security,
    summary: 'Choose one daily digest (09:00 on working days) instead of single nudges',
    request: { body: { required: true, ...json(z.object({ digest: z.boolean() })) } },
    responses: { 200: ok('The caller', StaffSchema), ...errorResponses(400, 401) },
  }),
  staffList: createRoute({
    method: 'get',
    path: '/staff',
    tags: ['工作人员 staff'],
    security,
    summary: 'List staff (admins: all; others: within scope)',
    responses: { 200: ok('Staff', z.object({ items: z.array(StaffSchema) })), ...errorResponses(401) },
  }),
  staffCreate: createRoute({
    method: 'post',
    path: '/staff',
    tags: ['工作人员 staff'],
    security,
    summary: 'Create a staff member; the API token is returned once',
    request: body(
      z
        .object({
          name: z.string().trim().min(1).max(50),
          role: z.enum(staffRoles),
          areaId: Id.optional(),
          xiaoquId: Id.optional(),
          organisationId: Id.optional(),
          supervisorId: Id.optional(),
          phone: z
            .string()
            .regex(/^1\d{10}$/, '手机号应为 11 位')
            .optional(),
        })
        .openapi('CreateStaff'),
    ),
    responses: {
      201: ok('Created', z.object({ staff: StaffSchema, token: z.string() })),
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  staffToken: createRoute({
    method: 'post',
    path: '/staff/{id}/token',
    tags: ['工作人员 staff'],
    security,
    summary: 'Issue a new API token (the old one stops working)',
    request: { params: IdParam },
    responses: { 200: ok('New token', z.object({ token: z.string() })), ...errorResponses(401, 403, 404) },
  }),
  staffBindCode: createRoute({
    method: 'post',
    path: '/staff/{id}/binding-code',
    tags: ['工作人员 staff'],
    security,
    summary: 'A one-time code the staff member sends privately to the bot: 绑定 <码>',
    request: { params: IdParam },
    responses: { 201: ok('Code', BindCodeSchema), ...errorResponses(401, 403, 404) },
  }),
  areasList: createRoute({
    method: 'get',
    path: '/areas',
    tags: ['区域与小区 areas'],
    security,
    summary: 'District, street and community hierarchy',
    responses: { 200: ok('Areas'), ...errorResponses(401) },
  }),
  areasCreate: createRoute({
    method: 'post',
    path: '/areas',
    tags: ['区域与小区 areas'],
    security,
    summary: 'Create a district, street or community (admin)',
    request: body(
      z.object({
        kind: z.enum(['district', 'street', 'community']),
        name: z.string().trim().min(1).max(50),
        parentId: Id.optional(),
      }),
    ),
    responses: { 201: ok('Created'), ...errorResponses(400, 401, 403, 404, 409) },
  }),
  officersGroupCode: createRoute({
    method: 'post',
    path: '/areas/{id}/binding-code',
    tags: ['区域与小区 areas'],
    security,
    summary: "A code to bind an officers' group covering this area: 绑定小区 <码>",
    request: { params: IdParam },
    responses: { 201: ok('Code', BindCodeSchema), ...errorResponses(401, 403, 404) },
  }),
  xiaoquList: createRoute({
    method: 'get',
    path: '/xiaoqu',
    tags: ['区域与小区 areas'],
    security,
    summary: "Xiaoqu in the caller's scope",
    responses: { 200: ok('Xiaoqu'), ...errorResponses(401) },
  }),
  xiaoquCreate: createRoute({
    method: 'post',
    path: '/xiaoqu',
    tags: ['区域与小区 areas'],
    security,
    summary: 'Create a xiaoqu in a community',
    request: body(
      z
        .object({
          communityId: Id,
          name: z.string().trim().min(1).max(50),
          address: z.string().max(200).optional(),
          buildYear: z.number().int().min(1900).max(2100).optional(),
        })
        .openapi('CreateXiaoqu'),
    ),
    responses: { 201: ok('Created'), ...errorResponses(400, 401, 403, 404, 409) },
  }),
  organisationList: createRoute({
    method: 'get',
    path: '/organisations',
    tags: ['区域与小区 areas'],
    security,
    summary: 'Organisations: implementing entities, property companies, planners, construction units, …',
    responses: { 200: ok('Organisations'), ...errorResponses(401) },
  }),
  organisationCreate: createRoute({
    method: 'post',
    path: '/organisations',
    tags: ['区域与小区 areas'],
    security,
    summary:
      'Register an organisation (officers within their scope, by default under their own area; admins anywhere, or city-wide without areaId)',
    request: body(
      z.object({
        kind: z.enum(organisationKinds),
        name: z.string().trim().min(1).max(100),
        areaId: Id.optional().openapi({ description: "An area within the caller's scope" }),
      }),
    ),
    responses: { 201: ok('Created'), ...errorResponses(400, 401, 403, 404, 409) },
  }),
  xiaoquGovernance: createRoute({
    method: 'put',
    path: '/xiaoqu/{id}/governance',
    tags: ['区域与小区 areas'],
    security,
    summary: "Record the xiaoqu's owners' organisation and its property company (null clears); audited",
    request: {
      params: IdParam,
      ...body(
        z.object({
          ownersOrganisation: z
            .object({
              kind: z.enum(['owners_committee', 'property_management_committee']),
              formedOn: z.iso.date('成立日期应形如 2026-03-02'),
            })
            .nullable()
            .optional(),
          propertyCompanyId: Id.nullable().optional(),
        }),
      ),
    },
    responses: { 200: ok('Updated'), ...errorResponses(400, 401, 403, 404) },
  }),
  groupCode: createRoute({
    method: 'post',
    path: '/xiaoqu/{id}/binding-code',
    tags: ['区域与小区 areas'],
    security,
    summary: 'A code to bind a WeChat group to this xiaoqu: 绑定小区 <码>',
    request: {
      params: IdParam,
      ...body(
        z.object({
          kind: z.enum(['residents', 'building']).default('residents'),
          buildingId: Id.optional(),
        }),
      ),
    },
    responses: { 201: ok('Code', BindCodeSchema), ...errorResponses(400, 401, 403, 404) },
  }),
  roomsList: createRoute({
    method: 'get',
    path: '/xiaoqu/{id}/rooms',
    tags: ['区域与小区 areas'],
    security,
    summary: 'Buildings, units and households with exclusive area',
    request: { params: IdParam },
    responses: { 200: ok('Rooms'), ...errorResponses(401, 403, 404) },
  }),
  roomsAdd: createRoute({
    method: 'post',
    path: '/xiaoqu/{id}/rooms',
    tags: ['区域与小区 areas'],
    security,
    summary: 'Add households (existing ones keep their id, area updated)',
    request: {
      params: IdParam,
      ...body(
        z.object({
          rooms: z
            .array(
              z.object({
                building: z.string().trim().min(1).max(30),
                unit: z.string().trim().min(1).max(30),
                room: z.string().trim().min(1).max(30),
                area: z.number().positive().max(100_000).multipleOf(0.01, '面积最多两位小数').optional(),
              }),
            )
            .min(1)
            .max(5000),
        }),
      ),
    },
    responses: { 201: ok('Added'), ...errorResponses(400, 401, 403, 404) },
  }),
  overridesList: createRoute({
    method: 'get',
    path: '/calendar/overrides',
    tags: ['工作日 calendar'],
    security,
    summary: 'Holiday and working-day overrides',
    responses: { 200: ok('Overrides'), ...errorResponses(401) },
  }),
  overridesPut: createRoute({
    method: 'put',
    path: '/calendar/overrides',
    tags: ['工作日 calendar'],
    security,
    summary: 'Add or replace overrides for years the calendar does not know yet (admin)',
    request: body(
      z.object({
        days: z
          .array(
            z.object({
              date: z.iso.date(),
              kind: z.enum(['workday', 'holiday']),
              name: z.string().max(30).optional(),
            }),
          )
          .min(1)
          .max(400),
      }),
    ),
    responses: { 200: ok('Saved'), ...errorResponses(400, 401, 403) },
  }),
}

export function registerAdminRoutes(app: OpenAPIHono<ApiEnv>, deps: Deps) {
  const { db, clock, config } = deps
  const actorOf = (c: { get(key: 'staff'): ApiEnv['Variables']['staff'] }) => staffActor(c.get('staff'))
  const codeDto = (code: { code: string; expiresAt: Date }, instructions: string) => ({
    code: code.code,
    expiresAt: code.expiresAt.toISOString(),
    instructions,
  })
  const ttl = config.bindCodeTtlMinutes

  return registerStaffAuditRoutes(app, deps)
    .openapi(routes.me, (c) => c.json(toStaffDto(c.get('staff')), 200))
    .openapi(routes.mePreferences, async (c) => {
      const { digest } = c.req.valid('json')
      const updated = await db.transaction((tx) => setDigestPreference({ db: tx, clock }, actorOf(c), digest))
      return c.json(toStaffDto(updated), 200)
    })
    .openapi(routes.staffList, async (c) => {
      const rows = await listStaff(db, c.get('staff').scopePath)
      return c.json({ items: rows.map(toStaffDto) }, 200)
    })
    .openapi(routes.staffCreate, async (c) => {
      const result = await db.transaction((tx) =>
        createStaff(tx, actorOf(c), c.req.valid('json'), clock.now()),
      )
      return c.json({ staff: toStaffDto(result.staff), token: result.token }, 201)
    })
    .openapi(routes.staffToken, async (c) => {
      const token = await db.transaction((tx) =>
        rotateToken(tx, actorOf(c), c.req.valid('param').id, clock.now()),
      )
      return c.json({ token }, 200)
    })
    .openapi(routes.staffBindCode, async (c) => {
      const id = c.req.valid('param').id
      const code = await db.transaction((tx) =>
        issueBindCode(tx, actorOf(c), { purpose: 'staff', staffId: id }, clock.now(), ttl),
      )
      return c.json(codeDto(code, `请该工作人员私聊${config.botName}发送：绑定 ${code.code}`), 201)
    })
    .openapi(routes.areasList, async (c) =>
      c.json({ items: await listAreas(db, c.get('staff').scopePath) }, 200),
    )
    .openapi(routes.areasCreate, async (c) =>
      c.json(await db.transaction((tx) => createArea(tx, actorOf(c), c.req.valid('json'), clock.now())), 201),
    )
    .openapi(routes.officersGroupCode, async (c) => {
      const code = await db.transaction((tx) =>
        issueBindCode(
          tx,
          actorOf(c),
          { purpose: 'group', kind: 'officers', areaId: c.req.valid('param').id },
          clock.now(),
          ttl,
        ),
      )
      return c.json(
        codeDto(code, `把${config.botName}拉进工作群，由已绑定的工作人员在群里发送：绑定小区 ${code.code}`),
        201,
      )
    })
    .openapi(routes.xiaoquList, async (c) =>
      c.json({ items: await listXiaoqu(db, c.get('staff').scopePath) }, 200),
    )
    .openapi(routes.xiaoquCreate, async (c) =>
      c.json(
        await db.transaction((tx) => createXiaoqu(tx, actorOf(c), c.req.valid('json'), clock.now())),
        201,
      ),
    )
    .openapi(routes.organisationList, async (c) => c.json({ items: await listOrganisations(db) }, 200))
    .openapi(routes.organisationCreate, async (c) =>
      c.json(
        await db.transaction((tx) =>
          createOrganisation({ db: tx, now: clock.now() }, actorOf(c), c.req.valid('json')),
        ),
        201,
      ),
    )
    .openapi(routes.xiaoquGovernance, async (c) =>
      c.json(
        await db.transaction((tx) =>
          setXiaoquGovernance(
            { db: tx, now: clock.now() },
            actorOf(c),
            c.req.valid('param').id,
            c.req.valid('json'),
          ),
        ),
        200,
      ),
    )
    .openapi(routes.groupCode, async (c) => {
      const input = c.req.valid('json')
      const code = await db.transaction((tx) =>
        issueBindCode(
          tx,
          actorOf(c),
          { purpose: 'group', xiaoquId: c.req.valid('param').id, ...input },
          clock.now(),
          ttl,
        ),
      )
      return c.json(
        codeDto(code, `把${config.botName}拉进小区群，由已绑定的工作人员在群里发送：绑定小区 ${code.code}`),
        201,
      )
    })
    .openapi(routes.roomsList, async (c) => {
      const place = await getXiaoquForStaff(db, actorOf(c), c.req.valid('param').id)
      const rows = await listRooms(db, place.id)
      return c.json(
        {
          xiaoqu: { id: place.id, name: place.name },
          items: rows.map((r) => ({
            ...r,
            area: r.exclusiveAreaCenti === null ? null : r.exclusiveAreaCenti / 100,
          })),
        },
        200,
      )
    })
    .openapi(routes.roomsAdd, async (c) => {
      const rooms = c.req
        .valid('json')
        .rooms.map((r) => ({ ...r, areaCenti: r.area === undefined ? undefined : Math.round(r.area * 100) }))
      return c.json(
        await db.transaction((tx) => addRooms(tx, actorOf(c), c.req.valid('param').id, rooms, clock.now())),
        201,
      )
    })
    .openapi(routes.overridesList, async (c) => c.json({ items: await listOverrides(db) }, 200))
    .openapi(routes.overridesPut, async (c) => {
      const { days } = c.req.valid('json')
      const all = await db.transaction((tx) => saveOverrides(tx, actorOf(c), days, clock.now()))
      deps.calendar.reload(all)
      return c.json({ saved: days.length }, 200)
    })
}
