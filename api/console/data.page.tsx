import type { Child } from 'hono/jsx'
import type { listXiaoqu } from '../../core/areas/areas.usecases'
import type { HouseholdRow, ImportReport } from '../../core/consent/households'
import type { exportChoices } from '../../core/data/exports'
import type { XiaoquImportRow } from '../../core/data/xiaoqu-import'
import { requestStatuses } from '../../db/schema'
import { squareMetres } from './consent.page'
import { requestStatusNames, taskStatusNames } from './format'
import { DataTable, Input, Layout, PostForm, Select, type Viewer } from './layout'
import { consolePath } from './session'

export const dataHref = `${consolePath}/data`

type Places = Awaited<ReturnType<typeof listXiaoqu>>
type Choices = Awaited<ReturnType<typeof exportChoices>>
type Rejected = ImportReport['rejected'][number]

/** How many rows of an upload the preview shows as they will be stored. */
export const previewRows = 20

const Downloads = (props: { href: string; label: string }) => (
  <p>
    <a href={`${props.href}.csv`}>下载{props.label}模板（CSV）</a> ·{' '}
    <a href={`${props.href}.xlsx`}>下载{props.label}模板（Excel）</a>
  </p>
)

const FormatButtons = () => (
  <div class="toolbar">
    <button type="submit" name="format" value="xlsx">
      导出 Excel
    </button>
    <button type="submit" name="format" value="csv" class="secondary">
      导出 CSV
    </button>
  </div>
)

const placeOptions = (places: Places) =>
  places.map((p) => ({ value: p.id, text: `${p.name}（${p.communityName}）` }))

/** 导入导出: the imports' upload forms and templates, and every export with its filters. */
export function DataPage(props: {
  viewer: Viewer
  places: Places
  choices: Choices
  canImportXiaoqu: boolean
  xiaoquId?: number
  error?: string
  notice?: string
}) {
  const csrf = props.viewer.csrf
  return (
    <Layout title="导入导出" viewer={props.viewer} active="data" error={props.error} notice={props.notice}>
      <h1>导入导出</h1>
      <div class="grid2">
        <section class="card">
          <h2>导入房屋</h2>
          <p class="muted">
            按小区导入楼栋、单元、房号、专有部分面积和业主。先预览，确认后才写入；有任何一行不合格，整个文件都不导入。
          </p>
          <PostForm action={`${dataHref}/households/upload`} csrf={csrf} enctype="multipart/form-data">
            <Select
              label="小区"
              name="xiaoquId"
              options={placeOptions(props.places)}
              value={props.xiaoquId}
              blank="请选择小区"
              required
            />
            <Input
              label="文件"
              name="file"
              type="file"
              accept=".csv,.xlsx"
              required
              hint="CSV（UTF-8）或 Excel .xlsx，不超过 5 MB、20000 行。表头：楼栋,单元,房号,面积,业主,电话"
            />
            <button type="submit">上传并预览</button>
          </PostForm>
          <Downloads href={`${dataHref}/templates/households`} label="房屋" />
        </section>
        {props.canImportXiaoqu ? (
          <section class="card">
            <h2>导入小区</h2>
            <p class="muted">
              在您管辖的社区下批量新建小区：社区按名称对应，已有的小区不会重复建。同样先预览、全部合格才导入。
            </p>
            <PostForm action={`${dataHref}/xiaoqu/upload`} csrf={csrf} enctype="multipart/form-data">
              <Input
                label="文件"
                name="file"
                type="file"
                accept=".csv,.xlsx"
                required
                hint="表头：社区,小区名称,地址,建成年份（地址和建成年份可空）"
              />
              <button type="submit">上传并预览</button>
            </PostForm>
            <Downloads href={`${dataHref}/templates/xiaoqu`} label="小区" />
          </section>
        ) : null}
      </div>

      <h2>导出</h2>
      <p class="muted">
        只含您管辖范围内的数据。居民电话只对承办人完整显示，其余打码。Excel 打开 CSV 中文不乱码；以 = + - @
        开头的内容前加了单引号，防止被当作公式执行。
      </p>
      <div class="grid2">
        <section class="card">
          <h2>诉求</h2>
          <form method="get" action={`${dataHref}/exports/requests`} class="stack">
            <Select
              label="状态"
              name="status"
              options={requestStatuses.map((s) => ({ value: s, text: requestStatusNames[s] }))}
              blank="全部状态"
            />
            <Select label="小区" name="xiaoquId" options={placeOptions(props.places)} blank="全部小区" />
            <Input label="提交日期自" name="from" type="date" />
            <Input label="至" name="to" type="date" />
            <FormatButtons />
          </form>
        </section>
        <section class="card">
          <h2>任务</h2>
          <form method="get" action={`${dataHref}/exports/tasks`} class="stack">
            <Select
              label="状态"
              name="status"
              options={(['open', 'done', 'cancelled'] as const).map((s) => ({
                value: s,
                text: taskStatusNames[s],
              }))}
              blank="全部状态"
            />
            <Select label="小区" name="xiaoquId" options={placeOptions(props.places)} blank="全部小区" />
            <FormatButtons />
          </form>
        </section>
        <section class="card">
          <h2>设计方案公示意见</h2>
          {props.choices.publicities.length === 0 ? (
            <p class="muted">辖区内还没有设计方案公示。</p>
          ) : (
            <form method="get" action={`${dataHref}/exports/feedback`} class="stack">
              <Select
                label="公示"
                name="publicity"
                required
                options={props.choices.publicities.map((p) => ({
                  value: p.number,
                  text: `${p.number} ${p.title}（${p.xiaoquName}）`,
                }))}
              />
              <FormatButtons />
            </form>
          )}
        </section>
        <section class="card">
          <h2>征询选票</h2>
          {props.choices.campaigns.length === 0 ? (
            <p class="muted">辖区内还没有征询。</p>
          ) : (
            <form method="get" action={`${dataHref}/exports/ballots`} class="stack">
              <Select
                label="征询"
                name="campaign"
                required
                options={props.choices.campaigns.map((c) => ({
                  value: c.number,
                  text: `${c.number} ${c.question}（${c.xiaoquName}）`,
                }))}
              />
              <FormatButtons />
              <span class="hint">
                CSV 与公布的摘要逐字节一致（不加 BOM），可用 SHA-256 核对；在 Excel 中查看请选 Excel 格式。
              </span>
            </form>
          )}
        </section>
      </div>
    </Layout>
  )
}

