import type { EnvSetting } from '../../core/settings/runtime-settings'
import type { listYearTargets } from '../../core/settings/year-targets'
import { yi, yuan } from './format'
import { DataTable, Input, Layout, PostForm, type Viewer } from './layout'
import { consolePath } from './session'

export const settingsHref = `${consolePath}/settings`
export const targetsAction = `${settingsHref}/targets`

type TargetRow = Awaited<ReturnType<typeof listYearTargets>>[number]

export interface TargetFormValues {
  year: string
  started: string
  completed: string
  investmentYuan: string
}

export function SettingsPage(props: {
  viewer: Viewer
  targets: TargetRow[]
  values: TargetFormValues
  env: EnvSetting[]
  error?: string
  notice?: string
}) {
  const v = props.values
  return (
    <Layout
      title="设置与目标"
      viewer={props.viewer}
      active="settings"
      error={props.error}
      notice={props.notice}
    >
      <h1>设置与目标</h1>

      <h2>年度目标</h2>
      <p class="muted">
        数据看板和统计接口按这里的目标计算完成率（工作方案：开工 80 个、完工 50 个、投资 12.8 亿元）。
        保存在数据库中，修改即时生效并记入操作记录；未在此设置的年份沿用环境变量 YEAR_TARGETS。
      </p>
      <DataTable
        label="年度目标"
        columns={[
          { head: '年度', cell: (t) => `${t.year} 年` },
          { head: '开工目标', cell: (t) => `${t.started} 个`, num: true },
          { head: '完工目标', cell: (t) => `${t.completed} 个`, num: true },
          {
            head: '投资目标',
            cell: (t) => (
              <div>
                {yi(t.investmentYuan)}
                <div class="muted">{yuan(t.investmentYuan)}</div>
              </div>
            ),
            num: true,
          },
          { head: '来源', cell: (t) => (t.stored ? '数据库（本页设置）' : '环境变量 YEAR_TARGETS') },
          {
            head: '操作',
            cell: (t) => <a href={`${settingsHref}?year=${t.year}`}>修改 {t.year} 年</a>,
            wide: true,
          },
        ]}
        rows={props.targets}
        empty="还没有任何年度目标。"
      />

      <section class="card">
        <h2>设置一年的目标</h2>
        <PostForm action={targetsAction} csrf={props.viewer.csrf}>
          <Input
            label="年度"
            name="year"
            type="number"
            value={v.year}
            required
            hint="2000 到 2100 之间，如 2026。"
          />
          <Input label="开工目标（个）" name="started" type="number" value={v.started} required />
          <Input label="完工目标（个）" name="completed" type="number" value={v.completed} required />
          <Input
            label="投资目标（元）"
            name="investmentYuan"
            value={v.investmentYuan}
            required
            maxlength={24}
            hint="以元为单位，最多两位小数；12.8 亿元填 1280000000。"
          />
          <button type="submit">保存目标</button>
        </PostForm>
      </section>

      <h2>运行参数（只读）</h2>
      <p class="muted">
        以下参数在启动时从环境变量读取，由机器人、消息发送和定时任务使用。如需修改，请更改对应的环境变量后重启服务。
      </p>
      <DataTable
        label="运行参数"
        columns={[
          { head: '参数', cell: (s) => s.label },
          { head: '当前值', cell: (s) => s.value },
          { head: '环境变量', cell: (s) => <code>{s.env}</code> },
          { head: '说明', cell: (s) => s.note || '—' },
        ]}
        rows={props.env}
      />
    </Layout>
  )
}
