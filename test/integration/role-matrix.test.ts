import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import { addRooms, createArea, createXiaoqu } from '../../core/areas/areas.usecases'
import { createCampaign } from '../../core/consent/campaigns'
import { insertAttachment, storeAttachment } from '../../core/notices/attachments'
import { createBroadcast } from '../../core/notices/broadcast.usecases'
import { createFeeNotice } from '../../core/notices/fee.usecases'
import { createPublicity } from '../../core/notices/publicity.usecases'
import { createSchedule } from '../../core/notices/schedule.usecases'
import { createOrganisation } from '../../core/organisations/organisations.usecases'
import { createProject } from '../../core/projects/projects.usecases'
import { fileRequest } from '../../core/requests/requests.usecases'
import { createStaff } from '../../core/staff/staff.usecases'
import { createTask } from '../../core/tasks/tasks.usecases'
import type { Db, DbOrTx } from '../../db/client'
import {
  chatGroups,
  households,
  identityIssues,
  outbox,
  requestPhotos,
  requests,
  residentHouseholds,
  residents,
  routingRules,
} from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { adminActor } from '../support/factories'

/**
 * Every operation of /api/openapi.json, called by every role (each with a scope), without a token, and by
 * an officer of another street, checked against the table below of who may do what. An operation missing
 * from the table fails: a new route must be classified here.
 *
 * Each call runs in a transaction that is rolled back, so every call sees the same seeded world and the
 * order of the calls does not matter.
 */

type Role = 'admin' | 'officer' | 'community_worker' | 'property_staff'
const roles: readonly Role[] = ['admin', 'officer', 'community_worker', 'property_staff']

/**
 * How far an operation reaches for a caller of another scope:
 * - `object`: it names an object of the home world (path or body), so another scope gets 403 or 404;
 * - `list`: it lists what is in the caller's own scope, so another scope gets an answer without home data;
 * - `own`: it is about the caller themselves (their profile, tasks, uploads);
 * - `shared`: reference data every staff member reads (organisations, the calendar, the bot's state).
 */
type Reach = 'object' | 'list' | 'own' | 'shared'

interface Rule {
  /** The roles allowed besides admins, who may do everything. */
  roles: readonly Exclude<Role, 'admin'>[]
  reach: Reach
}

const anyone = ['officer', 'community_worker', 'property_staff'] as const
const streetAndCommunity = ['officer', 'community_worker'] as const
const adminsOnly = [] as const
const rule = (allowed: Rule['roles'], reach: Reach): Rule => ({ roles: allowed, reach })

/**
 * Who may do what. Property staff act on what they hold (the seeded request is theirs), read what is in
 * their xiaoqu, and issue fee notices; officers and community workers run their scope; admins everything.
 */
