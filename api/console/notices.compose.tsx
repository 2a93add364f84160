import type { Child } from 'hono/jsx'
import { maxBroadcastLength } from '../../core/notices/broadcast.usecases'
import type { NoticeKind } from '../../core/notices/notices.overview'
import { constructionImpacts } from '../../db/schema'
import { Input, Layout, PostForm, Select, TextArea, type Viewer } from './layout'
import { kindNames, noticesHref, Preview } from './notices.page'

export interface Option {
  value: string
  text: string
}
export interface FileInfo {
  id: number
  fileName: string
  mediaType: string
  size: number
}
export interface PreviewOf {
  text: string
  groups: number
  scopeName: string
  note?: string
}

export interface BroadcastValues {
  target?: string
  text?: string
  publishAt?: string
  urgent?: boolean
}
export interface PublicityValues {
  xiaoquId?: string
  title?: string
  body?: string
  opensAt?: string
  closesAt?: string
  projectNumber?: string
  reviewedBy?: string
}
export interface PhaseValues {
  name?: string
  buildings?: string
  impacts?: string[]
  startsAt?: string
  endsAt?: string
  note?: string
}
export interface ScheduleValues {
  xiaoquId?: string
  title?: string
  phases: PhaseValues[]
}
export interface FeeValues {
  xiaoquId?: string
  period?: string
  standard?: string
  deadline?: string
  howToPay?: string
  contact?: string
  publishAt?: string
}

export const uploadAction = (slug: 'broadcast' | 'publicity') => `${noticesHref}/${slug}/upload`

const Check = (props: { name: string; value: string; checked?: boolean; children?: Child }) => (
  <label style="display:flex;gap:6px;align-items:center">
    <input type="checkbox" name={props.name} value={props.value} checked={props.checked} />
    <span>{props.children}</span>
  </label>
)

