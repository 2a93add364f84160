import type { Child } from 'hono/jsx'
import type { FeeNoticeRow } from '../../core/notices/fee.usecases'
import type { NoticeKind } from '../../core/notices/notices.overview'
import type { PublicityRow } from '../../core/notices/publicity.usecases'
import type { PhaseRow, ScheduleRow } from '../../core/notices/schedule.usecases'
import { time } from './format'
import { localInput } from './kit'
import { DataTable, Input, Layout, PostForm, type Viewer } from './layout'
import type { FileInfo } from './notices.compose'
import { type Delivery, DeliveryView } from './notices.delivery'
import { kindNames, noticeHref, noticesHref, Preview, statusName } from './notices.page'

export interface DetailCommon {
  viewer: Viewer
  kind: NoticeKind
  number: string
  status: string
  /** The text the groups receive (received), and how many groups the scope has now. */
  preview: { text: string; groups: number; scopeName: string }
  files: FileInfo[]
  delivery: Delivery
  /** The roles of the use cases that change it: who sees the action forms. */
  canAct: boolean
  canSettle: boolean
  error?: string
  notice?: string
}

const Facts = (props: { rows: [string, Child][] }) => (
  <dl class="facts">
    {props.rows.map(([label, value]) => (
      <>
        <dt>{label}</dt>
        <dd>{value}</dd>
      </>
    ))}
  </dl>
)

const Files = (props: { files: FileInfo[] }) =>
  props.files.length === 0 ? null : (
    <ul>
      {props.files.map((f) => (
        <li>
          <a href={`${noticesHref}/attachments/${f.id}`}>{f.fileName}</a>{' '}
          <span class="muted">（{f.mediaType === 'application/pdf' ? 'PDF' : '图片'}）</span>
        </li>
      ))}
    </ul>
  )

/** A one-button form, e.g. 撤回 or 发布. */
export const ActionButton = (props: { csrf: string; action: string; label: string; secondary?: boolean }) => (
  <PostForm action={props.action} csrf={props.csrf} class="inline">
    <button type="submit" class={props.secondary ? 'secondary' : undefined}>
      {props.label}
    </button>
  </PostForm>
)

function DetailLayout(props: DetailCommon & { facts: [string, Child][]; actions?: Child; children?: Child }) {
  const title = `${kindNames[props.kind]} ${props.number}`
  const sent = props.delivery.sections.length > 0
  return (
    <Layout title={title} viewer={props.viewer} active="notices" error={props.error} notice={props.notice}>
      <p>
        <a href={noticesHref}>← 通知公告</a>
      </p>
      <h1>
        {title} <span class="badge">{statusName(props.kind, props.status)}</span>
      </h1>
      <section class="card">
        <Facts rows={props.facts} />
        <Files files={props.files} />
      </section>
      <Preview
        {...props.preview}
        note={sent ? '这是发到群里的消息；各群的进度见下方。' : '尚未发出：这是将发到群里的消息。'}
      />
      {props.canAct && props.actions ? <section class="card">{props.actions}</section> : null}
      {props.children}
      <DeliveryView
        delivery={props.delivery}
        number={props.number}
        canSettle={props.canSettle}
        csrf={props.viewer.csrf}
      />
    </Layout>
  )
}

const action = (number: string, verb: string) => `${noticeHref(number)}/${verb}`

export function BroadcastDetail(
  props: DetailCommon & {
    row: {
      urgent: number
      publishAt: Date
      publishedAt: Date | null
      cancelledAt: Date | null
      groupCount: number | null
      createdAt: Date
    }
  },
) {
  const r = props.row
  const cancellable = props.status === 'scheduled' || props.status === 'published'
  return (
    <DetailLayout
      {...props}
      facts={[
        ['范围', props.preview.scopeName],
        ['紧急', r.urgent ? '是（免打扰时段也发）' : '否'],
        ['发出时间', time(r.publishAt)],
        ['已发布', time(r.publishedAt)],
        ['撤回', time(r.cancelledAt)],
        ['发布时的群数', r.groupCount ?? '—'],
        ['创建', time(r.createdAt)],
      ]}
      actions={
        cancellable ? (
          <ActionButton
            csrf={props.viewer.csrf}
            action={action(props.number, 'cancel')}
            label={props.status === 'scheduled' ? '撤回（不再发出）' : '撤回尚未发出的部分'}
            secondary
          />
        ) : undefined
      }
    />
  )
}