const table: Record<string, Rule> = {
  // 诉求
  'GET /requests': rule(anyone, 'list'),
  'POST /requests': rule(anyone, 'object'),
  'GET /requests/{number}': rule(anyone, 'object'),
  'GET /requests/{number}/photos/{photoId}': rule(anyone, 'object'),
  'POST /requests/{number}/accept': rule(anyone, 'object'),
  'POST /requests/{number}/assign': rule(anyone, 'object'),
  'POST /requests/{number}/resolve': rule(anyone, 'object'),
  'POST /requests/{number}/reclassify': rule(streetAndCommunity, 'object'),
  'POST /requests/{number}/extend': rule(anyone, 'object'),
  'GET /requests/{number}/events': rule(anyone, 'object'),
  // 工作人员, 区域与小区, 单位, 工作日, 操作记录
  'GET /me': rule(anyone, 'own'),
  'PUT /me/preferences': rule(anyone, 'own'),
  'GET /staff': rule(anyone, 'list'),
  'POST /staff': rule(adminsOnly, 'object'),
  'POST /staff/{id}/token': rule(adminsOnly, 'object'),
  'POST /staff/{id}/deactivate': rule(adminsOnly, 'object'),
  'POST /staff/{id}/binding-code': rule(adminsOnly, 'object'),
  'GET /areas': rule(anyone, 'list'),
  'POST /areas': rule(adminsOnly, 'object'),
  'POST /areas/{id}/binding-code': rule(streetAndCommunity, 'object'),
  'GET /xiaoqu': rule(anyone, 'list'),
  'POST /xiaoqu': rule(['officer'], 'object'),
  'GET /organisations': rule(anyone, 'shared'),
  'POST /organisations': rule(['officer'], 'object'),
  'PUT /xiaoqu/{id}/governance': rule(streetAndCommunity, 'object'),
  'POST /xiaoqu/{id}/binding-code': rule(streetAndCommunity, 'object'),
  'GET /xiaoqu/{id}/rooms': rule(anyone, 'object'),
  'POST /xiaoqu/{id}/rooms': rule(streetAndCommunity, 'object'),
  'GET /calendar/overrides': rule(anyone, 'shared'),
  'PUT /calendar/overrides': rule(adminsOnly, 'shared'),
  'GET /audit': rule(adminsOnly, 'list'),
  // 待发消息
  'GET /outbox': rule(adminsOnly, 'list'),
  'POST /outbox/{id}/resend': rule(adminsOnly, 'object'),
  'POST /outbox/{id}/drop': rule(adminsOnly, 'object'),
  'GET /outbox/batches/{batch}': rule(adminsOnly, 'object'),
  // 通知, 公示, 施工计划, 物业费, 附件
  'POST /notices/broadcasts': rule(streetAndCommunity, 'object'),
  'GET /notices/{number}': rule(anyone, 'object'),
  'POST /notices/{number}/cancel': rule(streetAndCommunity, 'object'),
  'POST /publicities': rule(streetAndCommunity, 'object'),
  'POST /publicities/{number}/review': rule(streetAndCommunity, 'object'),
  'POST /publicities/{number}/publish': rule(streetAndCommunity, 'object'),
  'POST /publicities/{number}/cancel': rule(streetAndCommunity, 'object'),
  'GET /publicities/{number}': rule(anyone, 'object'),
  'GET /publicities/{number}/feedback': rule(anyone, 'object'),
  'POST /schedules': rule(streetAndCommunity, 'object'),
  'GET /schedules/{number}': rule(anyone, 'object'),
  'POST /schedules/{number}/publish': rule(streetAndCommunity, 'object'),
  'POST /schedules/{number}/cancel': rule(streetAndCommunity, 'object'),
  'PATCH /schedules/{number}/phases/{seq}': rule(streetAndCommunity, 'object'),
  'POST /fees': rule(['officer', 'property_staff'], 'object'),
  'GET /fees/{number}': rule(anyone, 'object'),
  'POST /fees/{number}/cancel': rule(['officer', 'property_staff'], 'object'),
  'POST /attachments': rule(anyone, 'own'),
  // The seeded file was uploaded by the community's officer: the xiaoqu's property staff are below it.
  'GET /attachments/{id}': rule(streetAndCommunity, 'object'),
  // 项目, 任务
  'POST /projects': rule(streetAndCommunity, 'object'),
  'GET /projects': rule(anyone, 'list'),
  'GET /projects/{number}': rule(anyone, 'object'),
  'PATCH /projects/{number}': rule(streetAndCommunity, 'object'),
  'POST /projects/{number}/stage': rule(streetAndCommunity, 'object'),
  'POST /projects/{number}/documents': rule(streetAndCommunity, 'object'),
  'POST /tasks': rule(streetAndCommunity, 'object'),
  'GET /tasks': rule(anyone, 'own'),
  'GET /tasks/{number}': rule(anyone, 'object'),
  // The seeded task is the officer's: its owner (or those above, or admins) completes or extends it.
  'POST /tasks/{number}/complete': rule(['officer'], 'object'),
  'POST /tasks/{number}/extend': rule(['officer'], 'object'),
  // 征询
  'POST /xiaoqu/{id}/households.csv': rule(streetAndCommunity, 'object'),
  'GET /claims': rule(streetAndCommunity, 'list'),
  'POST /claims/decide': rule(streetAndCommunity, 'object'),
  'POST /campaigns': rule(streetAndCommunity, 'object'),
  'GET /campaigns/{number}': rule(streetAndCommunity, 'object'),
  'POST /campaigns/{number}/ballots': rule(streetAndCommunity, 'object'),
  'GET /campaigns/{number}/ballots.csv': rule(streetAndCommunity, 'object'),
  'POST /campaigns/{number}/cancel': rule(streetAndCommunity, 'object'),
  // 导出, 统计
  'GET /exports/requests.csv': rule(anyone, 'list'),
  'GET /exports/tasks.csv': rule(anyone, 'list'),
  'GET /stats': rule(streetAndCommunity, 'list'),
  // 群, 身份, 机器人
  'GET /groups': rule(anyone, 'list'),
  'POST /groups/{id}/unbind': rule(['officer'], 'object'),
  'POST /groups/{id}/rebind': rule(['officer'], 'object'),
  'GET /identity-issues': rule(adminsOnly, 'list'),
  'POST /identity-issues/{id}/resolve': rule(adminsOnly, 'object'),
  'GET /bot': rule(anyone, 'shared'),
  'GET /bot/qr.svg': rule(adminsOnly, 'shared'),
  'GET /bot/accounts': rule(['officer'], 'list'),
  'POST /bot/accounts': rule(adminsOnly, 'shared'),
  'PATCH /bot/accounts/{name}': rule(adminsOnly, 'shared'),
  'DELETE /bot/accounts/{name}': rule(adminsOnly, 'shared'),
  'GET /bot/accounts/{name}/qr.svg': rule(adminsOnly, 'shared'),
  // 派单规则
  'GET /routing-rules': rule(['officer'], 'list'),
  'POST /routing-rules': rule(['officer'], 'object'),
  'DELETE /routing-rules/{id}': rule(['officer'], 'object'),
  'POST /requests/{number}/reply': rule(anyone, 'object'),
  'GET /exports/requests.xlsx': rule(anyone, 'list'),
  'GET /exports/tasks.xlsx': rule(anyone, 'list'),
  'GET /exports/feedback.csv': rule(anyone, 'object'),
  'GET /exports/feedback.xlsx': rule(anyone, 'object'),
  'GET /exports/ballots.csv': rule(streetAndCommunity, 'object'),
  'GET /exports/ballots.xlsx': rule(streetAndCommunity, 'object'),
}

