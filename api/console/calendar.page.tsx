import type { YearSource } from '../../core/sla/calendar'
import type { YearDay, YearView } from '../../core/sla/calendar-year'
import { time } from './format'
import { DataTable, Layout, PostForm, TextArea, type Viewer } from './layout'
import { consolePath } from './session'

export const calendarHref = `${consolePath}/calendar`

export const sourceNames: Record<YearSource, string> = {
  library: '内置日历（已含国务院安排）',
  notice: '已录入国务院通知',
  statutory: '按法定节假日估算（缺国务院通知）',
  weekends: '仅周末（早于内置日历）',
}

const originNames: Record<YearDay['origin'], string> = {
  library: '内置',
  statutory: '法定',
  override: '录入',
}

const weekdayNames = ['日', '一', '二', '三', '四', '五', '六']
const weekday = (date: string) => `星期${weekdayNames[new Date(`${date}T00:00:00Z`).getUTCDay()]}`

const placeholder = (year: number) =>
  [
    `${year}-01-01..${year}-01-03 元旦`,
    `${year}-02-05..${year}-02-12 春节`,
    `${year}-02-14 上班`,
    '…（每行一段假期或一个调休上班日）',
  ].join('\n')

const intro = (year: number) =>
  `国务院办公厅发布《关于${year}年部分节假日安排的通知》后，把整份通知一次录入：每行一段放假日期（含周末）和节日名称，` +
  '或一个调休上班的周末日期加「上班」。有任何一行不对时整份不保存；再次录入会替换上一次录入的内容。'

function NoticeForm(props: { view: YearView; csrf: string; text?: string; lines?: readonly string[] }) {
  const { year } = props.view
  return (
    <section class="card">
      <h2>录入 {year} 年国务院放假通知</h2>
      <p class="muted">{intro(year)}</p>
      {props.lines && props.lines.length > 0 ? (
        <ul class="msg error" aria-label="需要修改的行">
          {props.lines.map((line) => (
            <li>{line}</li>
          ))}
        </ul>
      ) : null}
      <PostForm action={`${calendarHref}/${year}`} csrf={props.csrf}>
        <TextArea
          label="通知内容"
          name="notice"
          rows={12}
          required
          maxlength={8000}
          value={props.text}
          placeholder={placeholder(year)}
          hint="格式：2027-02-05..2027-02-12 春节 ／ 2027-10-01 国庆节 ／ 2027-02-14 上班。以 # 开头的行不读。"
        />
        <button type="submit">保存 {year} 年放假通知</button>
      </PostForm>
    </section>
  )
}

/** 工作日历: each year's source, its days off and make-up days, and the form for a year's notice (admins). */
export function CalendarPage(props: {
  viewer: Viewer
  years: readonly { year: number; source: YearSource }[]
  view: YearView
  missing: readonly number[]
  text?: string
  lines?: readonly string[]
  error?: string
  notice?: string
}) {
  const { view } = props
  return (
    <Layout
      title="工作日历"
      viewer={props.viewer}
      active="calendar"
      error={props.error}
      notice={props.notice}
    >
      <h1>工作日历</h1>
      {props.missing.map((year) => (
        <div class="msg warn" role="status">
          {`${year} 年的国务院放假通知尚未录入：该年的工作日暂按法定节假日估算（不含调休和补班），按工作日计算的期限可能偏早。通知发布后请在本页录入。`}
        </div>
      ))}
      <DataTable
        label="各年份的日历来源"
        rows={props.years}
        columns={[
          {
            head: '年份',
            cell: (y) =>
              y.year === view.year ? (
                <strong>{y.year}</strong>
              ) : (
                <a href={`${calendarHref}?year=${y.year}`}>{y.year}</a>
              ),
          },
          {
            head: '来源',
            cell: (y) => (
              <span
                class={`badge ${y.source === 'statutory' ? 'late' : y.source === 'weekends' ? '' : 'ok'}`}
              >
                {sourceNames[y.source]}
              </span>
            ),
          },
        ]}
      />
      <h2>{view.year} 年</h2>
      <dl class="facts">
        <dt>来源</dt>
        <dd>{sourceNames[view.source]}</dd>
        {view.notice ? (
          <>
            <dt>录入</dt>
            <dd>
              {view.notice.enteredByName} · {time(new Date(view.notice.enteredAt))}
            </dd>
          </>
        ) : null}
        <dt>放假</dt>
        <dd>{view.holidays.length} 天</dd>
        <dt>调休上班</dt>
        <dd>{view.workdays.length} 天</dd>
      </dl>
      <h2>放假日期</h2>
      <DataTable
        label={`${view.year} 年放假日期`}
        rows={view.holidays}
        empty="这一年没有登记的节假日（周末照常休息）。"
        columns={[
          { head: '日期', cell: (d) => d.date },
          { head: '星期', cell: (d) => weekday(d.date) },
          { head: '节日', cell: (d) => d.name },
          { head: '依据', cell: (d) => originNames[d.origin] },
        ]}
      />
      <h2>调休上班</h2>
      <DataTable
        label={`${view.year} 年调休上班日`}
        rows={view.workdays}
        empty="没有调休上班的日子。"
        columns={[
          { head: '日期', cell: (d) => d.date },
          { head: '星期', cell: (d) => weekday(d.date) },
          { head: '说明', cell: (d) => d.name },
        ]}
      />
      {view.source === 'library' ? (
        <p class="muted">这一年的安排由内置日历提供，无需录入通知。</p>
      ) : view.source === 'weekends' ? (
        <p class="muted">早于内置日历的年份只按周末计算，不能录入通知。</p>
      ) : (
        <NoticeForm view={view} csrf={props.viewer.csrf} text={props.text} lines={props.lines} />
      )}
    </Layout>
  )
}
