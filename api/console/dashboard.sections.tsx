import type { AreaFigures, MonthRates, OverdueOwner } from '../../core/stats/stats'
import { BarChart, RateLines } from './charts'
import { percent } from './format'
import { DataTable } from './layout'
import { consolePath } from './session'

// The dashboard's request, overdue and area sections: a chart and, beside it, its figures in a table.

const ownerKindNames = { staff: '工作人员', organisation: '单位', none: '—' } as const
const areaKindNames = { district: '区', street: '街道', community: '社区', xiaoqu: '小区' } as const
export const dashboardHref = `${consolePath}/dashboard`

const ownerName = (o: OverdueOwner) => o.ownerName ?? (o.ownerKind === 'none' ? '尚未指定承办人' : '—')

/** A drill-down link for a district or street (the areas the figures can be asked for). */
function areaHref(year: number, area: AreaFigures) {
  if (area.kind === 'district') return `${dashboardHref}?year=${year}&districtId=${area.id}`
  if (area.kind === 'street') return `${dashboardHref}?year=${year}&streetId=${area.id}`
  return undefined
}

export function Monthly(props: { months: readonly MonthRates[] }) {
  const filed = props.months.filter((m) => m.total > 0)
  const summary =
    filed.length === 0
      ? '本年度还没有诉求。'
      : filed
          .map(
            (m) =>
              `${m.month}月 ${m.total} 件：响应率 ${percent(m.responseRate)}，解决率 ${percent(m.resolutionRate)}，满意率 ${percent(m.satisfactionRate)}`,
          )
          .join('；')
  return (
    <div class="grid2">
      <section class="card chart">
        <h3>三率按月（按诉求提出的月份）</h3>
        <RateLines
          title="响应率、解决率、满意率按月"
          summary={summary}
          labels={props.months.map((m) => String(m.month))}
          series={[
            { name: '响应率', values: props.months.map((m) => m.responseRate) },
            { name: '解决率', values: props.months.map((m) => m.resolutionRate) },
            { name: '满意率', values: props.months.map((m) => m.satisfactionRate) },
          ]}
          empty="本年度还没有可计算的诉求。"
        />
        <p class="hint">横轴为月份；某月没有应响应、应办结或已评价的诉求时，该点空缺。</p>
      </section>
      <div>
        <DataTable
          label="三率按月"
          columns={[
            { head: '月份', cell: (m: MonthRates) => `${m.month} 月` },
            { head: '诉求', cell: (m: MonthRates) => m.total, num: true },
            {
              head: '响应率',
              cell: (m: MonthRates) => `${percent(m.responseRate)}（${m.respondedOnTime}/${m.responseDue}）`,
              num: true,
            },
            {
              head: '解决率',
              cell: (m: MonthRates) =>
                `${percent(m.resolutionRate)}（${m.resolvedOnTime}/${m.resolutionDue}）`,
              num: true,
            },
            {
              head: '满意率',
              cell: (m: MonthRates) => `${percent(m.satisfactionRate)}（${m.satisfied}/${m.rated}）`,
              num: true,
            },
          ]}
          rows={filed}
          empty="本年度还没有诉求。"
        />
      </div>
    </div>
  )
}

export function Overdue(props: { owners: readonly OverdueOwner[] }) {
  const owners = props.owners
  const summary =
    owners.length === 0
      ? '没有超时事项。'
      : owners.map((o) => `${ownerName(o)} 超时诉求 ${o.requests} 件、超时任务 ${o.tasks} 件`).join('；')
  return (
    <div class="grid2">
      <section class="card chart">
        <BarChart
          title="当前超时（按负责方）"
          summary={summary}
          series={['超时诉求', '超时任务']}
          rows={owners.slice(0, 12).map((o) => ({
            label: ownerName(o),
            values: [o.requests, o.tasks],
            text: `诉求 ${o.requests} · 任务 ${o.tasks}`,
          }))}
          empty="没有超时事项。"
        />
        {owners.length > 12 ? <p class="hint">图中为超时最多的 12 个负责方，全部见下表。</p> : null}
      </section>
      <div>
        <DataTable
          label="当前超时（按负责方）"
          columns={[
            { head: '负责方', cell: ownerName },
            { head: '类别', cell: (o) => ownerKindNames[o.ownerKind] },
            { head: '超时诉求', cell: (o) => o.requests, num: true },
            { head: '超时任务', cell: (o) => o.tasks, num: true },
          ]}
          rows={owners}
          empty="没有超时事项。"
        />
      </div>
    </div>
  )
}

export function Areas(props: { year: number; areas: readonly AreaFigures[] }) {
  const areas = props.areas
  if (areas.length === 0) return null
  const kind = areaKindNames[areas[0]!.kind]
  const summary = areas
    .map(
      (a) =>
        `${a.name}：小区 ${a.xiaoqu.total} 个，组建率 ${percent(a.xiaoqu.ownersOrganisationRate)}，物业管理覆盖率 ${percent(a.xiaoqu.propertyManagementRate)}`,
    )
    .join('；')
  return (
    <>
      <h2>按{kind}</h2>
      <div class="grid2">
        <section class="card chart">
          <BarChart
            title={`业主组织组建率与物业管理覆盖率（按${kind}）`}
            summary={summary}
            series={['组建率', '覆盖率']}
            mode="grouped"
            max={1}
            rows={areas.map((a) => ({
              label: a.name,
              values: [a.xiaoqu.ownersOrganisationRate ?? 0, a.xiaoqu.propertyManagementRate ?? 0],
              text: `${percent(a.xiaoqu.ownersOrganisationRate)} · ${percent(a.xiaoqu.propertyManagementRate)}`,
            }))}
          />
        </section>
        <div>
          <DataTable
            label={`按${kind}`}
            columns={[
              {
                head: kind,
                cell: (a) => {
                  const href = areaHref(props.year, a)
                  return href ? <a href={href}>{a.name}</a> : a.name
                },
              },
              { head: '小区', cell: (a) => a.xiaoqu.total, num: true },
              {
                head: '组建率',
                cell: (a) =>
                  `${percent(a.xiaoqu.ownersOrganisationRate)}（${a.xiaoqu.withOwnersOrganisation}）`,
                num: true,
              },
              {
                head: '覆盖率',
                cell: (a) =>
                  `${percent(a.xiaoqu.propertyManagementRate)}（${a.xiaoqu.withPropertyManagement}）`,
                num: true,
              },
              { head: '项目', cell: (a) => a.projects.total, num: true },
              { head: '开工', cell: (a) => a.projects.started, num: true },
              { head: '完工', cell: (a) => a.projects.completed, num: true },
            ]}
            rows={areas}
          />
        </div>
      </div>
    </>
  )
}