/** Every name in the home world carries this mark: another scope's answers must never contain it. */
const mark = '矩阵甲'
const pdf = Buffer.from('%PDF-1.4\n% matrix\n')
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(16, 3),
])
const day = 86_400_000

type Schema = Record<string, unknown> & { $ref?: string }
interface Operation {
  method: string
  path: string
  key: string
  parameters: { name: string; in: string; required?: boolean; schema?: Schema }[]
  body?: Record<string, { schema?: Schema }>
}
type World = Awaited<ReturnType<typeof seed>>

async function seed(deps: TestDeps) {
  const now = deps.clock.now()
  const admin = await adminActor(deps)
  const ctx = { db: deps.db, now }
  const area = (kind: 'district' | 'street' | 'community', name: string, parentId?: number) =>
    createArea(deps.db, admin, { kind, name, parentId }, now)
  const place = async (label: string) => {
    const district = await area('district', `${label}区`)
    const street = await area('street', `${label}街道`, district.id)
    const community = await area('community', `${label}社区`, street.id)
    const xiaoqu = await createXiaoqu(
      deps.db,
      admin,
      { communityId: community.id, name: `${label}小区` },
      now,
    )
    return { district, street, community, xiaoqu }
  }
  const home = await place(mark)
  const away = await place('矩阵乙')
  await addRooms(
    deps.db,
    admin,
    home.xiaoqu.id,
    [{ building: '1', unit: '1', room: '101', areaCenti: 8000 }],
    now,
  )
  const company = await createOrganisation(ctx, admin, {
    kind: 'property_company',
    name: '矩阵物业公司',
    areaId: home.community.id,
  })
  const person = async (role: Role, name: string, scope: { areaId?: number; xiaoquId?: number }) =>
    createStaff(
      deps.db,
      admin,
      { name, role, ...scope, organisationId: role === 'property_staff' ? company.id : undefined },
      now,
    )
  const officer = await person('officer', `${mark}官员`, { areaId: home.community.id })
  const worker = await person('community_worker', `${mark}社工`, { areaId: home.community.id })
  const property = await person('property_staff', `${mark}物业`, { xiaoquId: home.xiaoqu.id })
  const colleague = await person('community_worker', `${mark}同事`, { areaId: home.community.id })
  const elsewhere = await person('officer', '矩阵乙官员', { areaId: away.street.id })
  const officerActor = { kind: 'staff' as const, staff: officer.staff, via: 'api' as const }

  const [group] = await deps.db
    .insert(chatGroups)
    .values({
      roomId: 'matrix-home@chatroom',
      topic: `${mark}居民群`,
      kind: 'residents',
      xiaoquId: home.xiaoqu.id,
      scopePath: home.xiaoqu.path,
      createdAt: now,
    })
    .returning()
  const [resident] = await deps.db
    .insert(residents)
    .values({ wechatId: 'wxid_matrix_home', name: `${mark}居民`, phone: '13500000001', createdAt: now })
    .returning()
  const [household] = await deps.db.select().from(households).where(eq(households.xiaoquId, home.xiaoqu.id))
  await deps.db
    .insert(residentHouseholds)
    .values({ residentId: resident!.id, householdId: household!.id, createdAt: now })

  const { request } = await fileRequest(deps, {
    text: `${mark}楼道灯坏了`,
    xiaoquId: home.xiaoqu.id,
    channel: 'wechat',
    resident: resident!,
    groupId: group!.id,
  })
  // The property staff hold the request, so they may act on it.
  await deps.db
    .update(requests)
    .set({ assigneeStaffId: property.staff.id })
    .where(eq(requests.id, request.id))
  const photo = await insertAttachment(
    deps.db,
    { fileName: 'photo.png', mediaType: 'image/png', data: png },
    now,
  )
  const [photoRow] = await deps.db
    .insert(requestPhotos)
    .values({ requestId: request.id, attachmentId: photo.id, createdAt: now })
    .returning()
  const file = await storeAttachment(
    deps.db,
    officerActor,
    { fileName: `${mark}.pdf`, data: pdf },
    1 << 20,
    now,
  )

  const later = new Date(now.getTime() + 2 * day)
  const notice = await createBroadcast(deps, officerActor, {
    text: `${mark}通知`,
    xiaoquId: home.xiaoqu.id,
    publishAt: later,
  })
  const publicity = await createPublicity(deps, officerActor, {
    xiaoquId: home.xiaoqu.id,
    title: `${mark}方案`,
    body: '内容',
    opensAt: later,
    closesAt: new Date(later.getTime() + 8 * day),
  })
  const schedule = await createSchedule(deps, officerActor, {
    xiaoquId: home.xiaoqu.id,
    title: `${mark}施工`,
    phases: [
      {
        name: '管线',
        buildings: ['1'],
        impacts: [],
        startsAt: later,
        endsAt: new Date(later.getTime() + day),
      },
    ],
  })
  const fee = await createFeeNotice(
    deps,
    { kind: 'staff', staff: property.staff, via: 'api' },
    {
      xiaoquId: home.xiaoqu.id,
      period: '2026年',
      standardFen: 150,
      deadline: new Date(later.getTime() + 30 * day),
      howToPay: '物业办公室',
      contact: '13500000002',
      publishAt: later,
    },
  )
  const project = await createProject(deps, officerActor, {
    xiaoquId: home.xiaoqu.id,
    title: `${mark}整治`,
    year: 2026,
    responsibleStaffId: officer.staff.id,
  })
  const task = await createTask(deps, officerActor, {
    xiaoquId: home.xiaoqu.id,
    title: `${mark}任务`,
    ownerStaffId: officer.staff.id,
    dueAt: later,
  })
  const campaign = await createCampaign(deps, officerActor, {
    xiaoquId: home.xiaoqu.id,
    matter: 'other',
    question: `${mark}征询`,
    opensAt: later,
    closesAt: new Date(later.getTime() + 10 * day),
  })
  const [message] = await deps.db
    .insert(outbox)
    .values({
      conversationId: 'matrix-home@chatroom',
      isRoom: 1,
      text: `${mark}消息`,
      status: 'failed',
      dedupeKey: 'matrix:failed',
      batch: 'matrix:batch',
    })
    .returning()
  const [issue] = await deps.db
    .insert(identityIssues)
    .values({ kind: 'group', subjectId: group!.id, oldWechatId: 'matrix-old@chatroom', createdAt: now })
    .returning()

  const [routing] = await deps.db
    .insert(routingRules)
    .values({
      category: '照明',
      areaId: home.community.id,
      handlerStaffId: colleague.staff.id,
      createdAt: now,
    })
    .returning()

  return {
    home,
    tokens: {
      admin: deps.adminToken,
      officer: officer.token,
      community_worker: worker.token,
      property_staff: property.token,
      elsewhere: elsewhere.token,
    } satisfies Record<Role | 'elsewhere', string>,
    officer: officer.staff,
    colleague: colleague.staff,
    resident: resident!,
    household: household!,
    group: group!,
    company,
    request,
    photoId: photoRow!.id,
    file,
    notice,
    publicity,
    schedule,
    fee,
    project,
    task,
    campaign,
    message: message!,
    issue: issue!,
    routing: routing!,
  }
}