const sizeOf = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`

/** Files already uploaded for this form (kept while ticked), then a picker for more. */
function Attachments(props: { files: FileInfo[]; hint: string }) {
  return (
    <fieldset>
      <legend>附件</legend>
      {props.files.map((f) => (
        <Check name="attachmentIds" value={String(f.id)} checked>
          {f.fileName}（{sizeOf(f.size)}，已上传，取消勾选则不发）
        </Check>
      ))}
      <Input
        label="上传文件"
        name="files"
        type="file"
        accept="image/png,image/jpeg,application/pdf"
        multiple
      />
      <span class="hint">{props.hint}</span>
    </fieldset>
  )
}

const Buttons = (props: { send: string }) => (
  <div class="toolbar">
    <button type="submit" name="action" value="preview" class="secondary">
      预览
    </button>
    <button type="submit" name="action" value="send">
      {props.send}
    </button>
  </div>
)

function ComposeLayout(props: {
  viewer: Viewer
  kind: NoticeKind
  error?: string
  preview?: PreviewOf
  intro: string
  children?: Child
}) {
  const title = `新建${kindNames[props.kind]}`
  return (
    <Layout title={title} viewer={props.viewer} active="notices" error={props.error}>
      <p>
        <a href={noticesHref}>← 通知公告</a>
      </p>
      <h1>{title}</h1>
      <p class="muted">{props.intro}</p>
      {props.preview ? <Preview {...props.preview} /> : null}
      <section class="card">{props.children}</section>
    </Layout>
  )
}

export function BroadcastCompose(props: {
  viewer: Viewer
  targets: Option[]
  values: BroadcastValues
  files: FileInfo[]
  preview?: PreviewOf
  error?: string
}) {
  const v = props.values
  return (
    <ComposeLayout
      viewer={props.viewer}
      kind="broadcast"
      error={props.error}
      preview={props.preview}
      intro="发到所选范围内每个已绑定的居民群和楼栋群，各群间隔发出。先点“预览”核对群里看到的文字和覆盖的群数，再发送。"
    >
      <PostForm action={uploadAction('broadcast')} csrf={props.viewer.csrf} enctype="multipart/form-data">
        <Select
          label="发到哪里"
          name="target"
          options={props.targets}
          value={v.target}
          blank="请选择社区、街道或小区"
          required
        />
        <TextArea
          label="公告内容"
          name="text"
          value={v.text}
          rows={6}
          maxlength={maxBroadcastLength}
          required
          hint={`不超过 ${maxBroadcastLength} 字；群里会在前面加“【公告】”，后面署上范围名称。`}
        />
        <Input
          label="定时发送（可不填）"
          name="publishAt"
          type="datetime-local"
          value={v.publishAt}
          hint="不填则立即发送；填写则到时自动发出，之前可以撤回。"
        />
        <Check name="urgent" value="1" checked={v.urgent}>
          紧急（夜间免打扰时段也发送，如停水停电抢修）
        </Check>
        <Attachments
          files={props.files}
          hint="可附图纸、图片或 PDF（PNG、JPEG、PDF），在文字之后发到同样的群。"
        />
        <Buttons send="发送" />
      </PostForm>
    </ComposeLayout>
  )
}

export function PublicityCompose(props: {
  viewer: Viewer
  places: Option[]
  values: PublicityValues
  files: FileInfo[]
  preview?: PreviewOf
  error?: string
}) {
  const v = props.values
  return (
    <ComposeLayout
      viewer={props.viewer}
      kind="design_publicity"
      error={props.error}
      preview={props.preview}
      intro="先保存为草稿，再在详情页记录责任规划师的审查，然后发布；到公示开始时间自动发到小区的群，期中提醒，结束时汇总意见。"
    >
      <PostForm action={uploadAction('publicity')} csrf={props.viewer.csrf} enctype="multipart/form-data">
        <Select
          label="小区"
          name="xiaoquId"
          options={props.places}
          value={v.xiaoquId}
          blank="请选择小区"
          required
        />
        <Input
          label="标题"
          name="title"
          value={v.title}
          maxlength={100}
          required
          placeholder="如：综合整治设计方案"
        />
        <TextArea label="方案说明" name="body" value={v.body} rows={6} maxlength={1500} required />
        <Input label="公示开始" name="opensAt" type="datetime-local" value={v.opensAt} required />
        <Input
          label="公示结束"
          name="closesAt"
          type="datetime-local"
          value={v.closesAt}
          required
          hint="公示期不少于规定天数（默认 7 天）。"
        />
        <Input
          label="所属项目编号（可不填）"
          name="projectNumber"
          value={v.projectNumber}
          maxlength={12}
          placeholder="如 P101"
        />
        <Input
          label="审查的责任规划师（已审查可先填）"
          name="reviewedBy"
          value={v.reviewedBy}
          maxlength={50}
          hint="也可以保存后在详情页记录审查。未记录审查的公示不能发布。"
        />
        <Attachments files={props.files} hint="设计图纸（PNG、JPEG、PDF），公示开始时随文字发到群里。" />
        <Buttons send="保存草稿" />
      </PostForm>
    </ComposeLayout>
  )
}

const phaseField = (i: number, name: string) => `phase${i}.${name}`

function PhaseFields(props: { index: number; values: PhaseValues }) {
  const i = props.index
  const v = props.values
  return (
    <fieldset>
      <legend>第 {i + 1} 阶段</legend>
      <Input
        label="阶段名称"
        name={phaseField(i, 'name')}
        value={v.name}
        maxlength={50}
        placeholder="如：外墙保温"
      />
      <Input
        label="涉及楼栋"
        name={phaseField(i, 'buildings')}
        value={v.buildings}
        maxlength={300}
        placeholder="如：1号楼、2号楼"
        hint="用顿号或逗号分隔，名称与小区楼栋一致。"
      />
      <div class="toolbar">
        影响：
        {constructionImpacts.map((impact) => (
          <Check name={phaseField(i, 'impacts')} value={impact} checked={v.impacts?.includes(impact)}>
            {impact}
          </Check>
        ))}
      </div>
      <Input label="开始" name={phaseField(i, 'startsAt')} type="datetime-local" value={v.startsAt} />
      <Input label="结束" name={phaseField(i, 'endsAt')} type="datetime-local" value={v.endsAt} />
      <Input label="提示（可不填）" name={phaseField(i, 'note')} value={v.note} maxlength={200} />
    </fieldset>
  )
}

export function ScheduleCompose(props: {
  viewer: Viewer
  places: Option[]
  values: ScheduleValues
  preview?: PreviewOf
  error?: string
}) {
  const v = props.values
  return (
    <ComposeLayout
      viewer={props.viewer}
      kind="construction"
      error={props.error}
      preview={props.preview}
      intro="按楼栋和阶段填写施工安排，保存为草稿后在详情页发布（可定时）；每个阶段开始前一天傍晚自动提醒受影响的楼栋。空着的阶段不保存。"
    >
      <PostForm action={`${noticesHref}/schedule`} csrf={props.viewer.csrf}>
        <Select
          label="小区"
          name="xiaoquId"
          options={props.places}
          value={v.xiaoquId}
          blank="请选择小区"
          required
        />
        <Input
          label="标题"
          name="title"
          value={v.title}
          maxlength={100}
          required
          placeholder="如：2026年综合整治施工安排"
        />
        <input type="hidden" name="phaseCount" value={String(v.phases.length)} />
        {v.phases.map((phase, i) => (
          <PhaseFields index={i} values={phase} />
        ))}
        <div class="toolbar">
          <button type="submit" name="action" value="more" class="secondary">
            增加一个阶段
          </button>
          <button type="submit" name="action" value="preview" class="secondary">
            预览
          </button>
          <button type="submit" name="action" value="send">
            保存草稿
          </button>
        </div>
      </PostForm>
    </ComposeLayout>
  )
}

export function FeeCompose(props: {
  viewer: Viewer
  places: Option[]
  values: FeeValues
  preview?: PreviewOf
  error?: string
}) {
  const v = props.values
  return (
    <ComposeLayout
      viewer={props.viewer}
      kind="fee"
      error={props.error}
      preview={props.preview}
      intro="发到小区的居民群，并在截止前按设定的天数自动提醒。"
    >
      <PostForm action={`${noticesHref}/fee`} csrf={props.viewer.csrf}>
        <Select
          label="小区"
          name="xiaoquId"
          options={props.places}
          value={v.xiaoquId}
          blank="请选择小区"
          required
        />
        <Input
          label="收费期间"
          name="period"
          value={v.period}
          maxlength={50}
          required
          placeholder="如：2026年度"
        />
        <Input
          label="收费标准（元/㎡/月）"
          name="standard"
          value={v.standard}
          maxlength={10}
          required
          placeholder="如 1.50"
        />
        <Input label="缴费截止" name="deadline" type="datetime-local" value={v.deadline} required />
        <TextArea label="缴费方式" name="howToPay" value={v.howToPay} rows={3} maxlength={300} required />
        <Input label="联系方式" name="contact" value={v.contact} maxlength={100} required />
        <Input label="定时发送（可不填）" name="publishAt" type="datetime-local" value={v.publishAt} />
        <Buttons send="发送" />
      </PostForm>
    </ComposeLayout>
  )
}
