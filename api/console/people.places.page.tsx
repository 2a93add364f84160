import type { Child } from 'hono/jsx'
import type { listAreas, listRooms, listXiaoqu } from '../../core/areas/areas.usecases'
import type { getXiaoquGovernance } from '../../core/organisations/organisations.usecases'
import { time } from './format'
import { DataTable, Input, Layout, PostForm, Select, type Viewer } from './layout'
import { PeopleTabs, peopleHref } from './people.staff.page'

export const placesHref = `${peopleHref}/places`
export const xiaoquHref = (id: number) => `${peopleHref}/xiaoqu/${id}`

type AreaRow = Awaited<ReturnType<typeof listAreas>>[number]
type XiaoquRow = Awaited<ReturnType<typeof listXiaoqu>>[number]
type Governance = Awaited<ReturnType<typeof getXiaoquGovernance>>
type RoomRow = Awaited<ReturnType<typeof listRooms>>[number]

export const areaKindNames = { district: '区', street: '街道/乡镇', community: '社区' } as const
const ownersKindNames = {
  owners_committee: '业主委员会',
  property_management_committee: '物业管理委员会',
} as const

/** A group binding code just issued, shown once with how to use it. */
export interface IssuedCode {
  code: string
  expiresAt: Date
  place: string
  kind: string
  botName: string
}

export function CodeCard(props: { issued: IssuedCode }) {
  const { issued } = props
  return (
    <section class="card" aria-label="群绑定码">
      <h2>
        {issued.place} · {issued.kind}绑定码
      </h2>
      <p class="pre">
        <strong data-code={issued.code}>{issued.code}</strong>
      </p>
      <p>
        把{issued.botName}拉进该微信群，再由已绑定微信的工作人员在群里发送：绑定小区 {issued.code}
      </p>
      <p class="muted">有效期至 {time(issued.expiresAt)}，只能使用一次。</p>
    </section>
  )
}

export function PlacesPage(props: {
  viewer: Viewer
  areas: readonly AreaRow[]
  places: readonly XiaoquRow[]
  /** Areas the viewer may act in (their own and below). */
  inScope: ReadonlySet<number>
  issued?: IssuedCode
  error?: string
  notice?: string
}) {
  const { viewer } = props
  const admin = viewer.staff.role === 'admin'
  const depth = (a: AreaRow) => a.path.split('/').filter(Boolean).length - 1
  const parents = props.areas.filter((a) => a.kind !== 'community')
  const communities = props.areas.filter((a) => a.kind === 'community' && props.inScope.has(a.id))
  return (
    <Layout title="区域与小区" viewer={viewer} active="people" error={props.error} notice={props.notice}>
      <h1>人员与区域</h1>
      <PeopleTabs on="places" />
      {props.issued ? <CodeCard issued={props.issued} /> : null}
      <h2>区域（{props.areas.length}）</h2>
      <DataTable
        label="区域"
        rows={props.areas}
        empty="还没有区域。"
        columns={[
          {
            head: '名称',
            cell: (a) => <span style={`padding-left:${depth(a) * 1.2}em`}>{a.name}</span>,
          },
          { head: '类型', cell: (a) => areaKindNames[a.kind] },
          {
            head: '工作群',
            wide: true,
            cell: (a) =>
              props.inScope.has(a.id) ? (
                <PostForm
                  action={`${peopleHref}/areas/${a.id}/binding-code`}
                  csrf={viewer.csrf}
                  class="inline"
                >
                  <button type="submit" class="secondary">
                    生成工作群绑定码
                  </button>
                </PostForm>
              ) : (
                <span class="muted">上级区域</span>
              ),
          },
        ]}
      />
      <h2>小区（{props.places.length}）</h2>
      <DataTable
        label="小区"
        rows={props.places}
        empty="管辖范围内还没有小区。"
        columns={[
          { head: '小区', cell: (x) => <a href={xiaoquHref(x.id)}>{x.name}</a> },
          { head: '社区', cell: (x) => x.communityName },
          { head: '地址', cell: (x) => x.address ?? '—' },
          { head: '建成年份', cell: (x) => x.buildYear ?? '—', num: true },
          { head: '房屋', cell: (x) => x.households, num: true },
        ]}
      />
      <div class="actions">
        {admin ? (
          <section class="card">
            <h2>新建区域</h2>
            <PostForm action={`${peopleHref}/areas`} csrf={viewer.csrf}>
              <Select
                label="类型"
                name="kind"
                required
                options={Object.entries(areaKindNames).map(([value, text]) => ({ value, text }))}
              />
              <Input label="名称" name="name" required maxlength={50} />
              <Select
                label="上级区域（区不填）"
                name="parentId"
                blank="（无）"
                options={parents.map((a) => ({ value: a.id, text: `${areaKindNames[a.kind]} · ${a.name}` }))}
              />
              <button type="submit">创建区域</button>
            </PostForm>
          </section>
        ) : null}
        <section class="card">
          <h2>新建小区</h2>
          <PostForm action={`${peopleHref}/xiaoqu`} csrf={viewer.csrf}>
            <Select
              label="所属社区"
              name="communityId"
              required
              blank="请选择"
              options={communities.map((a) => ({ value: a.id, text: a.name }))}
            />
            <Input label="小区名称" name="name" required maxlength={50} />
            <Input label="地址（可选）" name="address" maxlength={200} />
            <Input label="建成年份（可选）" name="buildYear" type="number" placeholder="如 1995" />
            <button type="submit">创建小区</button>
          </PostForm>
        </section>
      </div>
    </Layout>
  )
}

