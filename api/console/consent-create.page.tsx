import { matterNames } from '../../core/consent/rules'
import { consentMatters } from '../../db/schema'
import { Input, PostForm, Select, TextArea } from './layout'
import { consolePath } from './session'

export const createCampaignAction = `${consolePath}/campaigns`

export interface CampaignFormValues {
  xiaoquId?: string
  building?: string
  unit?: string
  matter?: string
  localRule?: string
  question?: string
  opensAt?: string
  closesAt?: string
  projectNumber?: string
}

/** The form for a new campaign: the same inputs as POST /api/v1/campaigns, with Chinese labels. */
export function CreateCampaignForm(props: {
  csrf: string
  xiaoqu: readonly { id: number; name: string; communityName: string }[]
  localRules: readonly string[]
  values?: CampaignFormValues
}) {
  const v = props.values ?? {}
  return (
    <section class="card">
      <h2>发起征询</h2>
      {props.xiaoqu.length === 0 ? (
        <p class="muted">您的管辖范围内还没有小区。</p>
      ) : (
        <PostForm action={createCampaignAction} csrf={props.csrf}>
          <Select
            label="小区"
            name="xiaoquId"
            required
            blank="请选择小区"
            value={v.xiaoquId}
            options={props.xiaoqu.map((x) => ({ value: x.id, text: `${x.name}（${x.communityName}）` }))}
          />
          <Input
            label="楼栋（可选）"
            name="building"
            value={v.building}
            maxlength={30}
            hint="只征询一栋楼时填写，如 3 或 3号楼；不填为全小区。"
          />
          <Input
            label="单元（可选）"
            name="unit"
            value={v.unit}
            maxlength={30}
            hint="只征询一个单元时填写，需同时填楼栋。"
          />
          <Select
            label="表决事项（民法典第二百七十八条）"
            name="matter"
            required
            blank="请选择表决事项"
            value={v.matter}
            options={consentMatters.map((m) => ({ value: m, text: matterNames[m] }))}
          />
          {props.localRules.length > 0 ? (
            <Select
              label="表决规则"
              name="localRule"
              blank="按民法典"
              value={v.localRule}
              options={props.localRules.map((name) => ({ value: name, text: `本地规则：${name}` }))}
            />
          ) : null}
          <TextArea
            label="征询事项"
            name="question"
            value={v.question}
            rows={3}
            required
            maxlength={1000}
            placeholder="如：是否同意3号楼加装电梯"
          />
          <Input label="开始投票" name="opensAt" type="datetime-local" value={v.opensAt} required />
          <Input label="截止投票" name="closesAt" type="datetime-local" value={v.closesAt} required />
          <Input
            label="关联项目编号（可选）"
            name="projectNumber"
            value={v.projectNumber}
            maxlength={12}
            placeholder="如 P101"
          />
          <button type="submit">发起征询</button>
          <p class="hint">
            范围内每户都须已登记专有部分面积。到开始时间自动开始投票并在群里通知业主，截止时自动计票。
          </p>
        </PostForm>
      )}
    </section>
  )
}
