import type { CampaignRow, turnout } from '../../core/consent/campaigns'
import { describeThreshold, matterNames, meets } from '../../core/consent/rules'
import { ballotChoices, type ConsentResult, type Threshold } from '../../db/schema'
import { time } from './format'
import { CsrfField, DataTable, Layout, type Viewer } from './layout'
import { consolePath } from './session'

export { claimsHref } from './consent-claims.page'

export const campaignHref = (number: string) => `${consolePath}/campaigns/${encodeURIComponent(number)}`

export const campaignStatusNames: Record<CampaignRow['status'], string> = {
  scheduled: '未开始',
  open: '投票中',
  closed: '已截止',
  cancelled: '已取消',
}

const ballotChannelNames: Record<string, string> = { wechat: '微信', paper: '纸质票', onsite: '现场' }

/** Hundredths of a square metre as '240.75㎡', by integer arithmetic only (as the posted result writes it). */
export function squareMetres(centi: number): string {
  const abs = Math.abs(centi)
  return `${centi < 0 ? '-' : ''}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}㎡`
}

/** The smallest part of `whole` that meets the threshold, in integers; undefined when none can. */
function leastToMeet(whole: number, t: Threshold): number | undefined {
  if (whole <= 0) return undefined
  const product = BigInt(t.num) * BigInt(whole)
  const den = BigInt(t.den)
  const least = Number(t.inclusive ? (product + den - 1n) / den : product / den + 1n)
  return least <= whole ? least : undefined
}

const Met = (props: { met: boolean }) =>
  props.met ? <span class="badge ok">已达到</span> : <span class="badge late">未达到</span>

// ---------------------------------------------------------------------------------------------------------
// The list

export const Outcome = (props: { passed: boolean }) =>
  props.passed ? <span class="badge ok">通过</span> : <span class="badge late">未通过</span>

// ---------------------------------------------------------------------------------------------------------
// One campaign

type Turnout = Awaited<ReturnType<typeof turnout>>

export interface BallotFormValues {
  building?: string
  unit?: string
  room?: string
  choice?: string
  channel?: string
  note?: string
}

/** The four figures against the rule: participation against the totals, agreement against participation. */
function Figures(props: { rule: CampaignRow['rule']; figures: ConsentResult }) {
  const f = props.figures
  const rows = [
    {
      label: '参与表决的专有部分面积',
      part: f.participatingAreaCenti,
      whole: f.totalAreaCenti,
      base: `总面积 ${squareMetres(f.totalAreaCenti)}`,
      t: props.rule.quorumArea,
      show: squareMetres,
    },
    {
      label: '参与表决的业主人数',
      part: f.participatingHeads,
      whole: f.totalHeads,
      base: `业主总人数 ${f.totalHeads} 人`,
      t: props.rule.quorumHeads,
      show: (n: number) => `${n} 人`,
    },
    {
      label: '同意的专有部分面积',
      part: f.agreeingAreaCenti,
      whole: f.participatingAreaCenti,
      base: `参与表决面积 ${squareMetres(f.participatingAreaCenti)}`,
      t: props.rule.passArea,
      show: squareMetres,
    },
    {
      label: '同意的业主人数',
      part: f.agreeingHeads,
      whole: f.participatingHeads,
      base: `参与表决人数 ${f.participatingHeads} 人`,
      t: props.rule.passHeads,
      show: (n: number) => `${n} 人`,
    },
  ]
  return (
    <DataTable
      label="表决指标"
      columns={[
        { head: '指标', cell: (r) => r.label },
        { head: '目前', cell: (r) => r.show(r.part), num: true },
        { head: '基数', cell: (r) => r.base },
        { head: '要求', cell: (r) => describeThreshold(r.t) },
        {
          head: '至少需要',
          cell: (r) => {
            const least = leastToMeet(r.whole, r.t)
            return least === undefined ? '—' : r.show(least)
          },
          num: true,
        },
        { head: '状态', cell: (r) => <Met met={meets(r.part, r.whole, r.t)} /> },
      ]}
      rows={rows}
    />
  )
}

