import { createHash } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import { enqueueMessages } from '../../core/outbox/outbox.repository'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

// ---------------------------------------------------------------------------------------------------------
// Shapes of the answers the tests read (only the fields they look at).

interface ErrorEnvelope {
  error: {
    code: string
    message: string
    details?: { fields?: { path: string; message: string }[] } & Record<string, unknown>
  }
}
interface RequestDto {
  number: string
  status: 'submitted' | 'accepted' | 'resolved' | 'closed'
  category: string
  menuItem: string
  urgency: 'urgent' | 'normal'
  text: string
  location: string | null
  channel: string
  xiaoquId: number | null
  xiaoquName: string | null
  authorName: string | null
  contactPhone: string | null
  assigneeStaffId: number | null
  responseDueAt: string
  resolutionDueAt: string
  respondedAt: string | null
  resolvedAt: string | null
  resolutionNote: string | null
  overdue: boolean
  createdAt: string
}
interface RequestList {
  items: RequestDto[]
  nextCursor: string | null
}
interface EventDto {
  kind: string
  actorKind: string
  actorName: string | null
  note: string | null
  data?: unknown
  at: string
}
interface StaffDto {
  id: number
  name: string
  role: string
  roleName: string
  scopePath: string | null
  wechatBound: boolean
  active: boolean
}
interface AreaDto {
  id: number
  kind: string
  name: string
  path: string
  parentId: number | null
}
interface XiaoquDto {
  id: number
  name: string
  path: string
  communityId: number
}
interface BindCodeDto {
  code: string
  expiresAt: string
  instructions: string
}
interface AuditDto {
  action: string
  entity: string
  entityId: string
  actorName: string | null
  via: string
  before: Record<string, unknown> | null
  after: Record<string, unknown> | null
}
interface Reply<T> {
  status: number
  body: T
  text: string
  headers: Headers
}

