import type { EnvSetting } from '../../core/settings/runtime-settings'
import { hm } from '../../core/settings/runtime-settings'
import type { SendPacing } from '../../core/settings/send-pacing'
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

const quiet = (hours: SendPacing['quietHours']) => (hours ? `${hm(hours.from)}–${hm(hours.to)}` : '关闭')
const stored = (pacing: { stored: (keyof SendPacing)[] }, key: keyof SendPacing) =>
  pacing.stored.includes(key)

export function SettingsPage(props: {
  viewer: Viewer
  targets: TargetRow[]
  values: TargetFormValues
  env: EnvSetting[]
  pacing: SendPacing & { stored: (keyof SendPacing)[] }
  pacingError?: string
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

      <section class="card">
        <h2>发送节奏（可随时修改）</h2>
        <p class="muted">
          防止机器人账号因发得太快被微信限制。保存后几秒内对所有实例生效，并记入操作记录；留空的项按环境变量。
          现在：免打扰 {quiet(props.pacing.quietHours)}，同一群间隔 {props.pacing.minGapMs / 1000}{' '}
          秒，每分钟最多 {props.pacing.ratePerMinute || '不限'} 条，每日上限 {props.pacing.dailyCap || '不限'}{' '}
          条。
        </p>
        {props.pacingError ? (
          <div class="msg error" role="alert">
            {props.pacingError}
          </div>
        ) : null}
        <PostForm action={`${settingsHref}/pacing`} csrf={props.viewer.csrf}>
          <Input
            label="免打扰开始"
            name="quietFrom"
            value={
              stored(props.pacing, 'quietHours') && props.pacing.quietHours
                ? hm(props.pacing.quietHours.from)
                : ''
            }
            placeholder="如 22:00"
          />
          <Input
            label="免打扰结束"
            name="quietTo"
            value={
              stored(props.pacing, 'quietHours') && props.pacing.quietHours
                ? hm(props.pacing.quietHours.to)
                : ''
            }
            placeholder="如 07:00"
          />
          <label>
            <span>
              <input
                type="checkbox"
                name="quietOff"
                value="1"
                checked={stored(props.pacing, 'quietHours') && !props.pacing.quietHours}
              />{' '}
              关闭免打扰
            </span>
          </label>
          <Input
            label="同一群发送间隔（秒）"
            name="minGapSeconds"
            type="number"
            value={stored(props.pacing, 'minGapMs') ? props.pacing.minGapMs / 1000 : undefined}
          />
          <Input
            label="每分钟最多发送（条，0 为不限）"
            name="ratePerMinute"
            type="number"
            value={stored(props.pacing, 'ratePerMinute') ? props.pacing.ratePerMinute : undefined}
          />
          <Input
            label="每日发送上限（条，0 为不限）"
            name="dailyCap"
            type="number"
            value={stored(props.pacing, 'dailyCap') ? props.pacing.dailyCap : undefined}
          />
          <button type="submit">保存发送节奏</button>
        </PostForm>
      </section>

      <h2>运行参数（只读）</h2>
      <p class="muted">
        以下是启动时从环境变量读取的值，由机器人、消息发送和定时任务使用；发送节奏以上方保存的为准，其余请更改环境变量后重启服务。
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
