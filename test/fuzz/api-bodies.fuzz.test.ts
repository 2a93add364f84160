import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Api, createApi } from '../../api/app'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeWorld } from '../support/factories'
import { fuzzParameters, fuzzTimeoutMs, isChineseMessage } from './fuzz'
import {
  arbitraryFor,
  type JsonSchema,
  numberPool,
  PoolPick,
  type Pools,
  resolvePicks,
} from './schema-arbitrary'

interface Operation {
  method: string
  path: string
  parameters: { name: string; schema: JsonSchema }[]
  body: JsonSchema
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string; schema: JsonSchema }[]
        requestBody?: { content: Record<string, { schema: JsonSchema }> }
      }
    >
  >
  components: { schemas: Record<string, JsonSchema> }
}

/** Every operation of the document that takes a JSON body, with its path parameters. */
function jsonOperations(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).flatMap(([method, op]) => {
      const body = op.requestBody?.content['application/json']?.schema
      if (!body) return []
      const parameters = (op.parameters ?? []).filter((p) => p.in === 'path')
      return [{ method: method.toUpperCase(), path, parameters, body }]
    }),
  )
}

/** The kind of row a path's `{id}` names: /xiaoqu/{id}/rooms a xiaoqu, /staff/{id}/token a staff member. */
const pathIdPools: Record<string, string> = {
  xiaoqu: 'xiaoquId',
  staff: 'staffId',
  areas: 'areaId',
  organisations: 'organisationId',
  groups: 'groupId',
  attachments: 'attachmentId',
  'identity-issues': 'identityIssueId',
}
const poolOfPath = (path: string) => pathIdPools[path.split('/')[3] ?? ''] ?? 'id'

/** A path parameter: an existing row's id or number mostly, else one of the right form, else anything. */
function parameterArbitrary(schema: JsonSchema, idPool: string) {
  const pool = numberPool(schema.pattern)
  const garbage = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.constantFrom('0', '-1', '1.5', '..'),
  )
  if (pool)
    return fc.oneof(
      { arbitrary: fc.nat().map((i) => new PoolPick(pool, i, `${pool.slice(-1)}1`)), weight: 4 },
      { arbitrary: fc.stringMatching(new RegExp(schema.pattern!)), weight: 1 },
      { arbitrary: garbage, weight: 1 },
    )
  if (schema.type === 'integer')
    return fc.oneof(
      { arbitrary: fc.nat().map((i) => new PoolPick(idPool, i, 1)), weight: 4 },
      { arbitrary: fc.integer({ min: schema.minimum ?? 1, max: schema.maximum ?? 100 }), weight: 1 },
      { arbitrary: garbage, weight: 1 },
    )
  return fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), garbage)
}

/** A body as a client might send it: of the schema's shape, any JSON value, broken JSON, or none. */
function bodyArbitrary(schema: JsonSchema, definitions: Record<string, JsonSchema>) {
  return fc.oneof(
    { arbitrary: arbitraryFor(schema, definitions).map((value) => ({ json: value })), weight: 8 },
    { arbitrary: fc.jsonValue().map((value) => ({ json: value })), weight: 2 },
    {
      arbitrary: fc.oneof(
        fc.json().map((text) => text.slice(0, Math.max(1, text.length - 1))),
        fc.string({ maxLength: 40 }),
        fc.constantFrom('{', '{"text":', '[1,', 'null', '', '\ufeff{}'),
      ),
      weight: 1,
    },
    { arbitrary: fc.constant(undefined), weight: 1 },
  )
}

/**
 * What a 2xx answer created: its ids and numbers join the pools the next requests draw from. An `id` is of
 * the kind the route is about (`idOf`), an `xxxId` of its own kind.
 */
function harvest(value: unknown, pools: Pools, idOf: string, key = '') {
  if (Array.isArray(value)) {
    for (const v of value.slice(0, 20)) harvest(v, pools, idOf, key)
    return
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) harvest(v, pools, k === 'id' ? idOf : 'id', k)
    return
  }
  const add = (pool: string, v: unknown) => {
    const members = pools.get(pool) ?? []
    if (!members.includes(v) && members.length < 300) pools.set(pool, [...members, v])
  }
  if ((key === 'id' || key.endsWith('Id')) && Number.isInteger(value) && (value as number) > 0)
    add('id', value)
  if (key === 'number' && typeof value === 'string' && /^[A-Z]\d{1,9}$/.test(value))
    add(`number:${value[0]}`, value)
}

/**
 * Arbitrary bodies to every JSON route of /api/openapi.json (the document the API serves), with the
 * admin token, on one PGlite database for the whole property: never a 5xx, and every 4xx in the error
 * envelope with a Chinese message saying what is wrong.
 */