const chinese = /[\u4e00-\u9fff]/
const minute = 60_000
const day = 24 * 3600_000
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe.each(drivers)('HTTP API end to end on %s', (driver) => {
  let deps: TestDeps
  let app: ReturnType<typeof createApi>
  let admin: string

  beforeAll(async () => {
    deps = await createTestDeps(driver)
    app = createApi(deps)
    admin = deps.adminToken
  })
  afterAll(async () => {
    await deps.database.close()
  })
  beforeEach(() => {
    // Monday 2 March 2026, 10:00 Shanghai: no holiday anywhere near.
    deps.clock.set(new Date('2026-03-02T02:00:00Z'))
  })

  // -------------------------------------------------------------------------------------------------------
  // Helpers: one HTTP call, error checks, and a small world built through the API itself.

  /** One request to the app; `token` undefined sends no Authorization header at all. */
  async function call<T = ErrorEnvelope>(
    method: string,
    path: string,
    token?: string,
    body?: unknown,
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = {}
    if (token !== undefined) headers.authorization = `Bearer ${token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await app.request(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return parse<T>(res)
  }

  /** A raw request, for malformed headers and bodies. */
  async function raw<T = ErrorEnvelope>(path: string, init: RequestInit): Promise<Reply<T>> {
    return parse<T>(await app.request(path, init))
  }

  async function parse<T>(res: Response): Promise<Reply<T>> {
    const text = await res.text()
    const isJson = res.headers.get('content-type')?.includes('application/json') ?? false
    return {
      status: res.status,
      body: (isJson ? JSON.parse(text) : undefined) as T,
      text,
      headers: res.headers,
    }
  }

  /** Asserts the one error envelope, a Chinese message and the status; returns the error for more checks. */
  function expectError(reply: Reply<unknown>, status: number, code?: string) {
    expect(reply.status, reply.text).toBe(status)
    const { error } = reply.body as ErrorEnvelope
    expect(error).toBeDefined()
    expect(typeof error.code).toBe('string')
    expect(error.message).toMatch(chinese)
    if (code) expect(error.code).toBe(code)
    return error
  }

  /** A 400 naming exactly which fields were wrong. */
  function expectFields(reply: Reply<unknown>, ...paths: string[]) {
    const error = expectError(reply, 400, 'validation')
    const named = (error.details?.fields ?? []).map((f) => f.path)
    for (const path of paths) expect(named).toContain(path)
    for (const field of error.details?.fields ?? []) expect(field.message.length).toBeGreaterThan(0)
    return error
  }

  async function createArea(kind: 'district' | 'street' | 'community', parentId?: number) {
    const res = await call<AreaDto>('POST', '/api/v1/areas', admin, {
      kind,
      name: uniqueId(kind),
      ...(parentId ? { parentId } : {}),
    })
    expect(res.status, res.text).toBe(201)
    return res.body
  }

  async function createXiaoqu(communityId: number, token = admin) {
    const res = await call<XiaoquDto>('POST', '/api/v1/xiaoqu', token, {
      communityId,
      name: uniqueId('小区'),
    })
    expect(res.status, res.text).toBe(201)
    return res.body
  }

  async function createStaff(input: {
    role: string
    areaId?: number
    xiaoquId?: number
    name?: string
  }): Promise<{ staff: StaffDto; token: string }> {
    const res = await call<{ staff: StaffDto; token: string }>('POST', '/api/v1/staff', admin, {
      name: input.name ?? uniqueId('工作人员'),
      ...input,
    })
    expect(res.status, res.text).toBe(201)
    return res.body
  }

  /** district → street → community → xiaoqu, plus an officer for the community, all through the API. */
  async function apiWorld() {
    const district = await createArea('district')
    const street = await createArea('street', district.id)
    const community = await createArea('community', street.id)
    const xiaoqu = await createXiaoqu(community.id)
    const officer = await createStaff({ role: 'officer', areaId: community.id })
    return { district, street, community, xiaoqu, officer }
  }

  async function fileRequest(
    xiaoquId: number,
    text: string,
    token = admin,
    extra: Record<string, unknown> = {},
  ): Promise<RequestDto> {
    const res = await call<RequestDto>('POST', '/api/v1/requests', token, {
      xiaoquId,
      text,
      channel: 'phone',
      residentName: '李大爷',
      phone: '13812341234',
      ...extra,
    })
    expect(res.status, res.text).toBe(201)
    return res.body
  }

  const getRequest = (number: string, token = admin) =>
    call<RequestDto>('GET', `/api/v1/requests/${number}`, token)
  const getEvents = (number: string, token = admin) =>
    call<{ items: EventDto[] }>('GET', `/api/v1/requests/${number}/events`, token)
  const list = (query: string, token = admin) => call<RequestList>('GET', `/api/v1/requests?${query}`, token)

  /** Pages through a listing with `nextCursor` and returns every item, checking each page's size. */
  async function listAll(query: string, token: string, limit: number) {
    const seen: RequestDto[] = []
    let cursor: string | null = null
    for (let page = 0; page < 50; page++) {
      const res = await list(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, token)
      expect(res.status, res.text).toBe(200)
      expect(res.body.items.length).toBeLessThanOrEqual(limit)
      seen.push(...res.body.items)
      cursor = res.body.nextCursor
      if (cursor === null) return seen
      expect(res.body.items).toHaveLength(limit)
    }
    throw new Error('pagination did not end')
  }

  // -------------------------------------------------------------------------------------------------------

  describe('service endpoints and documentation', () => {
    it('answers /healthz and /readyz without a token', async () => {
      const health = await call<{ ok: boolean }>('GET', '/healthz')
      expect(health.status).toBe(200)
      expect(health.body).toEqual({ ok: true })
      const ready = await call<{ ready: boolean; database: boolean; bot: unknown }>('GET', '/readyz')
      expect(ready.status).toBe(200)
      expect(ready.body).toEqual({ ready: true, role: 'all', database: true, bot: null })
    })

    it('serves an OpenAPI 3.1 document listing the request paths with a Bearer scheme', async () => {
      const res = await call<{
        openapi: string
        info: { title: string }
        paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>
        components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> }
      }>('GET', '/api/openapi.json')
      expect(res.status).toBe(200)
      const doc = res.body
      expect(doc.openapi).toBe('3.1.0')
      expect(doc.info.title).toContain('Gaizao')
      for (const path of [
        '/api/v1/requests',
        '/api/v1/requests/{number}',
        '/api/v1/requests/{number}/accept',
        '/api/v1/requests/{number}/assign',
        '/api/v1/requests/{number}/resolve',
        '/api/v1/requests/{number}/reclassify',
        '/api/v1/requests/{number}/events',
        '/api/v1/staff',
        '/api/v1/xiaoqu/{id}/rooms',
        '/api/v1/calendar/overrides',
      ]) {
        expect(Object.keys(doc.paths)).toContain(path)
      }
      expect(Object.keys(doc.paths['/api/v1/requests']!)).toEqual(expect.arrayContaining(['get', 'post']))
      const resolve = doc.paths['/api/v1/requests/{number}/resolve']!.post!
      expect(resolve.security).toEqual([{ Bearer: [] }])
      expect(Object.keys(resolve.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '409']))
      // What any call may meet, whatever its route: a body too large, throttling, the database away.
      for (const [path, methods] of Object.entries(doc.paths).filter(([p]) => p.startsWith('/api/v1/')))
        for (const [method, operation] of Object.entries(methods))
          expect(Object.keys(operation.responses), `${method} ${path}`).toEqual(
            expect.arrayContaining(['429', '503', ...(method === 'get' ? [] : ['413'])]),
          )
      expect(doc.components.securitySchemes.Bearer).toEqual({ type: 'http', scheme: 'bearer' })
      expect(doc.components.schemas).toHaveProperty('Request')
      expect(doc.components.schemas).toHaveProperty('Error')
    })

    it('serves the docs page and the bundled swagger-ui assets from disk', async () => {
      const page = await raw('/api/docs', {})
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toContain('text/html')
      expect(page.text).toContain('/api/openapi.json')
      expect(page.text).toContain('/api/docs/swagger-ui-bundle.js')
      const js = await raw('/api/docs/swagger-ui-bundle.js', {})
      expect(js.status).toBe(200)
      expect(js.headers.get('content-type')).toContain('javascript')
      expect(js.text.length).toBeGreaterThan(100_000)
      expect(js.text).toContain('SwaggerUIBundle')
      const css = await raw('/api/docs/swagger-ui.css', {})
      expect(css.status).toBe(200)
      expect(css.headers.get('content-type')).toContain('text/css')
      expectError(await raw('/api/docs/package.json', {}), 404, 'not_found')
    })
  })

  describe('authentication', () => {
    it('refuses a missing, malformed or wrong token with a Chinese 401 envelope', async () => {
      expectError(await call('GET', '/api/v1/me'), 401, 'auth.missing')
      for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer two tokens', admin]) {
        expectError(await raw('/api/v1/me', { headers: { authorization: header } }), 401, 'auth.missing')
      }
      expectError(await call('GET', '/api/v1/me', 'gz_not-a-real-token'), 401, 'auth.invalid')
      expectError(await call('GET', '/api/v1/requests', `${admin}x`), 401, 'auth.invalid')
      // A mutation without a token changes nothing and is refused before validation.
      expectError(await call('POST', '/api/v1/areas', undefined, { kind: 'district', name: 'x' }), 401)
    })

    it('accepts the admin token, case-insensitive scheme included', async () => {
      const me = await call<StaffDto>('GET', '/api/v1/me', admin)
      expect(me.status).toBe(200)
      expect(me.body).toMatchObject({ role: 'admin', scopePath: null, roleName: '管理员', active: true })
      const lower = await raw<StaffDto>('/api/v1/me', { headers: { authorization: `bearer ${admin}` } })
      expect(lower.status).toBe(200)
      expect(lower.body.role).toBe('admin')
    })

    it('stops honouring an old token once a new one is issued', async () => {
      const { community } = await apiWorld()
      const worker = await createStaff({ role: 'community_worker', areaId: community.id })
      expect((await call('GET', '/api/v1/me', worker.token)).status).toBe(200)
      const rotated = await call<{ token: string }>('POST', `/api/v1/staff/${worker.staff.id}/token`, admin)
      expect(rotated.status).toBe(200)
      expect(rotated.body.token).not.toBe(worker.token)
      expectError(await call('GET', '/api/v1/me', worker.token), 401, 'auth.invalid')
      const me = await call<StaffDto>('GET', '/api/v1/me', rotated.body.token)
      expect(me.status).toBe(200)
      expect(me.body.id).toBe(worker.staff.id)
    })
  })

  describe('validation, not found and unknown routes', () => {
    it('names the wrong fields of a request body', async () => {
      const { xiaoqu } = await apiWorld()
      const good = { xiaoquId: xiaoqu.id, text: '楼道灯坏了', channel: 'phone', residentName: '王阿姨' }
      expectFields(await call('POST', '/api/v1/requests', admin, { ...good, text: '' }), 'text')
      expectFields(await call('POST', '/api/v1/requests', admin, { ...good, text: '    ' }), 'text')
      expectFields(await call('POST', '/api/v1/requests', admin, { ...good, xiaoquId: 'abc' }), 'xiaoquId')
      expectFields(await call('POST', '/api/v1/requests', admin, { ...good, channel: 'wechat' }), 'channel')
      expectFields(await call('POST', '/api/v1/requests', admin, { ...good, phone: '12345' }), 'phone')
      const both = expectFields(
        await call('POST', '/api/v1/requests', admin, { ...good, text: '', xiaoquId: 'abc' }),
        'text',
        'xiaoquId',
      )
      expect(both.message).toContain('text')
      expect(both.message).toContain('xiaoquId')
      const missing = expectFields(await call('POST', '/api/v1/requests', admin, {}), 'xiaoquId', 'text')
      expect(missing.details?.fields?.map((f) => f.path)).toEqual(
        expect.arrayContaining(['channel', 'residentName']),
      )
      // None of the refused bodies filed anything.
      const filed = await list(`xiaoquId=${xiaoqu.id}`)
      expect(filed.body.items).toEqual([])
    })

    it('names the wrong query parameters of the listing', async () => {
      expectFields(await list('status=bogus'), 'status')
      expectFields(await list('limit=0'), 'limit')
      expectFields(await list('limit=101'), 'limit')
      expectFields(await list('limit=abc'), 'limit')
      expectFields(await list('category=不存在'), 'category')
      expectFields(await list('xiaoquId=-1'), 'xiaoquId')
      expectFields(await list('overdue=yes'), 'overdue')
      expectFields(await list('cursor=abc'), 'cursor')
      expectFields(await list('status=bogus&limit=0'), 'status', 'limit')
    })

    it('refuses a malformed JSON body with a 400 envelope, not a 500', async () => {
      const res = await raw('/api/v1/requests', {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: '{"text": "楼道灯坏了", ',
      })
      const error = expectError(res, 400)
      expect(error.message).toContain('JSON')
      const areas = await raw('/api/v1/areas', {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: 'not json at all',
      })
      expectError(areas, 400)
    })

    it('refuses a body that is not declared as JSON with a Chinese 415', async () => {
      const { xiaoqu } = await apiWorld()
      const body = JSON.stringify({
        xiaoquId: xiaoqu.id,
        text: '楼道灯坏了',
        channel: 'phone',
        residentName: '王阿姨',
      })
      const variants: Record<string, string>[] = [
        { authorization: `Bearer ${admin}` },
        { authorization: `Bearer ${admin}`, 'content-type': 'text/plain' },
      ]
      for (const headers of variants) {
        const error = expectError(
          await raw('/api/v1/requests', { method: 'POST', headers, body }),
          415,
          'http.415',
        )
        expect(error.message).toContain('Content-Type')
      }
      expect((await list(`xiaoquId=${xiaoqu.id}`)).body.items).toEqual([])
    })

    it('refuses ids beyond what the database can hold with a 400, not a 500', async () => {
      const { xiaoqu, officer } = await apiWorld()
      const huge = 99_999_999_999
      const good = { xiaoquId: xiaoqu.id, text: '楼道灯坏了', channel: 'phone', residentName: '王阿姨' }
      expectFields(await call('POST', '/api/v1/requests', admin, { ...good, xiaoquId: huge }), 'xiaoquId')
      expectFields(await list(`xiaoquId=${huge}`), 'xiaoquId')
      expectFields(await list(`cursor=${huge}`), 'cursor')
      expectFields(await call('GET', `/api/v1/xiaoqu/${huge}/rooms`, admin), 'id')
      expectFields(await call('POST', `/api/v1/staff/${huge}/binding-code`, admin), 'id')
      expectFields(
        await call('POST', '/api/v1/staff', admin, { name: '大编号', role: 'officer', areaId: huge }),
        'areaId',
      )
      expectFields(
        await call('POST', '/api/v1/xiaoqu', admin, { communityId: huge, name: '大编号' }),
        'communityId',
      )
      const { number } = await fileRequest(xiaoqu.id, '楼道灯坏了')
      expectFields(
        await call('POST', `/api/v1/requests/${number}/assign`, officer.token, { staffId: huge }),
        'staffId',
      )
      // The largest id that fits is simply not found.
      expectError(await call('GET', '/api/v1/xiaoqu/2147483647/rooms', admin), 404, 'xiaoqu.not_found')
    })

    it('answers 404 for an unknown request number and 400 for a malformed one', async () => {
      const missing = expectError(await getRequest('Q999999'), 404, 'requests.not_found')
      expect(missing.message).toContain('Q999999')
      expectError(await getEvents('Q999999'), 404, 'requests.not_found')
      expectError(await call('POST', '/api/v1/requests/Q999999/accept', admin, {}), 404, 'requests.not_found')
      expectError(
        await call('POST', '/api/v1/requests/Q999999/resolve', admin, { note: '已修好' }),
        404,
        'requests.not_found',
      )
      expectFields(await getRequest('abc'), 'number')
      expectFields(await getRequest('Q12x'), 'number')
      expectFields(await getRequest('Q1234567890'), 'number')
      expectFields(await call('POST', '/api/v1/requests/abc/accept', admin, {}), 'number')
      expectError(await call('GET', '/api/v1/xiaoqu/999999/rooms', admin), 404, 'xiaoqu.not_found')
      expectFields(await call('GET', '/api/v1/xiaoqu/abc/rooms', admin), 'id')
      expectError(
        await call('POST', '/api/v1/requests', admin, {
          xiaoquId: 999999,
          text: '楼道灯坏了',
          channel: 'phone',
          residentName: '王阿姨',
        }),
        404,
        'xiaoqu.not_found',
      )
    })

    it('answers unknown routes with the 404 envelope', async () => {
      const inside = expectError(await call('GET', '/api/v1/no-such-thing', admin), 404, 'not_found')
      expect(inside.message).toContain('/api/v1/no-such-thing')
      expectError(await call('GET', '/no-such-thing'), 404, 'not_found')
      expectError(await call('DELETE', '/api/v1/requests', admin), 404, 'not_found')
    })
  })

  describe('the admin setting up a new area', () => {
    it('creates district → street → community, refusing bad parents and duplicates', async () => {
      const district = await createArea('district')
      expect(district).toMatchObject({ kind: 'district', parentId: null, path: `/${district.id}/` })
      const street = await createArea('street', district.id)
      expect(street.path).toBe(`/${district.id}/${street.id}/`)
      const community = await createArea('community', street.id)
      expect(community.path).toBe(`${street.path}${community.id}/`)

      expectError(await call('POST', '/api/v1/areas', admin, { kind: 'street', name: '无上级' }), 400)
      expectError(
        await call('POST', '/api/v1/areas', admin, {
          kind: 'community',
          name: '错层级',
          parentId: district.id,
        }),
        400,
        'areas.bad_parent',
      )
      expectError(
        await call('POST', '/api/v1/areas', admin, { kind: 'street', name: '孤儿', parentId: 999999 }),
        404,
        'areas.not_found',
      )
      expectError(
        await call('POST', '/api/v1/areas', admin, {
          kind: 'street',
          name: street.name,
          parentId: district.id,
        }),
        409,
        'areas.exists',
      )
      expectFields(await call('POST', '/api/v1/areas', admin, { kind: 'province', name: 'x' }), 'kind')

      const areas = await call<{ items: AreaDto[] }>('GET', '/api/v1/areas', admin)
      expect(areas.status).toBe(200)
      const ids = areas.body.items.map((a) => a.id)
      expect(ids).toEqual(expect.arrayContaining([district.id, street.id, community.id]))
    })

    it('creates a xiaoqu with rooms whose areas come back exactly, and lists it', async () => {
      const district = await createArea('district')
      const street = await createArea('street', district.id)
      const community = await createArea('community', street.id)
      const created = await call<XiaoquDto & { address: string; buildYear: number }>(
        'POST',
        '/api/v1/xiaoqu',
        admin,
        {
          communityId: community.id,
          name: '幸福里',
          address: '朝阳区幸福路 8 号',
          buildYear: 1986,
        },
      )
      expect(created.status, created.text).toBe(201)
      const xiaoqu = created.body
      expect(xiaoqu).toMatchObject({ name: '幸福里', communityId: community.id, buildYear: 1986 })
      expect(xiaoqu.path).toBe(`${community.path}x${xiaoqu.id}/`)
      expectError(
        await call('POST', '/api/v1/xiaoqu', admin, { communityId: community.id, name: '幸福里' }),
        409,
        'xiaoqu.exists',
      )
      expectError(
        await call('POST', '/api/v1/xiaoqu', admin, { communityId: street.id, name: '街道不是社区' }),
        404,
        'areas.not_found',
      )

      const rooms = [
        { building: '1号楼', unit: '1单元', room: '101', area: 56.78 },
        { building: '1号楼', unit: '1单元', room: '102', area: 0.29 },
        { building: '1号楼', unit: '2单元', room: '201', area: 123.45 },
        { building: '2号楼', unit: '1单元', room: '101' },
      ]
      const added = await call<{ count: number }>('POST', `/api/v1/xiaoqu/${xiaoqu.id}/rooms`, admin, {
        rooms,
      })
      expect(added.status, added.text).toBe(201)
      expect(added.body.count).toBe(4)

      type Room = { id: number; building: string; unit: string; room: string; area: number | null }
      const listed = await call<{ xiaoqu: { id: number; name: string }; items: Room[] }>(
        'GET',
        `/api/v1/xiaoqu/${xiaoqu.id}/rooms`,
        admin,
      )
      expect(listed.status).toBe(200)
      expect(listed.body.xiaoqu).toEqual({ id: xiaoqu.id, name: '幸福里' })
      expect(
        listed.body.items.map(({ building, unit, room, area }) => ({ building, unit, room, area })),
      ).toEqual([
        { building: '1号楼', unit: '1单元', room: '101', area: 56.78 },
        { building: '1号楼', unit: '1单元', room: '102', area: 0.29 },
        { building: '1号楼', unit: '2单元', room: '201', area: 123.45 },
        { building: '2号楼', unit: '1单元', room: '101', area: null },
      ])
      expect(listed.text).toContain('56.78')

      // Adding an existing room again keeps its id and updates its area; nothing is duplicated.
      const first = listed.body.items[0]!
      const again = await call('POST', `/api/v1/xiaoqu/${xiaoqu.id}/rooms`, admin, {
        rooms: [{ building: '1号楼', unit: '1单元', room: '101', area: 60.5 }],
      })
      expect(again.status).toBe(201)
      const relisted = await call<{ items: Room[] }>('GET', `/api/v1/xiaoqu/${xiaoqu.id}/rooms`, admin)
      expect(relisted.body.items).toHaveLength(4)
      expect(relisted.body.items[0]).toMatchObject({ id: first.id, area: 60.5 })

      expectFields(
        await call('POST', `/api/v1/xiaoqu/${xiaoqu.id}/rooms`, admin, {
          rooms: [{ building: '3号楼', unit: '1单元', room: '101', area: 1.005 }],
        }),
        'rooms.0.area',
      )
      expectFields(await call('POST', `/api/v1/xiaoqu/${xiaoqu.id}/rooms`, admin, { rooms: [] }), 'rooms')
      expect(
        (await call<{ items: Room[] }>('GET', `/api/v1/xiaoqu/${xiaoqu.id}/rooms`, admin)).body.items,
      ).toHaveLength(4)

      const all = await call<{ items: (XiaoquDto & { communityName: string; households: number })[] }>(
        'GET',
        '/api/v1/xiaoqu',
        admin,
      )
      expect(all.status).toBe(200)
      expect(all.body.items.find((x) => x.id === xiaoqu.id)).toMatchObject({
        name: '幸福里',
        communityId: community.id,
        communityName: community.name,
        households: 4,
      })
    })

    it('creates an officer whose token is shown once, works, and is never listed', async () => {
      const { community, xiaoqu } = await apiWorld()
      const res = await call<{ staff: StaffDto; token: string }>('POST', '/api/v1/staff', admin, {
        name: '刘主任',
        role: 'officer',
        areaId: community.id,
        phone: '13900001111',
      })
      expect(res.status, res.text).toBe(201)
      const { staff, token } = res.body
      expect(token).toMatch(/^gz_[\w-]{20,}$/)
      expect(staff).toMatchObject({
        name: '刘主任',
        role: 'officer',
        roleName: '工作人员',
        scopePath: community.path,
        wechatBound: false,
        active: true,
      })
      expect(res.text).not.toContain('tokenHash')
      expect(res.text).not.toContain(sha256(token))

      const me = await call<StaffDto>('GET', '/api/v1/me', token)
      expect(me.status).toBe(200)
      expect(me.body).toEqual(staff)

      const listed = await call<{ items: StaffDto[] }>('GET', '/api/v1/staff', admin)
      expect(listed.status).toBe(200)
      expect(listed.body.items.map((s) => s.id)).toContain(staff.id)
      expect(listed.text).not.toContain('tokenHash')
      expect(listed.text).not.toContain(token)
      expect(listed.text).not.toContain(sha256(token))
      expect(listed.text).not.toContain(sha256(admin))
      for (const item of listed.body.items) expect(Object.keys(item)).not.toContain('tokenHash')

      // The officer sees the staff inside the community only: not the admin.
      const own = await call<{ items: StaffDto[] }>('GET', '/api/v1/staff', token)
      expect(own.status).toBe(200)
      expect(own.body.items.map((s) => s.id)).toContain(staff.id)
      expect(own.body.items.every((s) => s.scopePath?.startsWith(community.path))).toBe(true)

      // Staff below admin need a scope; a scope must exist.
      expectError(
        await call('POST', '/api/v1/staff', admin, { name: '无范围', role: 'officer' }),
        400,
        'staff.scope_required',
      )
      expectError(
        await call('POST', '/api/v1/staff', admin, {
          name: '无小区',
          role: 'property_staff',
          xiaoquId: 999999,
        }),
        404,
        'xiaoqu.not_found',
      )
      expectFields(
        await call('POST', '/api/v1/staff', admin, { name: '', role: 'boss', areaId: 1 }),
        'name',
        'role',
      )

      // A property_staff member scoped to the xiaoqu.
      const property = await createStaff({ role: 'property_staff', xiaoquId: xiaoqu.id })
      expect(property.staff.scopePath).toBe(xiaoqu.path)
    })

    it('issues binding codes with Chinese instructions', async () => {
      const { xiaoqu, officer } = await apiWorld()
      const forStaff = await call<BindCodeDto>(
        'POST',
        `/api/v1/staff/${officer.staff.id}/binding-code`,
        admin,
      )
      expect(forStaff.status, forStaff.text).toBe(201)
      expect(forStaff.body.code).toMatch(/^[2-9A-HJKMNP-Z]{6}$/)
      expect(forStaff.body.instructions).toContain(`绑定 ${forStaff.body.code}`)
      expect(forStaff.body.instructions).toMatch(chinese)
      expect(new Date(forStaff.body.expiresAt).getTime() - deps.clock.now().getTime()).toBe(
        deps.config.bindCodeTtlMinutes * minute,
      )
      // Staff may ask for their own code.
      const own = await call<BindCodeDto>(
        'POST',
        `/api/v1/staff/${officer.staff.id}/binding-code`,
        officer.token,
      )
      expect(own.status).toBe(201)
      expect(own.body.code).not.toBe(forStaff.body.code)
      expectError(await call('POST', '/api/v1/staff/999999/binding-code', admin), 404, 'staff.not_found')

      const forGroup = await call<BindCodeDto>('POST', `/api/v1/xiaoqu/${xiaoqu.id}/binding-code`, admin, {})
      expect(forGroup.status, forGroup.text).toBe(201)
      expect(forGroup.body.instructions).toContain(`绑定小区 ${forGroup.body.code}`)
      const byOfficer = await call<BindCodeDto>(
        'POST',
        `/api/v1/xiaoqu/${xiaoqu.id}/binding-code`,
        officer.token,
        {
          kind: 'building',
        },
      )
      expect(byOfficer.status, byOfficer.text).toBe(201)
      expectFields(
        await call('POST', `/api/v1/xiaoqu/${xiaoqu.id}/binding-code`, admin, { kind: 'officers' }),
        'kind',
      )

      const audit = await call<{ items: AuditDto[] }>('GET', '/api/v1/audit?entity=bind_code', admin)
      const codes = audit.body.items.map((a) => a.entityId)
      expect(codes).toEqual(
        expect.arrayContaining([forStaff.body.code, forGroup.body.code, byOfficer.body.code]),
      )
    })
  })

  describe('a request from filing to resolution', () => {
    it('files on a resident’s behalf with number, category and deadlines; shows the phone only in full view', async () => {
      const { xiaoqu, officer } = await apiWorld()
      const created = await call<RequestDto>('POST', '/api/v1/requests', officer.token, {
        xiaoquId: xiaoqu.id,
        text: '3号楼2单元楼道灯坏了，晚上黑乎乎的',
        channel: 'phone',
        residentName: '李大爷',
        phone: '13812341234',
        location: '3号楼2单元',
      })
      expect(created.status, created.text).toBe(201)
      const request = created.body
      expect(request.number).toMatch(/^Q\d{4,}$/)
      expect(request).toMatchObject({
        status: 'submitted',
        category: '照明',
        menuItem: '补市政基础设施',
        urgency: 'normal',
        channel: 'phone',
        xiaoquId: xiaoqu.id,
        xiaoquName: xiaoqu.name,
        authorName: '李大爷',
        location: '3号楼2单元',
        // In full only to whoever holds the request, and admins: the filing officer does not hold it.
        contactPhone: '138****1234',
        assigneeStaffId: null,
        respondedAt: null,
        overdue: false,
        createdAt: '2026-03-02T02:00:00.000Z',
      })
      // Monday 10:00: respond by the next working day, resolve within 7 working days (Wednesday 11 March).
      expect(request.responseDueAt).toBe('2026-03-03T02:00:00.000Z')
      expect(request.resolutionDueAt).toBe('2026-03-11T02:00:00.000Z')

      const full = await getRequest(request.number, officer.token)
      expect(full.status).toBe(200)
      expect(full.body.contactPhone).toBe('138****1234')
      expect(full.body).toEqual(request)
      expect((await getRequest(request.number, admin)).body.contactPhone).toBe('13812341234')
      // Numbers are accepted without the Q and in lower case too.
      expect((await getRequest(request.number.slice(1), officer.token)).body.number).toBe(request.number)
      expect((await getRequest(request.number.toLowerCase(), officer.token)).body.number).toBe(request.number)

      const listed = await list(`xiaoquId=${xiaoqu.id}`, officer.token)
      expect(listed.body.items).toHaveLength(1)
      expect(listed.body.items[0]!.contactPhone).toBe('138****1234')
      expect(listed.text).not.toContain('13812341234')

      const filed = await getEvents(request.number, officer.token)
      expect(filed.body.items).toHaveLength(1)
      expect(filed.body.items[0]).toMatchObject({
        kind: 'filed',
        actorKind: 'staff',
        actorName: officer.staff.name,
      })

      const audit = await call<{ items: AuditDto[] }>(
        'GET',
        `/api/v1/audit?entity=request&entityId=${request.number}`,
        admin,
      )
      expect(audit.body.items.map((a) => a.action)).toEqual(['request.create'])
      expect(audit.body.items[0]).toMatchObject({ via: 'api', actorName: officer.staff.name })
    })

    it('accepts, reassigns, reclassifies and resolves, with events, audit and 409s on wrong transitions', async () => {
      const { community, xiaoqu, officer } = await apiWorld()
      const colleague = await createStaff({ role: 'officer', areaId: community.id, name: '赵工' })
      const request = await fileRequest(xiaoqu.id, '单元门口的路灯不亮了')
      const { number } = request
      const path = `/api/v1/requests/${number}`

      deps.clock.advance(30 * minute)
      const accepted = await call<RequestDto>('POST', `${path}/accept`, officer.token, { note: '马上派人' })
      expect(accepted.status, accepted.text).toBe(200)
      expect(accepted.body).toMatchObject({
        status: 'accepted',
        assigneeStaffId: officer.staff.id,
        respondedAt: '2026-03-02T02:30:00.000Z',
      })
      const acceptAgain = expectError(
        await call('POST', `${path}/accept`, officer.token, {}),
        409,
        'requests.wrong_status',
      )
      expect(acceptAgain.message).toContain(number)

      deps.clock.advance(minute)
      const assigned = await call<RequestDto>('POST', `${path}/assign`, officer.token, {
        staffId: colleague.staff.id,
      })
      expect(assigned.status, assigned.text).toBe(200)
      expect(assigned.body.assigneeStaffId).toBe(colleague.staff.id)
      expectError(
        await call('POST', `${path}/assign`, officer.token, { staffId: 999999 }),
        404,
        'staff.not_found',
      )
      expectFields(await call('POST', `${path}/assign`, officer.token, { staffId: 'zhao' }), 'staffId')

      deps.clock.advance(minute)
      expectFields(
        await call('POST', `${path}/reclassify`, colleague.token, { category: '不存在', reason: '分错了' }),
        'category',
      )
      expectFields(
        await call('POST', `${path}/reclassify`, colleague.token, { category: '消防安全', reason: ' ' }),
        'reason',
      )
      const reclassified = await call<RequestDto>('POST', `${path}/reclassify`, colleague.token, {
        category: '消防安全',
        reason: '灯下堆了杂物，堵了消防通道',
      })
      expect(reclassified.status, reclassified.text).toBe(200)
      expect(reclassified.body).toMatchObject({ category: '消防安全', status: 'accepted' })
      expect(reclassified.body.menuItem).not.toBe(request.menuItem)

      const audit = await call<{ items: AuditDto[] }>(
        'GET',
        `/api/v1/audit?entity=request&entityId=${number}`,
        admin,
      )
      expect(audit.status).toBe(200)
      expect(audit.body.items.map((a) => a.action)).toEqual([
        'request.reclassify',
        'request.assign',
        'request.accept',
        'request.create',
      ])
      expect(audit.body.items.every((a) => a.entity === 'request' && a.entityId === number)).toBe(true)
      expect(audit.body.items[0]).toMatchObject({
        actorName: '赵工',
        via: 'api',
        before: { category: '照明' },
        after: { category: '消防安全', reason: '灯下堆了杂物，堵了消防通道' },
      })
      expectError(
        await call('GET', `/api/v1/audit?entity=request&entityId=${number}`, officer.token),
        403,
        'auth.role',
      )

      deps.clock.advance(minute)
      expectFields(await call('POST', `${path}/resolve`, colleague.token, { note: '' }), 'note')
      expectFields(await call('POST', `${path}/resolve`, colleague.token, { note: '   ' }), 'note')
      expectFields(await call('POST', `${path}/resolve`, colleague.token, {}), 'note')
      const resolved = await call<RequestDto>('POST', `${path}/resolve`, colleague.token, {
        note: '已清理杂物并更换灯泡',
      })
      expect(resolved.status, resolved.text).toBe(200)
      expect(resolved.body).toMatchObject({
        status: 'resolved',
        resolutionNote: '已清理杂物并更换灯泡',
        resolvedAt: '2026-03-02T02:33:00.000Z',
        respondedAt: '2026-03-02T02:30:00.000Z',
        assigneeStaffId: colleague.staff.id,
      })
      expectError(
        await call('POST', `${path}/resolve`, colleague.token, { note: '再办一次' }),
        409,
        'requests.wrong_status',
      )
      expectError(await call('POST', `${path}/accept`, colleague.token, {}), 409, 'requests.wrong_status')
      expectError(
        await call('POST', `${path}/assign`, officer.token, { staffId: officer.staff.id }),
        409,
        'requests.wrong_status',
      )

      const events = await getEvents(number, officer.token)
      expect(events.status).toBe(200)
      expect(events.body.items.map((e) => e.kind)).toEqual([
        'filed',
        'accepted',
        'assigned',
        'reclassified',
        'resolved',
      ])
      const times = events.body.items.map((e) => Date.parse(e.at))
      expect(times).toEqual([...times].sort((a, b) => a - b))
      expect(events.body.items[1]).toMatchObject({ actorName: officer.staff.name, note: '马上派人' })
      expect(events.body.items[2]!.data).toEqual({ from: officer.staff.id, to: colleague.staff.id })
      expect(events.body.items[3]).toMatchObject({ actorName: '赵工', note: '灯下堆了杂物，堵了消防通道' })
      expect(events.body.items[4]).toMatchObject({
        note: '已清理杂物并更换灯泡',
        at: '2026-03-02T02:33:00.000Z',
      })
    })

    it('loses nothing stored when a call fails: status, fields and events stay as they were', async () => {
      const { xiaoqu, officer } = await apiWorld()
      const other = await apiWorld()
      const { number } = await fileRequest(xiaoqu.id, '电梯又坏了，老人上不去楼')
      const path = `/api/v1/requests/${number}`
      expect((await call('POST', `${path}/accept`, officer.token, {})).status).toBe(200)

      const before = await getRequest(number)
      const eventsBefore = await getEvents(number)
      expect(eventsBefore.body.items).toHaveLength(2)

      const failures = [
        expectError(await call('POST', `${path}/accept`, officer.token, {}), 409),
        expectError(await call('POST', `${path}/resolve`, officer.token, { note: '' }), 400),
        expectError(
          await call('POST', `${path}/reclassify`, officer.token, { category: 'x', reason: 'y' }),
          400,
        ),
        expectError(await call('POST', `${path}/assign`, officer.token, { staffId: 999999 }), 404),
        // Reassigning to an officer of another community is out of their scope.
        expectError(
          await call('POST', `${path}/assign`, officer.token, { staffId: other.officer.staff.id }),
          403,
        ),
        expectError(await call('POST', `${path}/resolve`, other.officer.token, { note: '越权办结' }), 403),
        expectError(
          await raw(`${path}/resolve`, {
            method: 'POST',
            headers: { authorization: `Bearer ${officer.token}`, 'content-type': 'application/json' },
            body: '{"note": "已修好"',
          }),
          400,
        ),
      ]
      expect(failures).toHaveLength(7)

      const after = await getRequest(number)
      expect(after.body).toEqual(before.body)
      expect(after.body.status).toBe('accepted')
      const eventsAfter = await getEvents(number)
      expect(eventsAfter.body).toEqual(eventsBefore.body)
      const audit = await call<{ items: AuditDto[] }>(
        'GET',
        `/api/v1/audit?entity=request&entityId=${number}`,
        admin,
      )
      expect(audit.body.items.map((a) => a.action)).toEqual(['request.accept', 'request.create'])
    })
  })

  describe('permissions', () => {
    it('keeps officers to their own community: 403 on reading, accepting and filing elsewhere', async () => {
      const home = await apiWorld()
      const away = await apiWorld()
      const { number } = await fileRequest(home.xiaoqu.id, '绿地里全是垃圾没人扫')

      const read = expectError(await getRequest(number, away.officer.token), 403, 'auth.out_of_scope')
      expect(read.message).toContain(number)
      expectError(await getEvents(number, away.officer.token), 403, 'auth.out_of_scope')
      expectError(await call('POST', `/api/v1/requests/${number}/accept`, away.officer.token, {}), 403)
      expectError(
        await call('POST', `/api/v1/requests/${number}/reclassify`, away.officer.token, {
          category: '其他',
          reason: '越权',
        }),
        403,
      )
      expectError(
        await call('POST', '/api/v1/requests', away.officer.token, {
          xiaoquId: home.xiaoqu.id,
          text: '楼道灯坏了',
          channel: 'visit',
          residentName: '王阿姨',
        }),
        403,
        'auth.out_of_scope',
      )
      expectError(await call('GET', `/api/v1/xiaoqu/${home.xiaoqu.id}/rooms`, away.officer.token), 403)
      expectError(
        await call('POST', `/api/v1/xiaoqu/${home.xiaoqu.id}/binding-code`, away.officer.token, {}),
        403,
      )
      const theirs = await call<{ items: XiaoquDto[] }>('GET', '/api/v1/xiaoqu', away.officer.token)
      expect(theirs.body.items.map((x) => x.id)).toEqual([away.xiaoqu.id])

      const unchanged = await getRequest(number, home.officer.token)
      expect(unchanged.body.status).toBe('submitted')
      expect(unchanged.body.assigneeStaffId).toBeNull()
      expect((await getEvents(number, home.officer.token)).body.items.map((e) => e.kind)).toEqual(['filed'])
    })

    it('refuses admin-only operations to everyone else', async () => {
      const { community, officer } = await apiWorld()
      expectError(
        await call('POST', '/api/v1/staff', officer.token, {
          name: '冒名',
          role: 'officer',
          areaId: community.id,
        }),
        403,
        'auth.role',
      )
      expectError(
        await call('POST', '/api/v1/staff', officer.token, { name: '冒名管理员', role: 'admin' }),
        403,
        'auth.role',
      )
      expectError(
        await call('POST', '/api/v1/areas', officer.token, { kind: 'district', name: uniqueId('区') }),
        403,
        'auth.role',
      )
      const colleague = await createStaff({ role: 'officer', areaId: community.id })
      expectError(
        await call('POST', `/api/v1/staff/${colleague.staff.id}/token`, officer.token),
        403,
        'auth.role',
      )
      expectError(
        await call('POST', `/api/v1/staff/${colleague.staff.id}/binding-code`, officer.token),
        403,
        'auth.role',
      )
      expectError(await call('GET', '/api/v1/audit', officer.token), 403, 'auth.role')
      // The colleague's token still works: the refused rotation changed nothing.
      expect((await call('GET', '/api/v1/me', colleague.token)).status).toBe(200)
    })

    it('lets property staff see only what they hold', async () => {
      const world = await makeWorld(deps)
      const property = await makeStaff(deps, {
        name: uniqueId('物业'),
        role: 'property_staff',
        xiaoquId: world.xiaoqu.id,
      })
      const held = await fileRequest(world.xiaoqu.id, '楼道里堆满了杂物，堵了消防通道')
      const notHeld = await fileRequest(world.xiaoqu.id, '小区停车位太少，车没地方停')
      const officer = world.officer.token

      expectError(await getRequest(held.number, property.token), 403, 'auth.out_of_scope')
      expectError(await call('POST', `/api/v1/requests/${held.number}/accept`, property.token, {}), 403)

      const assigned = await call<RequestDto>('POST', `/api/v1/requests/${held.number}/assign`, officer, {
        staffId: property.staff.id,
      })
      expect(assigned.status, assigned.text).toBe(200)
      const visible = await getRequest(held.number, property.token)
      expect(visible.status).toBe(200)
      expect(visible.body.assigneeStaffId).toBe(property.staff.id)
      expectError(await getRequest(notHeld.number, property.token), 403, 'auth.out_of_scope')

      const theirs = await list('limit=100', property.token)
      expect(theirs.body.items.map((r) => r.number)).toEqual([held.number])

      const resolved = await call<RequestDto>(
        'POST',
        `/api/v1/requests/${held.number}/resolve`,
        property.token,
        {
          note: '已清走杂物',
        },
      )
      expect(resolved.status, resolved.text).toBe(200)
      expect(resolved.body.status).toBe('resolved')
      expectError(
        await call('POST', `/api/v1/requests/${notHeld.number}/resolve`, property.token, {
          note: '顺手办了',
        }),
        403,
        'requests.not_assignee',
      )
      expect((await getRequest(notHeld.number)).body.status).toBe('submitted')
    })

    it('answers property staff with what they did, even when it leaves their hands', async () => {
      const world = await makeWorld(deps)
      const property = await makeStaff(deps, {
        name: uniqueId('物业'),
        role: 'property_staff',
        xiaoquId: world.xiaoqu.id,
      })

      // Filing for a resident who phoned the property office: 201 with the request, stored once.
      const filed = await call<RequestDto>('POST', '/api/v1/requests', property.token, {
        xiaoquId: world.xiaoqu.id,
        text: '电梯又坏了，老人上不去楼',
        channel: 'phone',
        residentName: '孙大妈',
        phone: '13700001234',
      })
      expect(filed.status, filed.text).toBe(201)
      expect(filed.body).toMatchObject({ status: 'submitted', category: '电梯', contactPhone: '137****1234' })
      const stored = await list(`xiaoquId=${world.xiaoqu.id}&limit=100`)
      expect(stored.body.items.map((r) => r.number)).toEqual([filed.body.number])

      // Handing a held request back to the officer: 200 with the new holder, after which it is out of sight.
      const { number } = filed.body
      expect(
        (
          await call('POST', `/api/v1/requests/${number}/assign`, world.officer.token, {
            staffId: property.staff.id,
          })
        ).status,
      ).toBe(200)
      const handed = await call<RequestDto>('POST', `/api/v1/requests/${number}/assign`, property.token, {
        staffId: world.officer.staff.id,
        note: '属于电梯维保单位，转回社区',
      })
      expect(handed.status, handed.text).toBe(200)
      expect(handed.body.assigneeStaffId).toBe(world.officer.staff.id)
      expectError(await getRequest(number, property.token), 403, 'auth.out_of_scope')
      const events = await getEvents(number, world.officer.token)
      expect(events.body.items.map((e) => e.kind)).toEqual(['filed', 'assigned', 'assigned'])
    })
  })

  describe('listing, filters and keyset pagination', () => {
    it('pages newest first without duplicates, filters, flags overdue requests and keeps officers in scope', async () => {
      // A street with two communities, one xiaoqu each; one officer for the street, one for community A.
      const district = await createArea('district')
      const street = await createArea('street', district.id)
      const communityA = await createArea('community', street.id)
      const communityB = await createArea('community', street.id)
      const xiaoquA = await createXiaoqu(communityA.id)
      const xiaoquB = await createXiaoqu(communityB.id)
      const streetOfficer = await createStaff({ role: 'officer', areaId: street.id })
      const officerA = await createStaff({ role: 'officer', areaId: communityA.id })

      const plan: [number, string, string][] = [
        [xiaoquA.id, '3号楼楼道灯坏了，晚上黑乎乎的', '照明'],
        [xiaoquB.id, '小区停车位太少，车没地方停', '停车'],
        [xiaoquA.id, '电梯又坏了，老人上不去楼', '电梯'],
        [xiaoquB.id, '单元门口的路灯不亮了', '照明'],
        [xiaoquA.id, '小区停车位太少，车没地方停', '停车'],
        [xiaoquB.id, '电梯又坏了，老人上不去楼', '电梯'],
        [xiaoquA.id, '5号楼的楼道灯不亮了', '照明'],
      ]
      const filed: RequestDto[] = []
      for (const [xiaoquId, text, category] of plan) {
        const r = await fileRequest(xiaoquId, text)
        expect(r.category).toBe(category)
        filed.push(r)
        deps.clock.advance(minute)
      }
      const newestFirst = filed.map((r) => r.number).reverse()

      // Street officer: all seven, three at a time.
      const paged = await listAll('', streetOfficer.token, 3)
      expect(paged.map((r) => r.number)).toEqual(newestFirst)
      expect(new Set(paged.map((r) => r.number)).size).toBe(7)
      const first = await list('limit=3', streetOfficer.token)
      expect(first.body.items).toHaveLength(3)
      expect(first.body.nextCursor).toMatch(/^\d+$/)
      const exact = await list('limit=7', streetOfficer.token)
      expect(exact.body.nextCursor).toBeNull()
      expect(paged.every((r) => r.contactPhone === '138****1234')).toBe(true)

      // Officer A: only xiaoqu A, even when asking for B.
      const inA = await listAll('', officerA.token, 2)
      expect(inA.map((r) => r.number)).toEqual(
        newestFirst.filter((n) => filed.find((r) => r.number === n)!.xiaoquId === xiaoquA.id),
      )
      expect(inA).toHaveLength(4)
      expect((await list(`xiaoquId=${xiaoquB.id}`, officerA.token)).body.items).toEqual([])
      expectError(await getRequest(filed[1]!.number, officerA.token), 403)

      // Move some along: accept #3 (电梯 in A), resolve #1 (照明 in A).
      const [r1, , r3] = filed
      expect((await call('POST', `/api/v1/requests/${r3!.number}/accept`, officerA.token, {})).status).toBe(
        200,
      )
      expect(
        (await call('POST', `/api/v1/requests/${r1!.number}/resolve`, officerA.token, { note: '已修好' }))
          .status,
      ).toBe(200)

      const numbers = async (query: string, token = streetOfficer.token) =>
        (await listAll(query, token, 3)).map((r) => r.number)
      expect(await numbers('status=accepted')).toEqual([r3!.number])
      expect(await numbers('status=resolved')).toEqual([r1!.number])
      expect(await numbers('status=submitted')).toHaveLength(5)
      expect(await numbers('category=照明')).toEqual(
        filed
          .filter((r) => r.category === '照明')
          .map((r) => r.number)
          .reverse(),
      )
      expect(await numbers(`xiaoquId=${xiaoquB.id}`)).toEqual(
        filed
          .filter((r) => r.xiaoquId === xiaoquB.id)
          .map((r) => r.number)
          .reverse(),
      )
      expect(await numbers(`category=停车&xiaoquId=${xiaoquB.id}`)).toEqual([filed[1]!.number])
      expect(await numbers(`status=submitted&category=照明&xiaoquId=${xiaoquA.id}`)).toEqual([
        filed[6]!.number,
      ])

      // Nothing is overdue yet.
      expect(await numbers('overdue=true')).toEqual([])
      expect(paged.every((r) => r.overdue === false)).toBe(true)

      // Two days on: responses were due Tuesday, so the submitted ones are overdue; the accepted one is not.
      deps.clock.advance(2 * day)
      const submitted = filed
        .filter((r) => r !== r1 && r !== r3)
        .map((r) => r.number)
        .reverse()
      expect(await numbers('overdue=true')).toEqual(submitted)
      expect(await numbers('overdue=false')).toEqual(
        filed
          .filter((r) => r === r1 || r === r3)
          .map((r) => r.number)
          .reverse(),
      )
      const late = await list('overdue=true&limit=100', streetOfficer.token)
      expect(late.body.items.every((r) => r.overdue)).toBe(true)
      expect(await numbers('overdue=true', officerA.token)).toEqual(
        submitted.filter((n) => filed.find((r) => r.number === n)!.xiaoquId === xiaoquA.id),
      )

      // A month on: resolution deadlines have passed too, so the accepted one joins; the resolved one never does.
      deps.clock.advance(30 * day)
      const open = filed
        .filter((r) => r !== r1)
        .map((r) => r.number)
        .reverse()
      expect(await numbers('overdue=true')).toEqual(open)
      expect(await numbers('overdue=true&status=accepted')).toEqual([r3!.number])
      const resolvedNow = await getRequest(r1!.number, streetOfficer.token)
      expect(resolvedNow.body.overdue).toBe(false)

      // A cursor past the end is an empty page, not an error.
      const tail = await list(`cursor=${first.body.nextCursor}&limit=100`, streetOfficer.token)
      expect(tail.body.items.map((r) => r.number)).toEqual(newestFirst.slice(3))
      expect(tail.body.nextCursor).toBeNull()
    })
  })

  describe('the outbox for admins', () => {
    it('lists messages by status, and only admins may look or decide', async () => {
      const home = await apiWorld()
      const marker = uniqueId('通知')
      const room = `${uniqueId('r')}@chatroom`
      await enqueueMessages(deps.db, [{ conversationId: room, isRoom: true, text: marker }], deps.clock.now())
      const listed = await call<{
        items: { id: number; text: string; status: string }[]
        nextCursor: string | null
      }>('GET', '/api/v1/outbox?status=pending&limit=500', admin)
      expect(listed.status).toBe(200)
      const mine = listed.body.items.find((m) => m.text === marker)
      expect(mine?.status).toBe('pending')
      expectError(await call('GET', '/api/v1/outbox', home.officer.token), 403)
      expectError(await call('POST', `/api/v1/outbox/${mine!.id}/resend`, home.officer.token), 403)
      // A pending message is neither uncertain nor failed: resending it could send it twice.
      expectError(await call('POST', `/api/v1/outbox/${mine!.id}/resend`, admin), 409, 'outbox.wrong_status')
      expectError(await call('POST', '/api/v1/outbox/2147483000/drop', admin), 404, 'outbox.not_found')
      expectFields(await call('GET', '/api/v1/outbox?status=lost', admin), 'status')
      const dropped = await call<{ status: string }>('POST', `/api/v1/outbox/${mine!.id}/drop`, admin)
      expect(dropped.body.status).toBe('dropped')
    })
  })

  describe('broadcast notices', () => {
    it('validates, refuses a scope without groups, and reports progress and cancellation', async () => {
      const home = await apiWorld()
      expectFields(await call('POST', '/api/v1/notices/broadcasts', admin, { text: '停水' }), 'xiaoquId')
      expectFields(
        await call('POST', '/api/v1/notices/broadcasts', admin, {
          text: '停水',
          xiaoquId: home.xiaoqu.id,
          publishAt: '明天',
        }),
        'publishAt',
      )
      expectError(
        await call('POST', '/api/v1/notices/broadcasts', admin, { text: '停水', xiaoquId: home.xiaoqu.id }),
        422,
        'notices.no_groups',
      )
      const world = await makeWorld(deps)
      const publishAt = new Date(deps.clock.now().getTime() + 3_600_000).toISOString()
      const created = await call<{ number: string; status: string }>(
        'POST',
        '/api/v1/notices/broadcasts',
        admin,
        {
          text: '周六社区议事会',
          xiaoquId: world.xiaoqu.id,
          publishAt,
        },
      )
      expect(created.status, created.text).toBe(201)
      expect(created.body.status).toBe('scheduled')
      const shown = await call<{ notice: { status: string }; progress: { totals: Record<string, number> } }>(
        'GET',
        `/api/v1/notices/${created.body.number}`,
        admin,
      )
      expect(shown.body).toMatchObject({ notice: { status: 'scheduled' }, progress: { totals: {} } })
      expectError(await call('GET', '/api/v1/notices/B999999', admin), 404, 'notices.not_found')
      expectFields(await call('GET', '/api/v1/notices/Q1', admin), 'number')
      expectError(
        await call('POST', `/api/v1/notices/${created.body.number}/cancel`, home.officer.token),
        403,
      )
      const cancelled = await call<{ notice: { status: string } }>(
        'POST',
        `/api/v1/notices/${created.body.number}/cancel`,
        admin,
      )
      expect(cancelled.body.notice.status).toBe('cancelled')
      expectError(await call('POST', `/api/v1/notices/${created.body.number}/cancel`, admin), 409)
      // A fee notice without its deadline, and a schedule phase ending before it starts, name the field.
      expectFields(
        await call('POST', '/api/v1/fees', admin, {
          xiaoquId: home.xiaoqu.id,
          period: '2026年',
          standardYuanPerM2Month: 1.5,
          howToPay: '线上',
          contact: '物业',
        }),
        'deadline',
      )
      const phase = {
        name: '外墙',
        buildings: ['1号楼'],
        startsAt: '2026-03-10T08:00:00+08:00',
        endsAt: '2026-03-09T08:00:00+08:00',
      }
      const backwards = await call('POST', '/api/v1/schedules', admin, {
        xiaoquId: home.xiaoqu.id,
        title: '施工',
        phases: [phase],
      })
      expect(backwards.status).toBe(400)
      expect(JSON.stringify(backwards.body)).toContain('phases.0.endsAt')
    })
  })

  describe('calendar overrides', () => {
    // The override changes the shared working calendar, so it gets a database and calendar of its own.
    let own: TestDeps
    let ownApp: ReturnType<typeof createApi>
    beforeAll(async () => {
      own = await createTestDeps(driver)
      ownApp = createApi(own)
    })
    afterAll(async () => {
      await own.database.close()
    })

    const put = async (token: string, body: unknown) =>
      parse<ErrorEnvelope>(
        await ownApp.request('/api/v1/calendar/overrides', {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      )
    const file = async (token: string, xiaoquId: number) => {
      const res = await ownApp.request('/api/v1/requests', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          xiaoquId,
          text: '楼道灯坏了，晚上黑乎乎的',
          channel: 'phone',
          residentName: '周奶奶',
        }),
      })
      expect(res.status).toBe(201)
      return (await res.json()) as RequestDto
    }

    it('makes a Monday a holiday for admins only, and deadlines skip it', async () => {
      const world = await makeWorld(own)
      const friday = new Date('2026-03-06T09:30:00Z') // Friday 6 March 2026, 17:30 Shanghai

      own.clock.set(friday)
      const before = await file(own.adminToken, world.xiaoqu.id)
      expect(before.responseDueAt).toBe('2026-03-09T09:30:00.000Z')
      expect(before.resolutionDueAt).toBe('2026-03-17T09:30:00.000Z')

      const refused = expectError(
        await put(world.officer.token, { days: [{ date: '2026-03-09', kind: 'holiday' }] }),
        403,
        'auth.role',
      )
      expect(refused.message).toMatch(chinese)
      expectFields(
        await put(own.adminToken, { days: [{ date: '2026-02-30', kind: 'holiday' }] }),
        'days.0.date',
      )
      expectFields(await put(own.adminToken, { days: [{ date: '9 March', kind: 'holiday' }] }), 'days.0.date')
      expectFields(await put(own.adminToken, { days: [{ date: '2026-03-09', kind: 'rest' }] }), 'days.0.kind')
      expectFields(await put(own.adminToken, { days: [] }), 'days')
      // Nothing was saved by the refused calls.
      own.clock.set(friday)
      expect((await file(own.adminToken, world.xiaoqu.id)).resolutionDueAt).toBe(before.resolutionDueAt)

      const saved = await put(own.adminToken, {
        days: [{ date: '2026-03-09', kind: 'holiday', name: '整治停工日' }],
      })
      expect(saved.status, saved.text).toBe(200)
      expect(saved.body).toEqual({ saved: 1 })
      const listed = await parse<{ items: { date: string; kind: string; name: string | null }[] }>(
        await ownApp.request('/api/v1/calendar/overrides', {
          headers: { authorization: `Bearer ${own.adminToken}` },
        }),
      )
      expect(listed.body.items).toEqual([
        expect.objectContaining({ date: '2026-03-09', kind: 'holiday', name: '整治停工日' }),
      ])

      own.clock.set(friday)
      const after = await file(own.adminToken, world.xiaoqu.id)
      // Monday 9 March no longer counts: respond by Tuesday 10, resolve by Wednesday 18 March.
      expect(after.responseDueAt).toBe('2026-03-10T09:30:00.000Z')
      expect(after.resolutionDueAt).toBe('2026-03-18T09:30:00.000Z')
      expect(Date.parse(after.resolutionDueAt) - Date.parse(before.resolutionDueAt)).toBe(day)

      // Replacing the override with a working day restores the default.
      const restored = await put(own.adminToken, { days: [{ date: '2026-03-09', kind: 'workday' }] })
      expect(restored.status).toBe(200)
      own.clock.set(friday)
      expect((await file(own.adminToken, world.xiaoqu.id)).resolutionDueAt).toBe(before.resolutionDueAt)
    })
  })
})