/** A path parameter: the seeded object of the collection the path names. */
function pathValue(w: World, path: string, name: string): string {
  const collection = path.split('/')[1]
  const numbers: Record<string, string> = {
    requests: w.request.number,
    notices: w.notice.number,
    publicities: w.publicity.number,
    schedules: w.schedule.number,
    fees: w.fee.number,
    projects: w.project.number,
    tasks: w.task!.number,
    campaigns: w.campaign.number,
  }
  const ids: Record<string, number> = {
    staff: w.colleague.id,
    areas: w.home.community.id,
    xiaoqu: w.home.xiaoqu.id,
    outbox: w.message.id,
    groups: w.group.id,
    'identity-issues': w.issue.id,
    attachments: w.file.id,
    'routing-rules': w.routing.id,
  }
  if (name === 'number' && collection && numbers[collection]) return numbers[collection]
  if (name === 'id' && collection && ids[collection] !== undefined) return String(ids[collection])
  if (name === 'photoId') return String(w.photoId)
  if (name === 'seq') return '1'
  if (name === 'name' && collection === 'bot') return 'matrix-account'
  if (name === 'batch') return 'matrix:batch'
  throw new Error(`no seeded value for {${name}} in ${path}: add one to pathValue`)
}

/** Ids in bodies and queries, by field name: the home world's objects. */
function idFor(w: World, name: string): number | undefined {
  const ids: Record<string, number> = {
    xiaoquId: w.home.xiaoqu.id,
    communityId: w.home.community.id,
    areaId: w.home.community.id,
    parentId: w.home.street.id,
    staffId: w.officer.id,
    responsibleStaffId: w.officer.id,
    ownerStaffId: w.officer.id,
    residentId: w.resident.id,
    householdId: w.household.id,
    propertyCompanyId: w.company.id,
  }
  return ids[name]
}