export function CampaignPage(props: {
  viewer: Viewer
  now: Date
  turnout: Turnout
  /** Whether the viewer's role may enter ballots and cancel (officers, community workers, admins). */
  canAct: boolean
  values?: BallotFormValues
  error?: string
  notice?: string
}) {
  const { campaign: c, live, households, ballots, conflicts } = props.turnout
  const href = campaignHref(c.number)
  const open = c.status === 'open' && props.now >= c.opensAt && props.now < c.closesAt
  const finished = c.status === 'closed' || c.status === 'cancelled'
  const v = props.values ?? {}
  return (
    <Layout
      title={`征询 ${c.number}`}
      viewer={props.viewer}
      active="campaigns"
      error={props.error}
      notice={props.notice}
    >
      <h1>
        征询 {c.number} {c.scopeName} <span class="badge">{campaignStatusNames[c.status]}</span>{' '}
        {c.status === 'closed' && c.result ? <Outcome passed={c.result.passed} /> : null}
      </h1>
      <section class="card">
        <dl class="facts">
          <dt>征询事项</dt>
          <dd class="pre">{c.question}</dd>
          <dt>表决事项</dt>
          <dd>{matterNames[c.matter]}</dd>
          <dt>表决规则</dt>
          <dd>
            参与表决的专有部分面积达总面积的{describeThreshold(c.rule.quorumArea)}
            ，且参与表决的业主人数达总人数的
            {describeThreshold(c.rule.quorumHeads)}；同意的专有部分面积达参与表决面积的
            {describeThreshold(c.rule.passArea)}，且同意的业主人数达参与表决人数的
            {describeThreshold(c.rule.passHeads)}。
            {c.localRule ? <div class="muted">采用本地规则「{c.localRule}」（严于民法典）。</div> : null}
          </dd>
          <dt>范围</dt>
          <dd>{c.scopeName}</dd>
          <dt>投票时间</dt>
          <dd>
            {time(c.opensAt)} 至 {time(c.closesAt)}
          </dd>
          <dt>状态</dt>
          <dd>
            {campaignStatusNames[c.status]}
            {c.closedAt ? `（${time(c.closedAt)} 截止计票）` : ''}
          </dd>
          <dt>名册与票数</dt>
          <dd>
            {c.status === 'scheduled'
              ? '开始投票时确定名册。'
              : `名册 ${households} 户，已收到 ${ballots} 张票（每户以最后一张为准）。`}
          </dd>
        </dl>
      </section>

      {c.status === 'closed' && c.result ? (
        <>
          <h2>表决结果：{c.result.passed ? '通过' : '未通过'}</h2>
          <section class="card">
            <dl class="facts">
              <dt>结果</dt>
              <dd>
                <Outcome passed={c.result.passed} />{' '}
                {c.result.quorumMet ? '参与表决的面积和人数均达到要求' : '参与表决的面积或人数未达到要求'}
              </dd>
              <dt>专有部分面积</dt>
              <dd>
                总 {squareMetres(c.result.totalAreaCenti)}，参与{' '}
                {squareMetres(c.result.participatingAreaCenti)}
                ，同意 {squareMetres(c.result.agreeingAreaCenti)}
              </dd>
              <dt>业主人数</dt>
              <dd>
                总 {c.result.totalHeads} 人，参与 {c.result.participatingHeads} 人，同意{' '}
                {c.result.agreeingHeads} 人
              </dd>
              <dt>说明</dt>
              <dd>
                <ul>
                  {c.result.reasons.map((reason) => (
                    <li>{reason}</li>
                  ))}
                </ul>
              </dd>
              <dt>计票校验码（SHA-256）</dt>
              <dd>
                <code>{c.ballotsDigest ?? '—'}</code>
              </dd>
              <dt>计票明细</dt>
              <dd>
                <a href={`${href}/ballots.csv`}>下载计票明细（CSV）</a>
                <div class="muted">
                  文件的 SHA-256 应与上面的校验码一致；文件只有房号和选择，没有姓名和电话。
                </div>
              </dd>
            </dl>
          </section>
          <h2>计票</h2>
          <Figures rule={c.rule} figures={c.result} />
        </>
      ) : c.status === 'scheduled' ? (
        <p class="muted">征询尚未开始，开始投票后这里显示实时参与情况。</p>
      ) : (
        <>
          <h2>{c.status === 'cancelled' ? '取消前的参与情况（不再计算）' : '实时参与情况'}</h2>
          <Figures rule={c.rule} figures={live} />
          <p>
            <a href={`${href}/ballots.csv`}>下载目前的投票明细（CSV）</a>
          </p>
        </>
      )}

      {c.status !== 'scheduled' ? (
        <>
          <h2>意见不一致的房屋（{conflicts.length} 户）</h2>
          <p class="muted">
            同一户的几位业主在微信里的最后选择不同：以最后一张票为准，请与这户核实。这里只列房号和各票的选择。
          </p>
          <DataTable
            label="意见不一致的房屋"
            columns={[
              { head: '房屋', cell: (conflict) => conflict.household },
              {
                head: '各票（按投票先后）',
                cell: (conflict) =>
                  conflict.ballots
                    .map(
                      (b) =>
                        `${b.choice}（${ballotChannelNames[b.channel] ?? b.channel}，${time(new Date(b.at))}）`,
                    )
                    .join(' → '),
              },
            ]}
            rows={conflicts}
            empty="没有意见不一致的房屋。"
          />
        </>
      ) : null}

      {props.canAct && !finished ? (
        <div class="actions">
          {open ? (
            <section class="card">
              <h2>录入纸质票 / 现场票</h2>
              <form method="post" action={`${href}/ballots`} class="stack">
                <CsrfField token={props.viewer.csrf} />
                <label>
                  楼栋
                  <input type="text" name="building" required maxlength={30} value={v.building ?? ''} />
                </label>
                <label>
                  单元
                  <input type="text" name="unit" required maxlength={30} value={v.unit ?? ''} />
                </label>
                <label>
                  房号
                  <input type="text" name="room" required maxlength={30} value={v.room ?? ''} />
                </label>
                <label>
                  选择
                  <select name="choice" required>
                    <option value="">请选择</option>
                    {ballotChoices.map((choice) => (
                      <option value={choice} selected={v.choice === choice}>
                        {choice}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  方式
                  <select name="channel" required>
                    <option value="paper" selected={v.channel !== 'onsite'}>
                      纸质票
                    </option>
                    <option value="onsite" selected={v.channel === 'onsite'}>
                      现场投票
                    </option>
                  </select>
                </label>
                <label>
                  备注（可选）
                  <input type="text" name="note" maxlength={200} value={v.note ?? ''} />
                </label>
                <button type="submit">录入</button>
              </form>
              <p class="muted">同一户以最后一张票为准，所有票都保留并记入审计日志。</p>
            </section>
          ) : null}
          <section class="card">
            <h2>取消征询</h2>
            <form method="post" action={`${href}/cancel`} class="stack">
              <CsrfField token={props.viewer.csrf} />
              <p>取消后已投的票不再计算，不会产生结果{c.status === 'open' ? '，并在群里告知业主' : ''}。</p>
              <label>
                <span>
                  <input type="checkbox" name="confirm" value="yes" required /> 我确认取消征询 {c.number}
                </span>
              </label>
              <button type="submit" class="secondary">
                取消征询
              </button>
            </form>
          </section>
        </div>
      ) : null}
      <p>
        <a href={`${consolePath}/campaigns`}>← 返回征询表决</a>
      </p>
    </Layout>
  )
}
