import type { pendingClaims } from '../../core/consent/households'
import { maskPhone } from '../../core/people/residents'
import { time } from './format'
import { CsrfField, DataTable, Layout, Tag, type Viewer } from './layout'
import { consolePath } from './session'

export const claimsHref = `${consolePath}/claims`

type Claim = Awaited<ReturnType<typeof pendingClaims>>[number]

/** 房屋认证: claims to verify, each a card on a phone with 通过 / 不通过 inside it. */
export function ClaimsPage(props: { viewer: Viewer; rows: Claim[]; error?: string; notice?: string }) {
  const action = `${claimsHref}/decide`
  const ids = (r: Claim) => (
    <>
      <CsrfField token={props.viewer.csrf} />
      <input type="hidden" name="residentId" value={String(r.residentId)} />
      <input type="hidden" name="householdId" value={String(r.householdId)} />
    </>
  )
  return (
    <Layout title="房屋认证" viewer={props.viewer} active="claims" error={props.error} notice={props.notice}>
      <h1>待核实的房屋认证（{props.rows.length} 条）</h1>
      <p class="muted">
        居民在微信私聊发“认证
        楼栋单元房号”申请。请对照登记的业主核实后通过；通过后即可参加征询投票。结果会私聊告知居民，并记入审计日志。
      </p>
      <DataTable
        label="待核实的房屋认证"
        columns={[
          { head: '小区', cell: (r) => r.xiaoquName },
          { head: '房屋', cell: (r) => `${r.building}${r.unit}${r.room}` },
          { head: '申请人', cell: (r) => r.residentName },
          {
            head: '登记业主',
            cell: (r) => (
              <div>
                {r.ownerName ?? '（未登记）'}
                <Tag show={r.ownerName && r.ownerName === r.residentName} class="ok">
                  同名
                </Tag>
              </div>
            ),
          },
          { head: '业主电话', cell: (r) => maskPhone(r.ownerPhone) ?? '—' },
          { head: '申请时间', cell: (r) => time(r.claimedAt) },
          {
            head: '核实',
            wide: true,
            cell: (r) => (
              <>
                <form method="post" action={action} class="inline">
                  {ids(r)}
                  <input type="hidden" name="decision" value="approve" />
                  <button type="submit">通过</button>
                </form>
                <form method="post" action={action} class="inline">
                  {ids(r)}
                  <input type="hidden" name="decision" value="reject" />
                  <input type="text" name="note" maxlength={200} placeholder="原因（可选，告知居民）" />
                  <button type="submit" class="secondary">
                    不通过
                  </button>
                </form>
              </>
            ),
          },
        ]}
        rows={props.rows}
        empty="没有待核实的认证申请。"
      />
    </Layout>
  )
}