const later = (days: number) => new Date(Date.parse('2026-03-02T02:00:00Z') + days * day).toISOString()

/** A minimal plausible value for a schema: required fields only, ids of the home world. */
function sample(
  doc: { components?: { schemas?: Record<string, Schema> } },
  w: World,
  schema: Schema,
  name = '',
): unknown {
  if (schema.$ref) return sample(doc, w, doc.components!.schemas![schema.$ref.split('/').pop()!]!, name)
  const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined
  if (options) return sample(doc, w, options.find((o) => o.type !== 'null') ?? options[0]!, name)
  if (Array.isArray(schema.enum)) return schema.enum[0]
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>
      const required = (schema.required ?? []) as string[]
      return Object.fromEntries(required.map((key) => [key, sample(doc, w, properties[key] ?? {}, key)]))
    }
    case 'array':
      return (schema.minItems as number | undefined)
        ? [sample(doc, w, (schema.items ?? {}) as Schema, name)]
        : []
    case 'integer':
    case 'number':
      if (name === 'year') return 2026
      return idFor(w, name) ?? (schema.minimum as number | undefined) ?? 1
    case 'boolean':
      return name === 'approve'
    case 'string':
      if (schema.format === 'date-time') return later(2)
      if (schema.format === 'date') return '2030-01-02'
      if (schema.pattern === '^[Pp]\\d{1,9}$') return w.project.number
      if (schema.pattern === '^[Gg]\\d{1,9}$') return w.publicity.number
      if (schema.pattern === '^[Zz]\\d{1,9}$') return w.campaign.number
      if (schema.pattern) throw new Error(`no sample for pattern ${String(schema.pattern)} (${name})`)
      return '测试'.padEnd((schema.minLength as number | undefined) ?? 1, '试')
    default:
      return {}
  }
}

