import type { Stats } from '../../core/stats/stats'
import { type ProjectStage, projectStages } from '../../db/schema'
import { BarChart } from './charts'
import { Areas, dashboardHref, Monthly, Overdue } from './dashboard.sections'
import { percent, yi, yuan } from './format'
import { DataTable, Layout, SelectFilter, type Viewer } from './layout'

function Kpi(props: { label: string; value: string; sub?: string }) {
  return (
    <div class="kpi">
      <div class="label">{props.label}</div>
      <div class="value">{props.value}</div>
      {props.sub ? <div class="sub">{props.sub}</div> : null}
    </div>
  )
}

const ofTarget = (target: number | undefined, rate: number | null) =>
  target === undefined ? '未设年度目标' : `目标 ${target} 个，完成 ${percent(rate)}`

function Projects(props: { stats: Stats }) {
  const p = props.stats.projects
  const t = p.targets
  const countText = (done: number, target: number | undefined) =>
    target === undefined ? `${done} 个` : `${done} / ${target} 个`
  const summary = t
    ? `开工 ${p.started} 个，目标 ${t.started} 个（${percent(p.startedRate)}）；完工 ${p.completed} 个，目标 ${t.completed} 个（${percent(p.completedRate)}）`
    : `开工 ${p.started} 个，完工 ${p.completed} 个；未设年度目标`
  const investmentSummary = `计划投资 ${yi(p.investment.plannedYuan)}，实际投资 ${yi(p.investment.actualYuan)}，${
    p.investment.targetYuan === null ? '未设年度目标' : `目标 ${yi(p.investment.targetYuan)}`
  }`
  const staged = projectStages.filter((s) => p.byStage[s] > 0)
  const investmentTarget = p.investment.targetYuan === null ? undefined : Number(p.investment.targetYuan)
  const figures = [
    {
      label: '开工',
      done: `${p.started} 个`,
      target: t ? `${t.started} 个` : '—',
      rate: percent(p.startedRate),
    },
    {
      label: '完工',
      done: `${p.completed} 个`,
      target: t ? `${t.completed} 个` : '—',
      rate: percent(p.completedRate),
    },
    {
      label: '实际投资',
      done: yuan(p.investment.actualYuan),
      target: p.investment.targetYuan === null ? '—' : yuan(p.investment.targetYuan),
      rate: '',
    },
  ]
  return (
    <>
      <div class="grid2">
        <section class="card chart">
          <h3>开工、完工与年度目标</h3>
          <BarChart
            title="开工、完工与年度目标"
            summary={summary}
            series={['项目数']}
            rows={[
              {
                label: '开工',
                values: [p.started],
                text: countText(p.started, t?.started),
                target: t?.started,
              },
              {
                label: '完工',
                values: [p.completed],
                text: countText(p.completed, t?.completed),
                target: t?.completed,
              },
            ]}
            empty="本年度还没有项目，也未设目标。"
          />
          <p class="hint">红线为年度目标。</p>
        </section>
        <section class="card chart">
          <h3>投资与年度目标</h3>
          <BarChart
            title="投资与年度目标"
            summary={investmentSummary}
            series={['投资']}
            rows={[
              {
                label: '计划投资',
                values: [Number(p.investment.plannedYuan)],
                text: yi(p.investment.plannedYuan),
                target: investmentTarget,
              },
              {
                label: '实际投资',
                values: [Number(p.investment.actualYuan)],
                text: yi(p.investment.actualYuan),
                target: investmentTarget,
              },
            ]}
            empty="本年度还没有投资，也未设目标。"
          />
          <p class="hint">红线为年度投资目标。</p>
        </section>
      </div>
      <div>
        <DataTable
          label="项目完成情况与年度目标"
          columns={[
            { head: '指标', cell: (r) => r.label },
            { head: '完成', cell: (r) => r.done, num: true },
            { head: '年度目标', cell: (r) => r.target, num: true },
            { head: '完成率', cell: (r) => r.rate || '—', num: true },
          ]}
          rows={figures}
        />
      </div>
      <h3>按阶段</h3>
      <div class="grid2">
        <section class="card chart">
          <BarChart
            title="项目按阶段"
            summary={
              staged.length === 0
                ? '本年度还没有项目。'
                : staged.map((s) => `${s} ${p.byStage[s]} 个`).join('，')
            }
            series={['项目数']}
            rows={staged.map((s) => ({ label: s, values: [p.byStage[s]], text: `${p.byStage[s]} 个` }))}
            empty="本年度还没有项目。"
          />
        </section>
        <div>
          <DataTable
            label="项目按阶段"
            columns={[
              { head: '阶段', cell: (s: ProjectStage) => s },
              { head: '项目数', cell: (s: ProjectStage) => p.byStage[s], num: true },
            ]}
            rows={staged}
            empty="本年度还没有项目。"
          />
        </div>
      </div>
    </>
  )
}