export function PublicityDetail(
  props: DetailCommon & {
    row: PublicityRow
    placeName: string
    feedback: { id: number; name: string | null; text: string; category: string; at: Date }[]
    namesShown: boolean
  },
) {
  const p = props.row
  const draft = p.status === 'draft'
  return (
    <DetailLayout
      {...props}
      facts={[
        ['小区', props.placeName],
        ['标题', p.title],
        ['公示期', `${time(p.opensAt)} 至 ${time(p.closesAt)}`],
        ['责任规划师审查', p.reviewedBy ? `${p.reviewedBy}（${time(p.reviewedAt)}）` : '尚未记录'],
        ['意见', `${props.feedback.length} 条`],
        ...(p.summary
          ? ([['汇总', p.summary.themes.map((t) => `${t.category} ${t.count} 条`).join('、') || '无']] as [
              string,
              Child,
            ][])
          : []),
      ]}
      actions={
        draft || p.status === 'scheduled' ? (
          <>
            {draft ? (
              <>
                <h2>1. 记录责任规划师审查</h2>
                <PostForm action={action(props.number, 'review')} csrf={props.viewer.csrf}>
                  <Input
                    label="审查的责任规划师"
                    name="reviewedBy"
                    value={p.reviewedBy ?? ''}
                    maxlength={50}
                    required
                  />
                  <Input
                    label="审查时间（可不填，默认现在）"
                    name="reviewedAt"
                    type="datetime-local"
                    value={p.reviewedAt ? localInput(p.reviewedAt) : undefined}
                  />
                  <button type="submit" class="secondary">
                    记录审查
                  </button>
                </PostForm>
                <h2>2. 发布</h2>
                <p class="hint">发布后到公示开始时间自动发到群里；未记录审查不能发布。</p>
                <ActionButton
                  csrf={props.viewer.csrf}
                  action={action(props.number, 'publish')}
                  label="发布公示"
                />
              </>
            ) : null}
            <h2>撤回</h2>
            <ActionButton
              csrf={props.viewer.csrf}
              action={action(props.number, 'cancel')}
              label="撤回公示"
              secondary
            />
          </>
        ) : undefined
      }
    >
      <section class="card">
        <h2>居民意见（{props.feedback.length} 条）</h2>
        {props.namesShown ? null : <p class="hint">物业人员只看到意见内容，不显示居民姓名。</p>}
        <DataTable
          label="居民意见"
          rows={props.feedback}
          empty="还没有收到意见。"
          columns={[
            { head: '时间', cell: (f) => time(f.at) },
            ...(props.namesShown
              ? [{ head: '居民', cell: (f: { name: string | null }) => f.name ?? '—' }]
              : []),
            { head: '类别', cell: (f) => f.category },
            { head: '意见', cell: (f) => f.text, wide: true },
          ]}
        />
      </section>
    </DetailLayout>
  )
}

export function ScheduleDetail(
  props: DetailCommon & {
    row: ScheduleRow
    placeName: string
    phases: (PhaseRow & { buildings: string[] })[]
  },
) {
  const s = props.row
  const editable = props.canAct && s.status !== 'cancelled'
  return (
    <DetailLayout
      {...props}
      facts={[
        ['小区', props.placeName],
        ['标题', s.title],
        ['定时发布', time(s.publishAt)],
        ['已发布', time(s.publishedAt)],
        ['阶段', `${props.phases.length} 个`],
      ]}
      actions={
        s.status === 'cancelled' ? undefined : (
          <>
            {s.status === 'draft' ? (
              <>
                <h2>发布</h2>
                <PostForm action={action(props.number, 'publish')} csrf={props.viewer.csrf}>
                  <Input label="定时发布（可不填，立即发布）" name="publishAt" type="datetime-local" />
                  <button type="submit">发布施工计划</button>
                </PostForm>
              </>
            ) : null}
            <h2>撤回</h2>
            <p class="hint">撤回后尚未发出的消息和各阶段的提醒都不再发送。</p>
            <ActionButton
              csrf={props.viewer.csrf}
              action={action(props.number, 'cancel')}
              label="撤回施工计划"
              secondary
            />
          </>
        )
      }
    >
      <section class="card">
        <h2>施工阶段</h2>
        {s.status === 'published' ? (
          <p class="hint">已发布：改动某阶段的时间后，受影响楼栋的群会收到变更通知。</p>
        ) : null}
        <DataTable
          label="施工阶段"
          rows={props.phases}
          columns={[
            { head: '序号', cell: (p) => p.seq, num: true },
            { head: '名称', cell: (p) => p.name },
            { head: '楼栋', cell: (p) => p.buildings.join('、') },
            { head: '影响', cell: (p) => p.impacts.join('、') || '—' },
            { head: '时间', cell: (p) => `${time(p.startsAt)} 至 ${time(p.endsAt)}` },
            { head: '提示', cell: (p) => p.note ?? '—' },
            ...(editable
              ? [
                  {
                    head: '修改',
                    wide: true,
                    cell: (p: PhaseRow) => (
                      <details>
                        <summary>修改第 {p.seq} 阶段</summary>
                        <PostForm
                          action={`${action(props.number, 'phases')}/${p.seq}`}
                          csrf={props.viewer.csrf}
                        >
                          <Input label="名称" name="name" value={p.name} maxlength={50} required />
                          <Input
                            label="开始"
                            name="startsAt"
                            type="datetime-local"
                            value={localInput(p.startsAt)}
                            required
                          />
                          <Input
                            label="结束"
                            name="endsAt"
                            type="datetime-local"
                            value={localInput(p.endsAt)}
                            required
                          />
                          <Input label="提示" name="note" value={p.note ?? ''} maxlength={200} />
                          <button type="submit">保存</button>
                        </PostForm>
                      </details>
                    ),
                  },
                ]
              : []),
          ]}
        />
      </section>
    </DetailLayout>
  )
}

const yuanOf = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`

export function FeeDetail(props: DetailCommon & { row: FeeNoticeRow; placeName: string }) {
  const f = props.row
  return (
    <DetailLayout
      {...props}
      facts={[
        ['小区', props.placeName],
        ['收费期间', f.period],
        ['收费标准', `${yuanOf(f.standardFen)} 元/㎡/月`],
        ['缴费截止', time(f.deadline)],
        ['缴费方式', f.howToPay],
        ['联系方式', f.contact],
        ['发出时间', time(f.publishAt)],
        ['已发布', time(f.publishedAt)],
      ]}
      actions={
        f.status === 'cancelled' ? undefined : (
          <>
            <p class="hint">撤回后尚未发出的通知和截止前的提醒都不再发送。</p>
            <ActionButton
              csrf={props.viewer.csrf}
              action={action(props.number, 'cancel')}
              label="撤回缴费通知"
              secondary
            />
          </>
        )
      }
    />
  )
}