/** Bodies the schema alone cannot make plausible (dates in order, rooms that exist, a role to create). */
const overrides = (w: World): Record<string, unknown> => ({
  'POST /staff': { name: `${mark}新人`, role: 'community_worker', areaId: w.home.community.id },
  'POST /areas': { kind: 'community', name: `${mark}新社区`, parentId: w.home.street.id },
  'POST /requests/{number}/extend': { resolutionDueAt: later(30), reason: '等待配件' },
  'POST /organisations': { kind: 'construction_unit', name: '施工单位', areaId: w.home.community.id },
  'POST /notices/broadcasts': { text: '停水通知', xiaoquId: w.home.xiaoqu.id },
  'POST /tasks/{number}/extend': { dueAt: later(10), reason: '等待材料' },
  'POST /publicities': {
    xiaoquId: w.home.xiaoqu.id,
    title: '方案',
    body: '内容',
    opensAt: later(2),
    closesAt: later(12),
  },
  'POST /schedules': {
    xiaoquId: w.home.xiaoqu.id,
    title: '施工',
    phases: [{ name: '管线', buildings: ['1'], startsAt: later(2), endsAt: later(3) }],
  },
  'PATCH /schedules/{number}/phases/{seq}': { note: '改期' },
  'POST /fees': {
    xiaoquId: w.home.xiaoqu.id,
    period: '2026年',
    standardYuanPerM2Month: 1.5,
    deadline: later(40),
    howToPay: '物业办公室',
    contact: '13500000002',
    publishAt: later(2),
  },
  'POST /campaigns': {
    xiaoquId: w.home.xiaoqu.id,
    matter: 'other',
    question: '是否同意',
    opensAt: later(2),
    closesAt: later(12),
  },
  'POST /campaigns/{number}/ballots': {
    building: '1',
    unit: '1',
    room: '101',
    choice: '同意',
    channel: 'paper',
  },
  'POST /tasks': { xiaoquId: w.home.xiaoqu.id, title: '测量', ownerStaffId: w.officer.id, dueAt: later(5) },
  'POST /projects/{number}/stage': { to: '确认' },
  'POST /identity-issues/{id}/resolve': { dismiss: true },
  'POST /xiaoqu/{id}/rooms': { rooms: [{ building: '2', unit: '1', room: '201', area: 70 }] },
  'PUT /calendar/overrides': { days: [{ date: '2031-01-02', kind: 'holiday' }] },
  'POST /routing-rules': { category: '电梯', areaId: w.home.community.id, handlerStaffId: w.officer.id },
})

