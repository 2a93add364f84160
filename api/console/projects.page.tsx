import type { Names, ProjectChoices } from '../../core/projects/projects.options'
import type { projectDetail } from '../../core/projects/projects.usecases'
import { documentNames, type GateFailure } from '../../core/projects/stages'
import {
  type ProjectDocumentKind,
  type ProjectStage,
  projectDocumentKinds,
  projectStages,
} from '../../db/schema'
import { documentKindNames, projectEventNames, taskStatusNames, time, yi, yuan } from './format'
import { DataTable, eventHead, Late, Layout, PostForm, Select, Tag, TextArea, type Viewer } from './layout'
import { ProjectFields, type ProjectFormValues } from './projects.form'
import { projectHref, projectsHref } from './projects.list'
import { TaskForm, type TaskFormValues } from './tasks.page'

export { projectHref } from './projects.list'

type Detail = Awaited<ReturnType<typeof projectDetail>>
type ProjectTask = Detail['tasks'][number]

/** A move that was refused, and the gates it named. */
export interface RefusedMove {
  to: ProjectStage
  gates: GateFailure[]
}

const Failures = (props: { gates: readonly GateFailure[] }) => (
  <ul>
    {props.gates.map((f) => (
      <li>{f.message}</li>
    ))}
  </ul>
)

/**
 * 阶段: the next stage and exactly what it still needs, the move, and an admin's override. A refused move
 * is shown under the stage it tried to enter, so the next stage's readiness never reads as its answer.
 */
function StageCard(props: { viewer: Viewer; detail: Detail; canManage: boolean; refused?: RefusedMove }) {
  const { project, gates } = props.detail
  const action = `${projectHref(project.number)}/stage`
  const refused = props.refused
  const refusedElsewhere = refused && refused.to !== gates.next ? refused : undefined
  const admin = props.viewer.staff.role === 'admin'
  return (
    <section class="card" aria-label="阶段变更">
      {refusedElsewhere ? (
        <div class="msg error">
          <strong>未能进入「{refusedElsewhere.to}」，未通过的条件：</strong>
          <Failures gates={refusedElsewhere.gates} />
          {gates.next ? <span>项目须依次变更阶段，下一阶段是「{gates.next}」，见下。</span> : null}
        </div>
      ) : null}
      {gates.next ? (
        <>
          <h2>下一阶段「{gates.next}」</h2>
          {gates.failures.length === 0 ? (
            <p>
              <span class="badge ok">可以进入</span> 条件均已满足，可以进入「{gates.next}」。
            </p>
          ) : refused && refused.to === gates.next ? (
            <div class="msg error">
              <strong>未能进入「{gates.next}」，未通过的条件：</strong>
              <Failures gates={gates.failures} />
            </div>
          ) : (
            <>
              <p>
                <span class="badge late">尚不能进入</span> 进入下一阶段「{gates.next}」还需要：
              </p>
              <Failures gates={gates.failures} />
            </>
          )}
          {props.canManage ? (
            <PostForm action={action} csrf={props.viewer.csrf} class="inline">
              <input type="hidden" name="to" value={gates.next} />
              <button type="submit">进入「{gates.next}」</button>
            </PostForm>
          ) : null}
        </>
      ) : (
        <p>项目已处于最后阶段「{project.stage}」。</p>
      )}
      {admin ? (
        <details open={gates.failures.length > 0 || !!refused}>
          <summary>管理员强制变更阶段</summary>
          <PostForm action={action} csrf={props.viewer.csrf}>
            <input type="hidden" name="override" value="1" />
            <Select
              label="变更到"
              name="to"
              value={gates.next ?? undefined}
              options={projectStages.filter((s) => s !== project.stage).map((s) => ({ value: s, text: s }))}
            />
            <TextArea
              label="原因（必填）"
              name="reason"
              required
              maxlength={500}
              rows={3}
              hint="原因和被跳过的条件记入项目记录和操作记录；当前阶段未完成的任务将被取消。"
            />
            <button type="submit">强制变更阶段</button>
          </PostForm>
        </details>
      ) : null}
    </section>
  )
}

/** Who owns a task: a person or an organisation, by name. */
const ownerName = (task: ProjectTask, names: Names) =>
  task.ownerStaffId
    ? (names.staff.get(task.ownerStaffId) ?? '—')
    : task.ownerOrgId
      ? (names.organisations.get(task.ownerOrgId) ?? '—')
      : '—'

/** Whether the viewer may close a task from here: its owner, a member of its organisation, an admin. */
const mayComplete = (viewer: Viewer, task: ProjectTask) =>
  task.status === 'open' &&
  (viewer.staff.role === 'admin' ||
    task.ownerStaffId === viewer.staff.id ||
    (!!task.ownerOrgId && task.ownerOrgId === viewer.staff.organisationId))