/** The rejected rows, by row number, with every reason. */
function RejectedTable(props: { rows: readonly Rejected[] }) {
  return (
    <>
      <h2>不合格的行（{props.rows.length}）</h2>
      <DataTable
        label="不合格的行"
        columns={[
          { head: '行号', cell: (r: Rejected) => `第 ${r.line} 行`, num: true },
          { head: '原因', cell: (r: Rejected) => r.reasons.join('；'), wide: true },
        ]}
        rows={props.rows.slice(0, 500)}
      />
      {props.rows.length > 500 ? <p class="muted">只列出前 500 行。</p> : null}
    </>
  )
}

/** What the upload would do, and the confirm button only when every row is good. */
function Preview(props: {
  viewer: Viewer
  title: string
  summary: string
  fileName: string
  rejected: readonly Rejected[]
  confirm: string
  token?: string
  children?: Child
}) {
  const bad = props.rejected.length > 0
  return (
    <Layout
      title={props.title}
      viewer={props.viewer}
      active="data"
      error={
        bad ? `有 ${props.rejected.length} 行不合格，整个文件不会导入。请改正下列各行后重新上传。` : undefined
      }
    >
      <h1>{props.title}</h1>
      <section class="card">
        <p>
          文件：{props.fileName}
          <br />
          {props.summary}
        </p>
        {bad ? (
          <p>
            <a href={dataHref}>返回重新上传</a>
          </p>
        ) : (
          <PostForm action={props.confirm} csrf={props.viewer.csrf} class="inline">
            <input type="hidden" name="token" value={props.token} />
            <button type="submit">确认导入</button>
            <a href={dataHref}>取消</a>
          </PostForm>
        )}
      </section>
      {bad ? <RejectedTable rows={props.rejected} /> : null}
      {props.children}
    </Layout>
  )
}

export function HouseholdsPreviewPage(props: {
  viewer: Viewer
  xiaoquName: string
  fileName: string
  rows: readonly HouseholdRow[]
  added: number
  updated: number
  rejected: readonly Rejected[]
  token?: string
}) {
  return (
    <Preview
      viewer={props.viewer}
      title={`导入房屋预览：${props.xiaoquName}`}
      summary={`合格 ${props.rows.length} 行：新增 ${props.added} 户，更新 ${props.updated} 户（面积和业主以本文件为准）；不合格 ${props.rejected.length} 行。`}
      fileName={props.fileName}
      rejected={props.rejected}
      confirm={`${dataHref}/households/confirm`}
      token={props.token}
    >
      <h2>将保存的前 {Math.min(previewRows, props.rows.length)} 行</h2>
      <DataTable
        label="将保存的房屋"
        empty="没有合格的行。"
        columns={[
          { head: '行号', cell: (r: HouseholdRow) => r.line, num: true },
          { head: '楼栋', cell: (r: HouseholdRow) => r.building },
          { head: '单元', cell: (r: HouseholdRow) => r.unit },
          { head: '房号', cell: (r: HouseholdRow) => r.room },
          { head: '面积', cell: (r: HouseholdRow) => squareMetres(r.area), num: true },
          { head: '业主', cell: (r: HouseholdRow) => r.owner || '—' },
          { head: '电话', cell: (r: HouseholdRow) => r.phone || '—' },
        ]}
        rows={props.rows.slice(0, previewRows)}
      />
    </Preview>
  )
}

export function XiaoquPreviewPage(props: {
  viewer: Viewer
  fileName: string
  rows: readonly XiaoquImportRow[]
  rejected: readonly Rejected[]
  token?: string
}) {
  return (
    <Preview
      viewer={props.viewer}
      title="导入小区预览"
      summary={`合格 ${props.rows.length} 行，将新建 ${props.rows.length} 个小区；不合格 ${props.rejected.length} 行。`}
      fileName={props.fileName}
      rejected={props.rejected}
      confirm={`${dataHref}/xiaoqu/confirm`}
      token={props.token}
    >
      <h2>将新建的前 {Math.min(previewRows, props.rows.length)} 个小区</h2>
      <DataTable
        label="将新建的小区"
        empty="没有合格的行。"
        columns={[
          { head: '行号', cell: (r: XiaoquImportRow) => r.line, num: true },
          { head: '社区', cell: (r: XiaoquImportRow) => r.communityName },
          { head: '小区名称', cell: (r: XiaoquImportRow) => r.name },
          { head: '地址', cell: (r: XiaoquImportRow) => r.address ?? '—' },
          { head: '建成年份', cell: (r: XiaoquImportRow) => r.buildYear ?? '—', num: true },
        ]}
        rows={props.rows.slice(0, previewRows)}
      />
    </Preview>
  )
}
