import type { Stats } from '../../core/stats/stats'
import { projectStages } from '../../db/schema'
import { percent, yi, yuan } from './format'
import { Layout, SelectFilter, Table, type Viewer } from './layout'
import { consolePath } from './session'

const ownerKindNames = { staff: '工作人员', organisation: '单位', none: '—' } as const

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

export function DashboardPage(props: { viewer: Viewer; stats: Stats; years: number[] }) {
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
        action={`${consolePath}/dashboard`}
        label="年度"
        name="year"
        options={props.years.map((y) => ({ value: String(y), text: y, selected: y === stats.year }))}
        submit="查看"
      />

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
      <Table
        head={projectStages.map((s) => ({ num: s }))}
        rows={[p.byStage]}
        row={(byStage) => (
          <tr>
            {projectStages.map((s) => (
              <td class="num">{byStage[s]}</td>
            ))}
          </tr>
        )}
      />

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

      <h2>当前超时（按负责方）</h2>
      <Table
        head={['负责方', '类别', { num: '超时诉求' }, { num: '超时任务' }]}
        rows={stats.overdueByOwner}
        empty="没有超时事项。"
        row={(o) => (
          <tr>
            <td>{o.ownerName ?? (o.ownerKind === 'none' ? '尚未指定承办人' : '—')}</td>
            <td>{ownerKindNames[o.ownerKind]}</td>
            <td class="num">{o.requests}</td>
            <td class="num">{o.tasks}</td>
          </tr>
        )}
      />
    </Layout>
  )
}
