import fc from 'fast-check'
import { anyText as anyTextOf } from './fuzz'

/**
 * Strings include lone surrogates (half an emoji), which api/json-body.ts makes well-formed before any
 * route sees them; FUZZ_LONE_SURROGATES=0 leaves them out.
 */
const anyText = (maxLength: number) =>
  anyTextOf(maxLength, { loneSurrogates: process.env.FUZZ_LONE_SURROGATES !== '0' })

/** The parts of an OpenAPI 3.1 (JSON Schema) schema the API's documents use. */
export interface JsonSchema {
  $ref?: string
  type?: string | string[]
  enum?: unknown[]
  format?: string
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  items?: JsonSchema
  minItems?: number
  maxItems?: number
  properties?: Record<string, JsonSchema>
  required?: string[]
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
}

/**
 * A value drawn when the request is sent, not when it is generated: an id or number of something that
 * exists by then (the pools grow as the property creates things), so bodies name real rows as often as not.
 */
export class PoolPick {
  constructor(
    readonly pool: string,
    readonly index: number,
    readonly fallback: unknown,
  ) {}
}

export type Pools = Map<string, unknown[]>

/** Replaces every PoolPick in a generated value with a member of its pool (its fallback while empty). */
export function resolvePicks(value: unknown, pools: Pools): unknown {
  if (value instanceof PoolPick) {
    const pool = pools.get(value.pool) ?? []
    return pool.length > 0 ? pool[value.index % pool.length] : value.fallback
  }
  if (Array.isArray(value)) return value.map((v) => resolvePicks(v, pools))
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolvePicks(v, pools)]))
  return value
}

/**
 * The pool an id field draws from, by its name: `responsibleStaffId` and `supervisorId` name staff,
 * `communityId` and `parentId` areas, `ownerOrgId` an organisation, `xiaoquId` a xiaoqu, and so on.
 */
export function idPool(key: string) {
  if (/(^s|S)taffId$|^supervisorId$/.test(key)) return 'staffId'
  if (/^(areaId|communityId|parentId)$/.test(key)) return 'areaId'
  if (/^(organisationId|ownerOrgId|implementingEntityId|propertyCompanyId)$/.test(key))
    return 'organisationId'
  if (key.endsWith('Ids')) return key.slice(0, -1)
  return key.endsWith('Id') ? key : 'id'
}

/** The pool a pattern like ^[Qq]?\d{1,9}$ or ^[Pp]\d{1,9}$ draws from: `number:Q`, `number:P`, … */
export function numberPool(pattern: string | undefined) {
  const match = pattern && /^\^\[([A-Z])[a-z]\]\??\\d\{1,9\}\$$/.exec(pattern)
  return match ? `number:${match[1]}` : undefined
}

const wrongValue = fc.jsonValue({ maxDepth: 2 })

/**
 * Values for a schema: mostly of its shape (enums, formats, patterns, bounds, required keys, ids of real
 * rows), with a wrong value of any JSON type at any depth now and then, and the bounds' edges.
 */
export function arbitraryFor(
  schema: JsonSchema,
  definitions: Record<string, JsonSchema>,
  key = '',
): fc.Arbitrary<unknown> {
  const shaped = shapedFor(schema, definitions, key)
  return fc.oneof({ arbitrary: shaped, weight: 24 }, { arbitrary: wrongValue, weight: 1 })
}

function shapedFor(
  schema: JsonSchema,
  definitions: Record<string, JsonSchema>,
  key: string,
): fc.Arbitrary<unknown> {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '')
    const target = definitions[name]
    if (!target) throw new Error(`no schema ${schema.$ref}`)
    return shapedFor(target, definitions, key)
  }
  const alternatives = schema.anyOf ?? schema.oneOf
  if (alternatives) return fc.oneof(...alternatives.map((s) => arbitraryFor(s, definitions, key)))
  if (schema.enum) return fc.constantFrom(...schema.enum)
  const types = Array.isArray(schema.type)
    ? schema.type
    : schema.type
      ? [schema.type]
      : [schema.properties ? 'object' : 'any']
  return fc.oneof(...types.map((type) => typed(type, schema, definitions, key)))
}