function Facts(props: { items: readonly [string, Child][] }) {
  return (
    <dl class="facts">
      {props.items.map(([term, value]) => (
        <>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </>
      ))}
    </dl>
  )
}

export function XiaoquPage(props: {
  viewer: Viewer
  governance: Governance
  communityName: string
  companies: readonly { id: number; name: string }[]
  rooms: readonly RoomRow[]
  buildings: readonly { id: number; name: string }[]
  issued?: IssuedCode
  error?: string
  notice?: string
}) {
  const { viewer, governance } = props
  const place = governance.xiaoqu
  const owners = governance.ownersOrganisation
  const action = (verb: string) => `${xiaoquHref(place.id)}/${verb}`
  const shownRooms = props.rooms.slice(0, 300)
  return (
    <Layout title={place.name} viewer={viewer} active="people" error={props.error} notice={props.notice}>
      <h1>{place.name}</h1>
      <PeopleTabs on="places" />
      {props.issued ? <CodeCard issued={props.issued} /> : null}
      <section class="card">
        <Facts
          items={[
            ['社区', props.communityName],
            ['地址', place.address ?? '—'],
            ['建成年份', place.buildYear ?? '—'],
            [
              '业委会/物管会',
              owners ? `${ownersKindNames[owners.kind]}（${owners.formedOn ?? '日期未填'} 成立）` : '未组建',
            ],
            ['物业服务企业', governance.propertyCompany?.name ?? '无'],
            ['房屋', `${props.rooms.length} 户`],
          ]}
        />
      </section>
      <div class="actions">
        <section class="card">
          <h2>治理情况</h2>
          <PostForm action={action('governance')} csrf={viewer.csrf}>
            <Select
              label="业主组织"
              name="ownersKind"
              value={owners?.kind ?? 'none'}
              options={[
                { value: 'none', text: '未组建' },
                ...Object.entries(ownersKindNames).map(([value, text]) => ({ value, text })),
              ]}
            />
            <Input label="成立日期" name="formedOn" type="date" value={owners?.formedOn ?? undefined} />
            <Select
              label="物业服务企业"
              name="propertyCompanyId"
              value={place.propertyCompanyId ?? ''}
              blank="（无）"
              options={props.companies.map((o) => ({ value: o.id, text: o.name }))}
            />
            <button type="submit">保存</button>
          </PostForm>
        </section>
        <section class="card">
          <h2>居民群绑定码</h2>
          <PostForm action={action('binding-code')} csrf={viewer.csrf}>
            <Select
              label="群类型"
              name="kind"
              options={[
                { value: 'residents', text: '居民群（全小区）' },
                { value: 'building', text: '楼栋群' },
              ]}
            />
            <Select
              label="楼栋（楼栋群）"
              name="buildingId"
              blank="（不限）"
              options={props.buildings.map((b) => ({ value: b.id, text: `${b.name}号楼` }))}
            />
            <button type="submit">生成绑定码</button>
          </PostForm>
        </section>
        <section class="card">
          <h2>添加房屋</h2>
          <PostForm action={action('rooms')} csrf={viewer.csrf}>
            <Input label="楼栋" name="building" required maxlength={30} placeholder="如 3" />
            <Input label="单元" name="unit" required maxlength={30} placeholder="如 1" />
            <Input label="房号" name="room" required maxlength={30} placeholder="如 101" />
            <Input label="专有面积（m²，可选）" name="area" placeholder="如 75.5" />
            <button type="submit">添加</button>
          </PostForm>
          <p class="hint">成批导入请用「导入导出」页面。</p>
        </section>
      </div>
      <h2>房屋（{props.rooms.length}）</h2>
      {props.rooms.length > shownRooms.length ? <p class="muted">只列出前 {shownRooms.length} 户。</p> : null}
      <DataTable
        label="房屋"
        rows={shownRooms}
        empty="还没有房屋。"
        columns={[
          { head: '楼栋', cell: (r) => r.building },
          { head: '单元', cell: (r) => r.unit },
          { head: '房号', cell: (r) => r.room },
          {
            head: '专有面积（m²）',
            num: true,
            cell: (r) =>
              r.exclusiveAreaCenti === null
                ? '—'
                : `${Math.trunc(r.exclusiveAreaCenti / 100)}.${String(r.exclusiveAreaCenti % 100).padStart(2, '0')}`,
          },
        ]}
      />
    </Layout>
  )
}