export function DashboardPage(props: {
  viewer: Viewer
  stats: Stats
  years: number[]
  /** Set when the figures are for an area chosen below the viewer's own scope. */
  narrowed?: boolean
}) {
  const { stats } = props
  const p = stats.projects
  const r = stats.requests
  const x = stats.xiaoqu
  return (
    <Layout title="数据看板" viewer={props.viewer} active="dashboard">
      <h1>
        数据看板 · {stats.scope.name} · {stats.year} 年
      </h1>
      <SelectFilter
        action={dashboardHref}
        label="年度"
        name="year"
        options={props.years.map((y) => ({ value: String(y), text: y, selected: y === stats.year }))}
        submit="查看"
      />
      {props.narrowed ? (
        <p>
          <a href={`${dashboardHref}?year=${stats.year}`}>← 回到我的管辖范围</a>
        </p>
      ) : null}

      <h2>综合整治项目</h2>
      <div class="kpis">
        <Kpi label="项目总数" value={`${p.total} 个`} />
        <Kpi label="开工" value={`${p.started} 个`} sub={ofTarget(p.targets?.started, p.startedRate)} />
        <Kpi label="完工" value={`${p.completed} 个`} sub={ofTarget(p.targets?.completed, p.completedRate)} />
        <Kpi label="计划投资" value={yi(p.investment.plannedYuan)} sub={yuan(p.investment.plannedYuan)} />
        <Kpi label="实际投资" value={yi(p.investment.actualYuan)} sub={yuan(p.investment.actualYuan)} />
        <Kpi
          label="年度投资目标"
          value={p.investment.targetYuan === null ? '—' : yi(p.investment.targetYuan)}
          sub={p.investment.targetYuan === null ? '未设年度目标' : yuan(p.investment.targetYuan)}
        />
      </div>
      <Projects stats={stats} />

      <h2>诉求办理（{r.total} 件）</h2>
      <div class="kpis">
        <Kpi
          label="响应率"
          value={percent(r.responseRate)}
          sub={`按时响应 ${r.counts.respondedOnTime} / 应响应 ${r.counts.responseDue}`}
        />
        <Kpi
          label="解决率"
          value={percent(r.resolutionRate)}
          sub={`按时办结 ${r.counts.resolvedOnTime} / 应办结 ${r.counts.resolutionDue}`}
        />
        <Kpi
          label="满意率"
          value={percent(r.satisfactionRate)}
          sub={`满意 ${r.counts.satisfied} / 已评价 ${r.counts.rated}`}
        />
      </div>
      <Monthly months={r.byMonth} />

      <h2>当前超时（按负责方）</h2>
      <Overdue owners={stats.overdueByOwner} />

      <h2>小区治理</h2>
      <div class="kpis">
        <Kpi
          label="业主组织组建率"
          value={percent(x.ownersOrganisationRate)}
          sub={`已组建 ${x.withOwnersOrganisation} / 小区 ${x.total}`}
        />
        <Kpi
          label="物业管理覆盖率"
          value={percent(x.propertyManagementRate)}
          sub={`有物业 ${x.withPropertyManagement} / 小区 ${x.total}`}
        />
      </div>
      <Areas year={stats.year} areas={stats.byArea} />
    </Layout>
  )
}
