import { organisationKindNames } from '../../core/organisations/organisations.usecases'
import { organisationKinds } from '../../db/schema'
import { DataTable, Input, Layout, PostForm, Select, type Viewer } from './layout'
import { areaKindNames } from './people.places.page'
import { PeopleTabs } from './people.staff.page'
import { consolePath } from './session'

export const organisationsHref = `${consolePath}/people/organisations`

export function OrganisationsPage(props: {
  viewer: Viewer
  rows: readonly {
    id: number
    kind: (typeof organisationKinds)[number]
    name: string
    areaId: number | null
  }[]
  areaNames: ReadonlyMap<number, string>
  /** Areas an organisation may be registered under by this viewer. */
  areas: readonly { id: number; kind: keyof typeof areaKindNames; name: string }[]
  error?: string
  notice?: string
}) {
  const admin = props.viewer.staff.role === 'admin'
  return (
    <Layout title="单位" viewer={props.viewer} active="people" error={props.error} notice={props.notice}>
      <h1>人员与区域</h1>
      <PeopleTabs on="organisations" />
      <DataTable
        label="单位"
        rows={props.rows}
        empty="还没有登记单位。"
        columns={[
          { head: '名称', cell: (o) => o.name },
          { head: '类型', cell: (o) => organisationKindNames[o.kind] },
          {
            head: '所在区域',
            cell: (o) => (o.areaId === null ? '全市' : (props.areaNames.get(o.areaId) ?? `区域 ${o.areaId}`)),
          },
        ]}
      />
      <section class="card">
        <h2>登记单位</h2>
        <PostForm action={organisationsHref} csrf={props.viewer.csrf}>
          <Select
            label="类型"
            name="kind"
            required
            options={organisationKinds.map((k) => ({ value: k, text: organisationKindNames[k] }))}
          />
          <Input label="名称" name="name" required maxlength={100} />
          <Select
            label="所在区域"
            name="areaId"
            blank={admin ? '（全市）' : '（本人管辖区域）'}
            options={props.areas.map((a) => ({ value: a.id, text: `${areaKindNames[a.kind]} · ${a.name}` }))}
          />
          <button type="submit">登记</button>
        </PostForm>
      </section>
    </Layout>
  )
}