describe('role × route matrix', () => {
  let deps: TestDeps
  let app: ReturnType<typeof createApi>
  let doc: {
    components?: { schemas?: Record<string, Schema> }
    paths: Record<
      string,
      Record<
        string,
        Omit<Operation, 'method' | 'path' | 'key'> & { requestBody?: { content: Operation['body'] } }
      >
    >
  }
  let operations: Operation[]
  let w: World
  const rollback = new Error('rollback')
  /** Where the API's queries go: the transaction of the call under way. */
  let current: DbOrTx

  beforeAll(async () => {
    deps = await createTestDeps('pglite')
    w = await seed(deps)
    current = deps.db
    const db = new Proxy(deps.db, {
      get(_target, key) {
        const value = Reflect.get(current, key, current)
        return typeof value === 'function' && key !== 'constructor' ? value.bind(current) : value
      },
    }) as Db
    app = createApi({ ...deps, db })
    doc = await (await app.request('/api/openapi.json')).json()
    operations = Object.entries(doc.paths).flatMap(([fullPath, item]) =>
      Object.entries(item).map(([method, op]) => {
        const path = fullPath.replace(/^\/api\/v1/, '')
        return {
          method: method.toUpperCase(),
          path,
          key: `${method.toUpperCase()} ${path}`,
          parameters: op.parameters ?? [],
          body: op.requestBody?.content,
        }
      }),
    )
  })
  afterAll(async () => {
    await deps?.database.close()
  })

  /** One call as `token` (none: anonymous), rolled back afterwards. */
  async function call(op: Operation, token: string | undefined) {
    let url = `/api/v1${op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(pathValue(w, op.path, name)))}`
    const query = new URLSearchParams()
    for (const p of op.parameters.filter((p) => p.in === 'query' && p.required)) {
      query.set(p.name, p.name === 'name' ? 'matrix.pdf' : String(sample(doc, w, p.schema ?? {}, p.name)))
    }
    if (query.size > 0) url += `?${query}`
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}
    let body: string | Uint8Array<ArrayBuffer> | undefined
    if (op.body) {
      const type = Object.keys(op.body)[0]!
      headers['content-type'] = type
      if (type === 'application/json') {
        const generated = sample(doc, w, op.body[type]!.schema ?? {}) as Record<string, unknown>
        body = JSON.stringify(overrides(w)[op.key] ?? generated)
      } else if (type === 'text/csv') {
        body = '楼栋,单元,房号,面积\n1,1,102,75.5\n'
      } else {
        body = new Uint8Array(pdf)
      }
    }
    let answer: { status: number; text: string } | undefined
    await deps.db
      .transaction(async (tx) => {
        current = tx
        try {
          const res = await app.request(url, { method: op.method, headers, body })
          answer = { status: res.status, text: await res.text() }
        } finally {
          current = deps.db
        }
        throw rollback
      })
      .catch((error: unknown) => {
        if (error !== rollback) throw error
      })
    return answer!
  }

  it('has every operation of the OpenAPI document in the table, and nothing else', () => {
    const documented = operations.map((o) => o.key).sort()
    expect(documented.filter((k) => !table[k])).toEqual([])
    expect(Object.keys(table).filter((k) => !documented.includes(k))).toEqual([])
  })

  it('answers every operation for every role, without a token and from another scope as the table says', async () => {
    const failures: string[] = []
    const fail = (op: Operation, who: string, status: number, want: string, text: string) =>
      failures.push(`${op.key} as ${who}: ${status}, want ${want} — ${text.slice(0, 160)}`)
    for (const op of operations) {
      const r = table[op.key]
      if (!r) continue
      const anonymous = await call(op, undefined)
      if (anonymous.status !== 401) fail(op, 'anonymous', anonymous.status, '401', anonymous.text)
      for (const role of roles) {
        const allowed = role === 'admin' || (r.roles as readonly Role[]).includes(role)
        const { status, text } = await call(op, w.tokens[role])
        if (allowed && (status === 401 || status === 403 || status >= 500)) {
          fail(op, role, status, 'allowed (not 401/403/5xx)', text)
        }
        if (!allowed && status !== 403) fail(op, role, status, '403', text)
      }
      const { status, text } = await call(op, w.tokens.elsewhere)
      const officerMay = (r.roles as readonly Role[]).includes('officer')
      if (!officerMay || r.reach === 'object') {
        if (status !== 403 && status !== 404) fail(op, 'another scope', status, '403 or 404', text)
      } else if (status === 401 || status === 403 || status >= 500) {
        fail(op, 'another scope', status, 'allowed, its own scope', text)
      }
      if (text.includes(mark)) fail(op, 'another scope', status, `no ${mark} data`, text)
    }
    expect(failures).toEqual([])
  })
})