function typed(
  type: string,
  schema: JsonSchema,
  definitions: Record<string, JsonSchema>,
  key: string,
): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null)
    case 'boolean':
      return fc.boolean()
    case 'integer': {
      const min =
        schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : (schema.minimum ?? -(2 ** 31))
      const max = schema.maximum ?? 2 ** 31 - 1
      const inRange = fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max, min - 1, max + 1))
      // An id (exclusiveMinimum 0) names an existing row of its kind most of the time.
      return schema.exclusiveMinimum === 0
        ? fc.oneof(
            { arbitrary: fc.nat().map((i) => new PoolPick(idPool(key), i, 1)), weight: 4 },
            { arbitrary: inRange, weight: 1 },
          )
        : inRange
    }
    case 'number': {
      const min = schema.exclusiveMinimum ?? schema.minimum ?? -1e9
      const max = schema.maximum ?? 1e9
      // Money and areas have at most two decimals: mostly such values, some of any precision.
      const cents = fc
        .integer({ min: Math.ceil(Math.max(min, -1e7) * 100), max: Math.floor(Math.min(max, 1e7) * 100) })
        .filter((c) => schema.exclusiveMinimum === undefined || c / 100 > schema.exclusiveMinimum)
        .map((c) => c / 100)
      return fc.oneof(
        { arbitrary: cents, weight: 4 },
        {
          arbitrary: fc.double({ min, max, noNaN: true, minExcluded: schema.exclusiveMinimum !== undefined }),
          weight: 1,
        },
        { arbitrary: fc.constantFrom(min, max, max + 1, 0.001, 56.78), weight: 1 },
      )
    }
    case 'string':
      return stringFor(schema)
    case 'array': {
      const items = arbitraryFor(schema.items ?? {}, definitions, key)
      const minLength = schema.minItems ?? 0
      const maxLength = Math.min(schema.maxItems ?? 4, minLength + 4)
      return fc.array(items, { minLength, maxLength })
    }
    case 'object': {
      const properties = schema.properties ?? {}
      const model = Object.fromEntries(
        Object.entries(properties).map(([name, s]) => [name, arbitraryFor(s, definitions, name)]),
      )
      const required = (schema.required ?? []).filter((name) => name in properties)
      const record = fc.record(model, { requiredKeys: required })
      // Now and then a required key is left out, or an unknown one is added.
      return fc.oneof(
        { arbitrary: record, weight: 8 },
        {
          arbitrary: fc.tuple(record, fc.constantFrom(...required, '')).map(([value, drop]) => {
            const { [drop]: _, ...rest } = value as Record<string, unknown>
            return rest
          }),
          weight: required.length > 0 ? 1 : 0,
        },
        {
          arbitrary: fc.tuple(record, fc.string(), wrongValue).map(([value, name, extra]) => ({
            ...(value as object),
            [name]: extra,
          })),
          weight: 1,
        },
      )
    }
    default:
      return wrongValue
  }
}

function stringFor(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.format === 'date-time' || schema.format === 'date') {
    const instant = fc.date({
      min: new Date('2020-01-01T00:00:00Z'),
      max: new Date('2032-12-31T00:00:00Z'),
      noInvalidDate: true,
    })
    const shaped =
      schema.format === 'date'
        ? instant.map((d) => d.toISOString().slice(0, 10))
        : fc.oneof(
            instant.map((d) => d.toISOString()),
            instant.map((d) => new Date(d.getTime() + 8 * 3_600_000).toISOString().replace('Z', '+08:00')),
          )
    return fc.oneof(
      { arbitrary: shaped, weight: 6 },
      { arbitrary: fc.constantFrom('2026-02-30', '2026-03-09T25:00:00Z', '明天', ''), weight: 1 },
    )
  }
  const pool = numberPool(schema.pattern)
  if (pool) {
    const letter = pool.slice(-1)
    return fc.oneof(
      fc.nat().map((i) => new PoolPick(pool, i, `${letter}1`)),
      fc.stringMatching(new RegExp(schema.pattern!)),
    )
  }
  if (schema.pattern) return fc.oneof(fc.stringMatching(new RegExp(schema.pattern)), anyText(20))
  const minLength = schema.minLength ?? 0
  const maxLength = schema.maxLength ?? 200
  const edges = [minLength > 0 ? minLength - 1 : 0, maxLength, maxLength + 1]
  return fc.oneof(
    {
      arbitrary: fc.string({ unit: 'grapheme', minLength, maxLength: Math.min(maxLength, minLength + 30) }),
      weight: 6,
    },
    { arbitrary: anyText(Math.min(maxLength, 40)), weight: 2 },
    { arbitrary: fc.constantFrom(...edges).map((n) => '楼'.repeat(n)), weight: 1 },
    { arbitrary: fc.constantFrom(' ', '\u3000', '\n'), weight: 1 },
  )
}
