import { Input, Layout, PostForm, Select, TextArea, type Viewer } from './layout'
import { consolePath } from './session'

export const newRequestPath = `${consolePath}/requests/new`

/** What the form held when it was refused, so nothing typed is lost. */
export type OnBehalfValues = Partial<
  Record<'channel' | 'xiaoquId' | 'text' | 'location' | 'phone' | 'residentName', string>
>

/** 代录诉求: a resident phoned or came in; the officer files it for them, as the chat would have. */
export function FileOnBehalfPage(props: {
  viewer: Viewer
  xiaoqu: readonly { id: number; name: string }[]
  values?: OnBehalfValues
  error?: string
}) {
  const v = props.values ?? {}
  return (
    <Layout title="代录诉求" viewer={props.viewer} active="inbox" error={props.error}>
      <h1>代录诉求</h1>
      <p class="muted">
        居民打电话或来访提出的诉求，由您代为登记：自动分类、计算时限，并通知工作群，和居民在群里提交的一样。
      </p>
      <section class="card">
        <PostForm action={newRequestPath} csrf={props.viewer.csrf}>
          <Select
            label="来源"
            name="channel"
            required
            value={v.channel ?? 'phone'}
            options={[
              { value: 'phone', text: '电话' },
              { value: 'visit', text: '来访' },
            ]}
          />
          <Select
            label="小区"
            name="xiaoquId"
            required
            blank="请选择"
            value={v.xiaoquId}
            options={props.xiaoqu.map((x) => ({ value: x.id, text: x.name }))}
          />
          <TextArea
            label="诉求内容"
            name="text"
            rows={4}
            required
            maxlength={2000}
            value={v.text}
            placeholder="如：3号楼2单元楼道灯坏了，晚上看不见"
          />
          <Input
            label="位置（可选）"
            name="location"
            maxlength={100}
            value={v.location}
            placeholder="如 3号楼2单元"
          />
          <Input label="居民姓名" name="residentName" required maxlength={50} value={v.residentName} />
          <Input
            label="联系电话（可选）"
            name="phone"
            type="tel"
            maxlength={13}
            value={v.phone}
            hint="11 位手机号或座机号，如 010-12345678；只有承办人和管理员能看到完整号码。"
          />
          <button type="submit">登记诉求</button>
        </PostForm>
      </section>
      <p>
        <a href={consolePath}>← 返回收件箱</a>
      </p>
    </Layout>
  )
}
