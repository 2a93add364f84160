import type { CampaignRow } from '../../core/consent/campaigns'
import { matterNames } from '../../core/consent/rules'
import { campaignHref, campaignStatusNames, Outcome } from './consent.page'
import { type CampaignFormValues, CreateCampaignForm } from './consent-create.page'
import { time } from './format'
import { DataTable, Layout, type Viewer } from './layout'

type CampaignListRow = { campaign: CampaignRow; xiaoquName: string }

export function CampaignsPage(props: {
  viewer: Viewer
  rows: CampaignListRow[]
  /** The creation form, for those who may create (officers, community workers, admins). */
  create?: {
    xiaoqu: readonly { id: number; name: string; communityName: string }[]
    localRules: readonly string[]
    values?: CampaignFormValues
  }
  error?: string
  notice?: string
}) {
  return (
    <Layout
      title="征询表决"
      viewer={props.viewer}
      active="campaigns"
      error={props.error}
      notice={props.notice}
    >
      <h1>征询表决（{props.rows.length} 项）</h1>
      <p class="muted">
        辖区内的业主共同决定事项（民法典第二百七十八条），最新的在前。业主在微信私聊投票，纸质票和现场票由工作人员在详情页录入。
      </p>
      <DataTable
        label="征询表决"
        columns={[
          {
            head: '编号',
            cell: ({ campaign }: CampaignListRow) => (
              <a href={campaignHref(campaign.number)}>{campaign.number}</a>
            ),
          },
          {
            head: '范围',
            cell: ({ campaign, xiaoquName }: CampaignListRow) => (
              <div>
                {campaign.scopeName}
                {campaign.scopeName.startsWith(xiaoquName) ? null : <div class="muted">{xiaoquName}</div>}
              </div>
            ),
          },
          {
            head: '事项',
            cell: ({ campaign }: CampaignListRow) => (
              <div>
                {matterNames[campaign.matter]}
                <div class="muted">{campaign.question}</div>
              </div>
            ),
          },
          {
            head: '状态',
            cell: ({ campaign }: CampaignListRow) => (
              <div>
                {campaignStatusNames[campaign.status]}
                {campaign.status === 'closed' && campaign.result ? (
                  <>
                    {' '}
                    <Outcome passed={campaign.result.passed} />
                  </>
                ) : null}
              </div>
            ),
          },
          {
            head: '投票时间',
            cell: ({ campaign }: CampaignListRow) => (
              <>
                {time(campaign.opensAt)} 至 {time(campaign.closesAt)}
              </>
            ),
          },
        ]}
        rows={props.rows}
        empty="辖区内还没有征询。"
      />
      {props.create ? (
        <CreateCampaignForm
          csrf={props.viewer.csrf}
          xiaoqu={props.create.xiaoqu}
          localRules={props.create.localRules}
          values={props.create.values}
        />
      ) : null}
    </Layout>
  )
}