describe('the API on arbitrary JSON bodies', () => {
  let deps: TestDeps
  let api: Api
  const pools: Pools = new Map()
  let operations: Operation[]
  let definitions: Record<string, JsonSchema>
  /** Answers by operation and status class, printed with FUZZ_VERBOSE=1 to see what the property reached. */
  const answers = new Map<string, number>()
  beforeAll(async () => {
    deps = await createTestDeps('pglite')
    api = createApi(deps)
    const world = await makeWorld(deps)
    const doc = (await (await api.request('/api/openapi.json')).json()) as OpenApiDocument
    definitions = doc.components.schemas
    operations = jsonOperations(doc)
    pools.set('xiaoquId', [world.xiaoqu.id])
    pools.set('areaId', [world.community.id, world.street.id, world.district.id])
    pools.set('groupId', [world.group.id])
    pools.set('staffId', [world.officer.staff.id])
    pools.set('residentId', [world.resident.id])
    const filed = await api.request('/api/v1/requests', {
      method: 'POST',
      headers: { authorization: `Bearer ${deps.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        xiaoquId: world.xiaoqu.id,
        text: '3号楼楼道灯坏了',
        channel: 'phone',
        residentName: '王大爷',
      }),
    })
    harvest(await filed.json(), pools, 'requestId')
  })
  afterAll(async () => {
    if (process.env.FUZZ_VERBOSE) console.log(Object.fromEntries([...answers].sort()))
    await deps.database.close()
  })

  it('stores half an emoji in a body as U+FFFD instead of failing with a 500 (found by this fuzz)', async () => {
    const number = (pools.get('number:Q') ?? [])[0]
    const res = await api.request(`/api/v1/requests/${number}/extend`, {
      method: 'POST',
      headers: { authorization: `Bearer ${deps.adminToken}`, 'content-type': 'application/json' },
      // JSON.stringify keeps the lone surrogate as the escape \ud83d, which JSON.parse turns back into one.
      body: JSON.stringify({ snoozeUntil: '2099-01-01T00:00:00Z', reason: '业主出差\ud83d' }),
    })
    expect(res.status, await res.clone().text()).toBe(200)
    const events = (await (
      await api.request(`/api/v1/requests/${number}/events`, {
        headers: { authorization: `Bearer ${deps.adminToken}` },
      })
    ).json()) as { items?: { note?: string | null }[] } | { note?: string | null }[]
    const notes = JSON.stringify(events)
    expect(notes).toContain('业主出差\ufffd')
  })

  it(
    'answers every body without a 5xx, and every refusal in the error envelope in Chinese',
    async () => {
      if (operations.length < 20) throw new Error(`only ${operations.length} JSON operations in the document`)
      const call = fc.oneof(
        ...operations.map((op) =>
          fc.record({
            op: fc.constant(op),
            params: fc.tuple(...op.parameters.map((p) => parameterArbitrary(p.schema, poolOfPath(op.path)))),
            body: bodyArbitrary(op.body, definitions),
            contentType: fc.oneof(
              { arbitrary: fc.constant('application/json'), weight: 20 },
              { arbitrary: fc.constantFrom('text/plain', 'application/json; charset=gbk'), weight: 1 },
            ),
          }),
        ),
      )
      await fc.assert(
        fc.asyncProperty(call, async ({ op, params, body, contentType }) => {
          const values = resolvePicks(params, pools) as unknown[]
          const path = op.parameters.reduce(
            (p, param, i) => p.replace(`{${param.name}}`, encodeURIComponent(String(values[i]))),
            op.path,
          )
          const payload =
            body === undefined
              ? undefined
              : typeof body === 'string'
                ? body
                : JSON.stringify(resolvePicks(body.json, pools))
          const res = await api.request(path, {
            method: op.method,
            headers: { authorization: `Bearer ${deps.adminToken}`, 'content-type': contentType },
            body: payload,
          })
          const text = await res.text()
          const tally = `${op.method} ${op.path} ${res.status}`
          answers.set(tally, (answers.get(tally) ?? 0) + 1)
          if (process.env.FUZZ_VERBOSE === '2' && res.status >= 400) console.log(tally, text.slice(0, 300))
          const where = `${op.method} ${path} ${payload?.slice(0, 500)} → ${res.status} ${text.slice(0, 500)}`
          if (res.status >= 500) throw new Error(`a server error: ${where}`)
          let answer: unknown
          try {
            answer = JSON.parse(text)
          } catch {
            if (res.status >= 400) throw new Error(`a refusal that is not JSON: ${where}`)
          }
          if (res.status >= 400) {
            const error = (answer as { error?: { code?: unknown; message?: unknown } }).error
            if (typeof error?.code !== 'string' || error.code === '' || !isChineseMessage(error.message))
              throw new Error(`a refusal outside the envelope or without a Chinese message: ${where}`)
          } else harvest(answer, pools, poolOfPath(op.path))
        }),
        fuzzParameters(0.2),
      )
    },
    fuzzTimeoutMs,
  )
})
