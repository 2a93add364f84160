import { categoryCodes } from '../../core/classify/categories'
import type { ListedRule, routingChoices } from '../../core/requests/routing'
import { staffLabel, time } from './format'
import { DataTable, Layout, PostForm, Select, type Viewer } from './layout'
import { consolePath } from './session'

export const routingHref = `${consolePath}/routing`

export const areaKindNames = { district: '区', street: '街道', community: '社区' } as const

export type RoutingChoices = Awaited<ReturnType<typeof routingChoices>>

export interface RuleFormValues {
  category?: string
  areaId?: string
  handler?: string
}

const areaLabel = (area: { kind: keyof typeof areaKindNames; name: string }) =>
  `${area.name}（${areaKindNames[area.kind]}）`

function RuleForm(props: { csrf: string; choices: RoutingChoices; values: RuleFormValues }) {
  const { choices, values } = props
  const handlers = [
    ...choices.staff.map((s) => ({ value: `s${s.id}`, text: `人员：${staffLabel(s)}` })),
    ...choices.organisations.map((o) => ({ value: `o${o.id}`, text: `单位：${o.name}` })),
  ]
  return (
    <PostForm action={routingHref} csrf={props.csrf}>
      <Select
        label="分类"
        name="category"
        blank="全部分类"
        value={values.category}
        options={categoryCodes.map((code) => ({ value: code, text: code }))}
      />
      <Select
        label="区域"
        name="areaId"
        required
        blank="请选择区域"
        value={values.areaId}
        options={choices.areas.map((a) => ({ value: a.id, text: areaLabel(a) }))}
      />
      <Select
        label="处理人（人员或单位）"
        name="handler"
        required
        blank="请选择处理人"
        value={values.handler}
        options={handlers}
      />
      <p class="hint">
        处理人须负责该区域的全部小区；选单位时，由该单位在岗、办理诉求且管辖该小区的人员中编号最小的一位接收。
      </p>
      <button type="submit">添加规则</button>
    </PostForm>
  )
}

/** 派单规则: the rules in the viewer's scope (and above it, read-only), the form that adds one. */
export function RoutingPage(props: {
  viewer: Viewer
  rules: readonly ListedRule[]
  choices: RoutingChoices
  values?: RuleFormValues
  error?: string
  notice?: string
}) {
  const { csrf } = props.viewer
  return (
    <Layout title="派单规则" viewer={props.viewer} active="routing" error={props.error} notice={props.notice}>
      <h1>派单规则（{props.rules.length} 条）</h1>
      <p class="muted">
        新诉求按所在小区的区域匹配规则：社区优先于街道，街道优先于区；同一区域内，指定分类的规则优先于"全部分类"。
        匹配后直接派给处理人并私聊通知；没有匹配的规则、或处理人已停用时，照常通知工作群。
      </p>
      <DataTable
        label="派单规则"
        rows={props.rules}
        empty="还没有派单规则，新诉求都会发到工作群。"
        columns={[
          { head: '编号', cell: (r) => `#${r.rule.id}` },
          { head: '区域', cell: (r) => areaLabel(r.area) },
          { head: '分类', cell: (r) => r.rule.category ?? '全部分类' },
          {
            head: '处理人',
            cell: (r) => (
              <>
                {r.handler.kind === 'staff' ? '人员：' : '单位：'}
                {r.handler.name}
                {r.handler.active ? null : <span class="badge late">已停用</span>}
              </>
            ),
          },
          { head: '添加时间', cell: (r) => time(r.rule.createdAt) },
          {
            head: '操作',
            wide: true,
            cell: (r) =>
              r.editable ? (
                <PostForm action={`${routingHref}/${r.rule.id}/delete`} csrf={csrf} class="inline">
                  <button type="submit" class="secondary">
                    删除
                  </button>
                </PostForm>
              ) : (
                <span class="muted">上级区域的规则</span>
              ),
          },
        ]}
      />
      <section class="card">
        <h2>添加规则</h2>
        {props.choices.areas.length === 0 ? (
          <p class="muted">您的管辖范围内没有可设规则的区域（区、街道或社区）。</p>
        ) : (
          <RuleForm csrf={csrf} choices={props.choices} values={props.values ?? {}} />
        )}
      </section>
    </Layout>
  )
}
