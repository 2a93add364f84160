import type { ProjectRow, projectDetail } from '../../core/projects/projects.usecases'
import type { GateFailure } from '../../core/projects/stages'
import { projectStages } from '../../db/schema'
import { documentKindNames, projectEventNames, taskStatusNames, time, yi, yuan } from './format'
import { CsrfField, eventHead, Late, Layout, SelectFilter, Table, Tag, type Viewer } from './layout'
import { consolePath } from './session'

export const projectHref = (number: string) => `${consolePath}/projects/${encodeURIComponent(number)}`

export function ProjectsPage(props: {
  viewer: Viewer
  rows: { project: ProjectRow; xiaoquName: string }[]
  year?: number
  years: number[]
}) {
  return (
    <Layout title="项目" viewer={props.viewer} active="projects">
      <h1>
        改造项目{props.year ? `（${props.year} 年）` : ''}：共 {props.rows.length} 个
      </h1>
      <SelectFilter
        action={`${consolePath}/projects`}
        label="年度"
        name="year"
        all="全部"
        options={props.years.map((y) => ({ value: String(y), text: y, selected: props.year === y }))}
        submit="筛选"
      />
      <div class="pipeline">
        {projectStages.map((stage) => {
          const here = props.rows.filter((r) => r.project.stage === stage)
          return (
            <div class="col">
              <h3>
                <span>{stage}</span>
                <span class="badge">{here.length}</span>
              </h3>
              {here.map(({ project, xiaoquName }) => (
                <a class="item" href={projectHref(project.number)}>
                  <strong>{project.number}</strong> {project.title}
                  <div class="muted">
                    {xiaoquName} · {project.year} 年
                  </div>
                  <div class="muted">{time(project.stageEnteredAt)} 进入本阶段</div>
                </a>
              ))}
            </div>
          )
        })}
      </div>
    </Layout>
  )
}

type Detail = Awaited<ReturnType<typeof projectDetail>>

export function ProjectPage(props: {
  viewer: Viewer
  now: Date
  detail: Detail
  responsibleName: string | null
  error?: string
  notice?: string
  /** The gates a refused move named (409). */
  failedGates?: GateFailure[]
}) {
  const { project, events, documents, tasks, gates } = props.detail
  const current = projectStages.indexOf(project.stage)
  return (
    <Layout
      title={`项目 ${project.number}`}
      viewer={props.viewer}
      active="projects"
      error={props.error}
      notice={props.notice}
    >
      <h1>
        项目 {project.number} {project.title}
      </h1>
      <ol class="stages" aria-label="阶段">
        {projectStages.map((stage, i) => (
          <li class={i < current ? 'done' : i === current ? 'now' : undefined}>{stage}</li>
        ))}
      </ol>
      <section class="card">
        <dl class="facts">
          <dt>小区</dt>
          <dd>{props.detail.xiaoquName}</dd>
          <dt>年度</dt>
          <dd>{project.year}</dd>
          <dt>当前阶段</dt>
          <dd>
            {project.stage}（{time(project.stageEnteredAt)} 进入）
          </dd>
          <dt>负责人</dt>
          <dd>{props.responsibleName ?? '—'}</dd>
          <dt>改造内容</dt>
          <dd>
            {project.items.length === 0
              ? '尚未填写'
              : project.items
                  .map((item) => `${item.name}（${item.kind === 'basic' ? '基础类' : '自选类'}）`)
                  .join('、')}
          </dd>
          <dt>计划投资</dt>
          <dd>
            {yuan(project.plannedInvestment)}（{yi(project.plannedInvestment)}）
          </dd>
          <dt>实际投资</dt>
          <dd>
            {yuan(project.actualInvestment)}（{yi(project.actualInvestment)}）
          </dd>
          <dt>开工 / 完工</dt>
          <dd>
            {time(project.startedAt)} / {time(project.completedAt)}
          </dd>
        </dl>
      </section>

      <section class="card">
        {gates.next ? (
          <>
            <h2>进入下一阶段「{gates.next}」还需要</h2>
            {gates.failures.length === 0 ? (
              <p>条件均已满足，可以进入「{gates.next}」。</p>
            ) : (
              <ul>
                {gates.failures.map((f) => (
                  <li>{f.message}</li>
                ))}
              </ul>
            )}
            {props.failedGates && props.failedGates.length > 0 ? (
              <div class="msg error">
                未通过的条件：
                <ul>
                  {props.failedGates.map((f) => (
                    <li>{f.message}</li>
                  ))}
                </ul>
              </div>
            ) : null}
            <form method="post" action={`${projectHref(project.number)}/stage`} class="inline">
              <CsrfField token={props.viewer.csrf} />
              <input type="hidden" name="to" value={gates.next} />
              <button type="submit">进入「{gates.next}」</button>
            </form>
            {props.viewer.staff.role === 'admin' && gates.failures.length > 0 ? (
              <form method="post" action={`${projectHref(project.number)}/stage`}>
                <CsrfField token={props.viewer.csrf} />
                <input type="hidden" name="to" value={gates.next} />
                <input type="hidden" name="override" value="1" />
                <label>
                  管理员强制进入「{gates.next}」的原因（必填，记入操作记录；本阶段未完成的任务将取消）
                  <textarea name="reason" required maxlength={500} />
                </label>
                <button type="submit">强制进入「{gates.next}」</button>
              </form>
            ) : null}
          </>
        ) : (
          <p>项目已处于最后阶段「{project.stage}」。</p>
        )}
      </section>

      <h2>任务</h2>
      <Table
        head={['编号', '任务', '阶段', '状态', '完成时限', '完成时间']}
        rows={tasks}
        empty="暂无任务。"
        row={(t) => (
          <tr class={t.status === 'open' && t.dueAt < props.now ? 'late' : undefined}>
            <td>{t.number}</td>
            <td>{t.title}</td>
            <td>{t.stage ?? '—'}</td>
            <td>{taskStatusNames[t.status]}</td>
            <td>
              {time(t.dueAt)} <Late label={t.status === 'open' && t.dueAt < props.now ? '已超时' : null} />
            </td>
            <td>{time(t.completedAt)}</td>
          </tr>
        )}
      />

      <h2>材料</h2>
      <Table
        head={['类别', '内容 / 文号', '登记时间']}
        rows={documents}
        empty="尚未登记材料。"
        row={(d) => (
          <tr>
            <td>{documentKindNames[d.kind]}</td>
            <td class="pre">{d.note}</td>
            <td>{time(d.recordedAt)}</td>
          </tr>
        )}
      />

      <h2>项目记录</h2>
      <Table
        head={eventHead}
        rows={events}
        row={(e) => (
          <tr>
            <td>{time(e.at)}</td>
            <td>
              {projectEventNames[e.kind] ?? e.kind}
              {e.kind === 'stage' ? `：${e.fromStage ?? ''} → ${e.toStage ?? ''}` : ''}
              <Tag show={e.overridden} class="urgent">
                强制
              </Tag>
            </td>
            <td>{e.actorName ?? '—'}</td>
            <td class="pre">{e.reason ?? ''}</td>
          </tr>
        )}
      />
      <p>
        <a href={`${consolePath}/projects`}>← 返回项目</a>
      </p>
    </Layout>
  )
}
