import type { ProjectChoices } from '../../core/projects/projects.options'
import type { ProjectRow } from '../../core/projects/projects.usecases'
import { type ProjectStage, projectStages } from '../../db/schema'
import { time, yi, yuan } from './format'
import { DataTable, Layout, PostForm, Select, type Viewer } from './layout'
import { ProjectFields, type ProjectFormValues } from './projects.form'
import { consolePath } from './session'

export const projectsHref = `${consolePath}/projects`
export const projectHref = (number: string) => `${projectsHref}/${encodeURIComponent(number)}`

export interface ProjectFilter {
  year?: number
  stage?: ProjectStage
  xiaoquId?: number
}

const filterHref = (f: ProjectFilter) => {
  const query = new URLSearchParams()
  if (f.year) query.set('year', String(f.year))
  if (f.stage) query.set('stage', f.stage)
  if (f.xiaoquId) query.set('xiaoqu', String(f.xiaoquId))
  const text = query.toString()
  return text ? `${projectsHref}?${text}` : projectsHref
}

type Listed = { project: ProjectRow; xiaoquName: string }

/** 项目: filters, the count at each stage (a link narrowing to it), and the projects as a table. */
export function ProjectsPage(props: {
  viewer: Viewer
  /** Every project the year and xiaoqu filters keep, before the stage filter. */
  rows: Listed[]
  filter: ProjectFilter
  years: number[]
  places: { id: number; name: string }[]
  canCreate: boolean
}) {
  const { filter } = props
  const shown = filter.stage ? props.rows.filter((r) => r.project.stage === filter.stage) : props.rows
  return (
    <Layout title="项目" viewer={props.viewer} active="projects">
      <h1>
        改造项目{filter.year ? `（${filter.year} 年）` : ''}：共 {shown.length} 个
      </h1>
      {props.canCreate ? (
        <p>
          <a href={`${projectsHref}/new`}>＋ 新建项目</a>
        </p>
      ) : null}
      <form method="get" action={projectsHref} class="toolbar">
        <label>
          <span>年度</span>
          <select name="year">
            <option value="">全部</option>
            {props.years.map((y) => (
              <option value={String(y)} selected={filter.year === y}>
                {y}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>阶段</span>
          <select name="stage">
            <option value="">全部</option>
            {projectStages.map((s) => (
              <option value={s} selected={filter.stage === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <Select
          label="小区"
          name="xiaoqu"
          blank="全部"
          options={props.places.map((p) => ({ value: p.id, text: p.name }))}
          value={filter.xiaoquId}
        />
        <button type="submit" class="secondary">
          筛选
        </button>
      </form>
      <ol class="stages" aria-label="各阶段项目数">
        {projectStages.map((stage) => {
          const count = props.rows.filter((r) => r.project.stage === stage).length
          return (
            <li class={filter.stage === stage ? 'now' : count > 0 ? 'done' : undefined}>
              <a
                href={filterHref({ ...filter, stage: filter.stage === stage ? undefined : stage })}
                style="color:inherit;text-decoration:none"
              >
                {stage} {count}
              </a>
            </li>
          )
        })}
      </ol>
      <DataTable
        label="项目列表"
        rows={shown}
        empty="没有符合条件的项目。"
        columns={[
          {
            head: '编号',
            cell: ({ project }) => <a href={projectHref(project.number)}>{project.number}</a>,
          },
          { head: '项目', cell: ({ project }) => project.title },
          { head: '小区', cell: ({ xiaoquName }) => xiaoquName },
          { head: '年度', cell: ({ project }) => project.year },
          {
            head: '阶段',
            cell: ({ project }) => (
              <>
                {project.stage}
                <div class="muted">{time(project.stageEnteredAt)} 进入</div>
              </>
            ),
          },
          {
            head: '计划投资',
            num: true,
            cell: ({ project }) => (
              <>
                {yuan(project.plannedInvestment)}
                <div class="muted">{yi(project.plannedInvestment)}</div>
              </>
            ),
          },
        ]}
      />
    </Layout>
  )
}

/** 新建项目: the form, with what was typed when it is shown again after a refusal. */
export function NewProjectPage(props: {
  viewer: Viewer
  choices: ProjectChoices
  values: ProjectFormValues
  error?: string
}) {
  return (
    <Layout title="新建项目" viewer={props.viewer} active="projects" error={props.error}>
      <h1>新建改造项目</h1>
      <p class="muted">
        新项目从「储备」阶段开始。改造内容、实施主体等可以之后在项目页修改；所有修改都记入操作记录。
      </p>
      {props.choices.places.length === 0 ? (
        <p class="msg warn">您的管辖范围内还没有小区，请先由管理员登记小区。</p>
      ) : (
        <section class="card">
          <PostForm action={`${projectsHref}/new`} csrf={props.viewer.csrf}>
            <ProjectFields choices={props.choices} values={props.values} creating />
            <button type="submit">创建项目</button>
          </PostForm>
        </section>
      )}
      <p>
        <a href={projectsHref}>← 返回项目</a>
      </p>
    </Layout>
  )
}
