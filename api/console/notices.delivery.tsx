import type { DeliveryCounts } from '../../core/notices/notices.overview'
import type { OutboxRow } from '../../core/outbox/outbox.repository'
import { time } from './format'
import { DataTable, PostForm } from './layout'
import { DeliveryLine, noticesHref } from './notices.page'

export interface DeliverySection {
  batch: string
  groups: ({ conversationId: string } & DeliveryCounts)[]
  totals: DeliveryCounts
  /** Messages that need a person: `uncertain` (the sender died mid-send) or `failed`. */
  attention: OutboxRow[]
}

export interface Delivery {
  sections: DeliverySection[]
  topics: Map<string, { topic: string; state: string }>
}

const outboxStatusNames: Record<OutboxRow['status'], string> = {
  pending: '待发',
  sending: '发送中',
  sent: '已发',
  failed: '失败',
  uncertain: '未确定',
  dropped: '已放弃',
}

/** What a batch is, from its name (see core/notices/notices.overview batchesOf). */
export function batchLabel(batch: string) {
  const [kind, , stage, days] = batch.split(':')
  if (kind === 'notice') return '公告'
  const labels: Record<string, string> = {
    'publicity:open': '公示开始',
    'publicity:halfway': '期中提醒',
    'publicity:close': '公示结束汇总',
    'schedule:publish': '施工计划',
    'schedule:change': '变更通知',
    'schedule:eve': '开工前一晚提醒',
    'fee:publish': '缴费通知',
  }
  if (kind === 'fee' && stage === 'remind') return `截止前 ${days} 天提醒`
  return labels[`${kind}:${stage}`] ?? batch
}

const n = (value: number | undefined) => value ?? 0
const excerpt = (text: string) => (text.length > 30 ? `${text.slice(0, 30)}…` : text)

/**
 * Per-group progress of each post of a notice, then the messages a person must decide on. Only admins
 * may resend or drop one (core/outbox/outbox.usecases settleMessage), as in the API.
 */
export function DeliveryView(props: {
  delivery: Delivery
  number: string
  canSettle: boolean
  csrf: string
}) {
  const { sections, topics } = props.delivery
  const groupName = (room: string) => {
    const g = topics.get(room)
    return g ? `${g.topic}${g.state === 'active' ? '' : '（已解绑）'}` : room
  }
  if (sections.length === 0) {
    return (
      <section class="card">
        <h2>发送进度</h2>
        <p class="muted">还没有发往群里的消息。</p>
      </section>
    )
  }
  return (
    <section class="card">
      <h2>发送进度</h2>
      <p class="hint">为防封号，各群间隔发出；夜间免打扰时段普通消息暂缓。</p>
      {sections.map((s) => (
        <div>
          <h3>
            {batchLabel(s.batch)}：<DeliveryLine counts={s.totals} />
          </h3>
          <DataTable
            label={`${batchLabel(s.batch)}的发送进度`}
            rows={s.groups}
            rowClass={(g) => (n(g.failed) + n(g.uncertain) > 0 ? 'late' : undefined)}
            columns={[
              { head: '群', cell: (g) => groupName(g.conversationId) },
              { head: '已发', cell: (g) => n(g.sent), num: true },
              { head: '待发', cell: (g) => n(g.pending) + n(g.sending), num: true },
              { head: '失败', cell: (g) => n(g.failed), num: true },
              { head: '未确定', cell: (g) => n(g.uncertain), num: true },
              { head: '已放弃', cell: (g) => n(g.dropped), num: true },
            ]}
          />
          {s.attention.length > 0 ? (
            <>
              <p>
                <strong>需要处理的消息</strong>
                <span class="hint">
                  {' '}
                  “未确定”是发送途中中断、不知道群里是否收到；重发可能让群里收到两遍。
                  {props.canSettle ? '' : '请联系管理员重发或放弃。'}
                </span>
              </p>
              <DataTable
                label="需要处理的消息"
                rows={s.attention}
                columns={[
                  { head: '消息', cell: (m) => `#${m.id}` },
                  { head: '群', cell: (m) => groupName(m.conversationId) },
                  { head: '内容', cell: (m) => (m.attachmentId ? `附件：${m.text}` : excerpt(m.text)) },
                  {
                    head: '状态',
                    cell: (m) => <span class="badge late">{outboxStatusNames[m.status]}</span>,
                  },
                  { head: '尝试', cell: (m) => `${m.attempts} 次，${time(m.notBefore)}` },
                  { head: '原因', cell: (m) => m.lastError ?? '—' },
                  ...(props.canSettle
                    ? [
                        {
                          head: '操作',
                          wide: true,
                          cell: (m: OutboxRow) => (
                            <div class="toolbar">
                              <PostForm
                                action={`${noticesHref}/outbox/${m.id}/resend`}
                                csrf={props.csrf}
                                class="inline"
                              >
                                <input type="hidden" name="back" value={props.number} />
                                <button type="submit">重发</button>
                              </PostForm>
                              <PostForm
                                action={`${noticesHref}/outbox/${m.id}/drop`}
                                csrf={props.csrf}
                                class="inline"
                              >
                                <input type="hidden" name="back" value={props.number} />
                                <button type="submit" class="secondary">
                                  放弃
                                </button>
                              </PostForm>
                            </div>
                          ),
                        },
                      ]
                    : []),
                ]}
              />
            </>
          ) : null}
        </div>
      ))}
    </section>
  )
}