export function ProjectPage(props: {
  viewer: Viewer
  now: Date
  detail: Detail
  names: Names
  choices: ProjectChoices
  canManage: boolean
  error?: string
  notice?: string
  refused?: RefusedMove
  taskValues?: TaskFormValues
}) {
  const { project, events, documents, tasks } = props.detail
  const { names } = props
  const current = projectStages.indexOf(project.stage)
  const href = projectHref(project.number)
  const party = (id: number | null) => (id ? (names.organisations.get(id) ?? '—') : '未指定')
  const late = (t: ProjectTask) => t.status === 'open' && t.dueAt < props.now
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
          <dd>{names.staff.get(project.responsibleStaffId) ?? '—'}</dd>
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
          <dt>实施主体</dt>
          <dd>{party(project.implementingEntityId)}</dd>
          <dt>责任规划师</dt>
          <dd>{party(project.plannerId)}</dd>
          <dt>物业服务企业</dt>
          <dd>{party(project.propertyCompanyId)}</dd>
          <dt>施工单位</dt>
          <dd>{party(project.constructionUnitId)}</dd>
          <dt>原产权单位</dt>
          <dd>{party(project.propertyRightsUnitId)}</dd>
          <dt>开工 / 完工</dt>
          <dd>
            {time(project.startedAt)} / {time(project.completedAt)}
          </dd>
        </dl>
        {props.canManage ? (
          <p>
            <a href={`${href}/edit`}>修改项目信息</a>
          </p>
        ) : null}
      </section>

      <StageCard
        viewer={props.viewer}
        detail={props.detail}
        canManage={props.canManage}
        refused={props.refused}
      />

      <h2>任务</h2>
      <DataTable
        label="项目任务"
        rows={tasks}
        empty="暂无任务。"
        rowClass={(t) => (late(t) ? 'late' : undefined)}
        columns={[
          { head: '编号', cell: (t) => t.number },
          { head: '任务', cell: (t) => t.title },
          { head: '阶段', cell: (t) => t.stage ?? '—' },
          { head: '负责方', cell: (t) => ownerName(t, names) },
          { head: '状态', cell: (t) => taskStatusNames[t.status] },
          {
            head: '完成时限',
            cell: (t) => (
              <>
                {time(t.dueAt)} <Late label={late(t) ? '已超时' : null} />
              </>
            ),
          },
          { head: '完成时间', cell: (t) => time(t.completedAt) },
          {
            head: '操作',
            wide: true,
            cell: (t) =>
              mayComplete(props.viewer, t) ? (
                <PostForm
                  action={`${href}/tasks/${t.number}/complete`}
                  csrf={props.viewer.csrf}
                  class="inline"
                >
                  <input
                    type="text"
                    name="note"
                    maxlength={500}
                    placeholder="完成说明（可选）"
                    aria-label="完成说明"
                  />
                  <button type="submit">完成</button>
                </PostForm>
              ) : null,
          },
        ]}
      />
      {props.canManage ? (
        <details open={!!props.taskValues}>
          <summary>为本项目新建任务</summary>
          <TaskForm
            action={`${href}/tasks`}
            viewer={props.viewer}
            choices={props.choices}
            values={props.taskValues ?? {}}
          />
        </details>
      ) : null}

      <h2>材料</h2>
      <DataTable
        label="项目材料"
        rows={documents}
        empty="尚未登记材料。"
        columns={[
          { head: '类别', cell: (d) => documentKindNames[d.kind] },
          { head: '内容 / 文号', wide: true, cell: (d) => <span class="pre">{d.note}</span> },
          { head: '登记时间', cell: (d) => time(d.recordedAt) },
        ]}
      />
      {props.canManage ? (
        <details>
          <summary>登记材料</summary>
          <PostForm action={`${href}/documents`} csrf={props.viewer.csrf}>
            <Select
              label="材料类别"
              name="kind"
              required
              options={projectDocumentKinds.map((k) => ({ value: k, text: documentKindNames[k] }))}
            />
            <TextArea label="内容或文号（必填）" name="note" required maxlength={1000} rows={3} />
            <ul class="hint">
              {projectDocumentKinds.map((k: ProjectDocumentKind) => (
                <li>
                  {documentKindNames[k]}：{documentNames[k]}，{gateOf[k]}
                </li>
              ))}
            </ul>
            <button type="submit">登记</button>
          </PostForm>
        </details>
      ) : null}

      <h2>项目记录</h2>
      <DataTable
        label="项目记录"
        rows={events}
        columns={[
          { head: eventHead[0] as string, cell: (e) => time(e.at) },
          {
            head: eventHead[1] as string,
            cell: (e) => (
              <>
                {projectEventNames[e.kind] ?? e.kind}
                {e.kind === 'stage' ? `：${e.fromStage ?? ''} → ${e.toStage ?? ''}` : ''}
                {e.kind === 'document'
                  ? `：${documentKindNames[(e.data as { kind: ProjectDocumentKind }).kind] ?? ''}`
                  : ''}
                <Tag show={e.overridden} class="urgent">
                  强制
                </Tag>
              </>
            ),
          },
          { head: eventHead[2] as string, cell: (e) => e.actorName ?? '—' },
          {
            head: eventHead[3] as string,
            wide: true,
            cell: (e) => <span class="pre">{e.reason ?? ''}</span>,
          },
        ]}
      />
      <p>
        <a href={projectsHref}>← 返回项目</a>
      </p>
    </Layout>
  )
}

/** Which move each document opens (stages.ts). */
const gateOf: Record<ProjectDocumentKind, string> = {
  design_review: '进入「公示」需要',
  property_agreement: '进入「治理」「施工」需要（通过的物业服务征询也可）',
  acceptance: '进入「移交」需要',
  handover: '进入「长效管理」需要',
}

export function EditProjectPage(props: {
  viewer: Viewer
  number: string
  choices: ProjectChoices
  values: ProjectFormValues
  error?: string
}) {
  return (
    <Layout title={`修改项目 ${props.number}`} viewer={props.viewer} active="projects" error={props.error}>
      <h1>修改项目 {props.number}</h1>
      <p class="muted">只保存改动了的内容，改动前后的值记入项目记录和操作记录。</p>
      <section class="card">
        <PostForm action={`${projectHref(props.number)}/edit`} csrf={props.viewer.csrf}>
          <ProjectFields choices={props.choices} values={props.values} creating={false} />
          <button type="submit">保存</button>
        </PostForm>
      </section>
      <p>
        <a href={projectHref(props.number)}>← 返回项目 {props.number}</a>
      </p>
    </Layout>
  )
}
