import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { getXiaoquForStaff } from '../../core/areas/areas.usecases'
import { assertAttachments, storeAttachment } from '../../core/notices/attachments'
import { countGroupsInScope } from '../../core/notices/broadcast.repository'
import { createBroadcast, previewBroadcast } from '../../core/notices/broadcast.usecases'
import { createFeeNotice, feeText } from '../../core/notices/fee.usecases'
import { createPublicity, openText } from '../../core/notices/publicity.usecases'
import { createSchedule, type PhaseInput, scheduleText } from '../../core/notices/schedule.usecases'
import { assertRole } from '../../core/shared/actor'
import { invalid, isAppError } from '../../core/shared/errors'
import { constructionImpacts } from '../../db/schema'
import { actorOf, type C, type ConsoleKit, render, statusOf, viewerOf } from './kit'
import {
  BroadcastCompose,
  type BroadcastValues,
  FeeCompose,
  type FeeValues,
  type FileInfo,
  type PhaseValues,
  type PreviewOf,
  PublicityCompose,
  type PublicityValues,
  ScheduleCompose,
  type ScheduleValues,
} from './notices.compose'
import {
  type Body,
  buildingList,
  chosenFiles,
  every,
  fenOf,
  filesFor,
  idOf,
  keptIds,
  maxAttachments,
  optional,
  placesFor,
  required,
  targetOf,
  targetsFor,
  timeOf,
  typed,
} from './notices.forms'
import { composeRoles, noticeHref } from './notices.page'
import type { ConsoleEnv } from './session'

type Shown = { error?: string; preview?: PreviewOf; status?: ContentfulStatusCode }
const maxPhases = 20

/** The compose forms: 预览 renders the WeChat text and the groups it reaches; 发送 runs the use case. */
export function registerNoticeComposePages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps, mutate } = kit
  const { db, clock } = deps

  /** Runs the form: a refusal re-renders it with the message and the error's status. */
  const attempt = async (show: (shown: Shown) => Promise<Response>, work: () => Promise<Response>) => {
    try {
      return await work()
    } catch (error) {
      if (!isAppError(error)) throw error
      return show({ error: error.message, status: statusOf(error) })
    }
  }

  /** Stores the newly chosen files (each checked by storeAttachment) after the ones the form kept. */
  const withUploads = async (c: C, body: Body, ids: number[]) => {
    const files = chosenFiles(body)
    if (ids.length + files.length > maxAttachments) {
      throw invalid('console.too_many_files', `附件最多 ${maxAttachments} 个，请取消勾选一些再上传。`)
    }
    for (const file of files) {
      const data = Buffer.from(await file.arrayBuffer())
      const fileName = file.name.trim().slice(0, 100) || '附件'
      const stored = await mutate((ctx) =>
        storeAttachment(ctx.db, actorOf(c), { fileName, data }, deps.config.attachmentMaxBytes, clock.now()),
      )
      ids.push(stored.id)
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // Broadcast

  const broadcastPage = async (c: C, values: BroadcastValues, files: FileInfo[], shown: Shown = {}) =>
    render(
      c,
      <BroadcastCompose
        viewer={viewerOf(c)}
        targets={await targetsFor(db, c.get('staff'))}
        values={values}
        files={files}
        preview={shown.preview}
        error={shown.error}
      />,
      shown.status ?? 200,
    )

  app.get('/notices/broadcast/new', (c) => {
    assertRole(c.get('staff'), composeRoles.broadcast)
    return broadcastPage(c, {}, [])
  })

  app.post('/notices/broadcast/upload', async (c) => {
    assertRole(c.get('staff'), composeRoles.broadcast)
    const body: Body = await c.req.parseBody({ all: true })
    const values: BroadcastValues = {
      target: typed(body, 'target', 20),
      text: typed(body, 'text', 2_100),
      publishAt: typed(body, 'publishAt', 20),
      urgent: typed(body, 'urgent') === '1',
    }
    const ids = keptIds(body)
    const show = async (shown: Shown) =>
      broadcastPage(c, values, await filesFor(db, c.get('staff'), ids), shown)
    return attempt(show, async () => {
      await withUploads(c, body, ids)
      const input = {
        ...targetOf(values.target!),
        text: required(values.text!, 2_000, '公告内容'),
        attachmentIds: ids,
      }
      const publishAt = timeOf(values.publishAt!, '定时发送时间')
      if (typed(body, 'action') !== 'send') {
        const preview = await previewBroadcast(deps, actorOf(c), input)
        const note = publishAt && publishAt > clock.now() ? '将在所选时间发出。' : '点“发送”后立即开始发送。'
        return show({
          preview: {
            text: preview.text,
            groups: preview.groups,
            scopeName: preview.scope.name,
            note: ids.length > 0 ? `${note}另有 ${ids.length} 个附件在文字之后发出。` : note,
          },
        })
      }
      const notice = await mutate((ctx) =>
        createBroadcast(ctx, actorOf(c), { ...input, publishAt, urgent: values.urgent }),
      )
      return c.redirect(
        `${noticeHref(notice.number)}?ok=${notice.status === 'published' ? 'sent' : 'scheduled'}`,
        303,
      )
    })
  })

  // ------------------------------------------------------------------------------------------------------
  // Design publicity

  const publicityPage = async (c: C, values: PublicityValues, files: FileInfo[], shown: Shown = {}) =>
    render(
      c,
      <PublicityCompose
        viewer={viewerOf(c)}
        places={await placesFor(db, c.get('staff'))}
        values={values}
        files={files}
        preview={shown.preview}
        error={shown.error}
      />,
      shown.status ?? 200,
    )

  app.get('/notices/publicity/new', (c) => {
    assertRole(c.get('staff'), composeRoles.design_publicity)
    return publicityPage(c, { xiaoquId: c.req.query('xiaoquId')?.slice(0, 10) }, [])
  })

  app.post('/notices/publicity/upload', async (c) => {
    assertRole(c.get('staff'), composeRoles.design_publicity)
    const body: Body = await c.req.parseBody({ all: true })
    const values: PublicityValues = {
      xiaoquId: typed(body, 'xiaoquId', 10),
      title: typed(body, 'title', 200),
      body: typed(body, 'body', 1_600),
      opensAt: typed(body, 'opensAt', 20),
      closesAt: typed(body, 'closesAt', 20),
      projectNumber: typed(body, 'projectNumber', 20),
      reviewedBy: typed(body, 'reviewedBy', 100),
    }
    const ids = keptIds(body)
    const show = async (shown: Shown) =>
      publicityPage(c, values, await filesFor(db, c.get('staff'), ids), shown)
    return attempt(show, async () => {
      await withUploads(c, body, ids)
      const projectNumber = values.projectNumber || undefined
      if (projectNumber && !/^[Pp]\d{1,9}$/.test(projectNumber)) {
        throw invalid('console.bad_project', '项目编号形如 P101，不属于项目可以不填。')
      }
      const reviewedBy = values.reviewedBy ? required(values.reviewedBy, 50, '责任规划师') : undefined
      const input = {
        xiaoquId: idOf(values.xiaoquId!, '小区'),
        title: required(values.title!, 100, '标题'),
        body: required(values.body!, 1_500, '方案说明'),
        opensAt: timeOf(values.opensAt!, '公示开始时间', true)!,
        closesAt: timeOf(values.closesAt!, '公示结束时间', true)!,
        attachmentIds: ids,
        projectNumber,
        review: reviewedBy ? { reviewedBy } : undefined,
      }
      if (typed(body, 'action') !== 'send') {
        const actor = actorOf(c)
        const place = await getXiaoquForStaff(db, actor, input.xiaoquId)
        await assertAttachments(db, ids, actor, place.path)
        const text = openText({ ...input, number: 'G…', reviewedBy: reviewedBy ?? '（待记录）' }, place.name)
        return show({
          preview: {
            text,
            groups: await countGroupsInScope(db, place.path),
            scopeName: place.name,
            note: `编号在保存时生成。到公示开始时间（须先记录审查并发布）发出${ids.length > 0 ? `，${ids.length} 个附件随后发出` : ''}。`,
          },
        })
      }
      const created = await mutate((ctx) => createPublicity(ctx, actorOf(c), input))
      return c.redirect(`${noticeHref(created.number)}?ok=created`, 303)
    })
  })

  // ------------------------------------------------------------------------------------------------------
  // Construction schedule

  const blankPhase = (): PhaseValues => ({ impacts: [] })
  const schedulePage = async (c: C, values: ScheduleValues, shown: Shown = {}) =>
    render(
      c,
      <ScheduleCompose
        viewer={viewerOf(c)}
        places={await placesFor(db, c.get('staff'))}
        values={values}
        preview={shown.preview}
        error={shown.error}
      />,
      shown.status ?? 200,
    )

  app.get('/notices/schedule/new', (c) => {
    assertRole(c.get('staff'), composeRoles.construction)
    return schedulePage(c, { phases: [blankPhase(), blankPhase()] })
  })

  /** The phases filled in (blank ones are skipped), as the use case takes them. */
  const phasesOf = (phases: PhaseValues[]): PhaseInput[] => {
    const filled = phases
      .map((p, i) => ({ p, label: `第 ${i + 1} 阶段` }))
      .filter(({ p }) => p.name || p.buildings || p.startsAt || p.endsAt)
    if (filled.length === 0) throw invalid('console.no_phases', '请至少填写一个施工阶段。')
    return filled.map(({ p, label }) => {
      const buildings = buildingList(p.buildings ?? '')
      if (buildings.length === 0)
        throw invalid('console.buildings_required', `请填写${label}涉及的楼栋，如 1号楼、2号楼。`)
      if (buildings.length > 100 || buildings.some((b) => b.length > 30)) {
        throw invalid('console.bad_buildings', `${label}的楼栋最多 100 个，每个名称不超过 30 字。`)
      }
      return {
        name: required(p.name ?? '', 50, `${label}的名称`),
        buildings,
        impacts: (p.impacts ?? []) as PhaseInput['impacts'],
        startsAt: timeOf(p.startsAt ?? '', `${label}的开始时间`, true)!,
        endsAt: timeOf(p.endsAt ?? '', `${label}的结束时间`, true)!,
        note: optional(p.note ?? '', 200, `${label}的提示`),
      }
    })
  }

  app.post('/notices/schedule', async (c) => {
    assertRole(c.get('staff'), composeRoles.construction)
    const body: Body = await c.req.parseBody({ all: true })
    const count = Math.min(Math.max(Number(typed(body, 'phaseCount', 3)) || 1, 1), maxPhases)
    const phases = Array.from({ length: count }, (_, i) => ({
      name: typed(body, `phase${i}.name`, 100),
      buildings: typed(body, `phase${i}.buildings`, 1_000),
      impacts: every(body, `phase${i}.impacts`).filter(
        (v): v is string => typeof v === 'string' && (constructionImpacts as readonly string[]).includes(v),
      ),
      startsAt: typed(body, `phase${i}.startsAt`, 20),
      endsAt: typed(body, `phase${i}.endsAt`, 20),
      note: typed(body, `phase${i}.note`, 300),
    }))
    const values: ScheduleValues = {
      xiaoquId: typed(body, 'xiaoquId', 10),
      title: typed(body, 'title', 200),
      phases,
    }
    const action = typed(body, 'action')
    if (action === 'more') {
      return schedulePage(c, { ...values, phases: [...phases, blankPhase()].slice(0, maxPhases) })
    }
    return attempt(
      (shown) => schedulePage(c, values, shown),
      async () => {
        const input = {
          xiaoquId: idOf(values.xiaoquId!, '小区'),
          title: required(values.title!, 100, '标题'),
          phases: phasesOf(phases),
        }
        if (action !== 'send') {
          const place = await getXiaoquForStaff(db, actorOf(c), input.xiaoquId)
          const text = scheduleText(
            { number: 'S…', title: input.title },
            place.name,
            input.phases.map((p, i) => ({ ...p, seq: i + 1 })),
          )
          return schedulePage(c, values, {
            preview: {
              text,
              groups: await countGroupsInScope(db, place.path),
              scopeName: place.name,
              note: '编号在保存时生成。保存后在详情页发布（可定时）。',
            },
          })
        }
        const created = await mutate((ctx) => createSchedule(ctx, actorOf(c), input))
        return c.redirect(`${noticeHref(created.number)}?ok=created`, 303)
      },
    )
  })

  // ------------------------------------------------------------------------------------------------------
  // Fee notice

  const feePage = async (c: C, values: FeeValues, shown: Shown = {}) =>
    render(
      c,
      <FeeCompose
        viewer={viewerOf(c)}
        places={await placesFor(db, c.get('staff'))}
        values={values}
        preview={shown.preview}
        error={shown.error}
      />,
      shown.status ?? 200,
    )

  app.get('/notices/fee/new', (c) => {
    assertRole(c.get('staff'), composeRoles.fee)
    return feePage(c, {})
  })

  app.post('/notices/fee', async (c) => {
    assertRole(c.get('staff'), composeRoles.fee)
    const body: Body = await c.req.parseBody({ all: true })
    const values: FeeValues = {
      xiaoquId: typed(body, 'xiaoquId', 10),
      period: typed(body, 'period', 100),
      standard: typed(body, 'standard', 20),
      deadline: typed(body, 'deadline', 20),
      howToPay: typed(body, 'howToPay', 600),
      contact: typed(body, 'contact', 200),
      publishAt: typed(body, 'publishAt', 20),
    }
    return attempt(
      (shown) => feePage(c, values, shown),
      async () => {
        const input = {
          xiaoquId: idOf(values.xiaoquId!, '小区'),
          period: required(values.period!, 50, '收费期间', '2026年度'),
          standardFen: fenOf(values.standard!),
          deadline: timeOf(values.deadline!, '缴费截止时间', true)!,
          howToPay: required(values.howToPay!, 300, '缴费方式'),
          contact: required(values.contact!, 100, '联系方式'),
          publishAt: timeOf(values.publishAt!, '定时发送时间'),
        }
        if (typed(body, 'action') !== 'send') {
          const place = await getXiaoquForStaff(db, actorOf(c), input.xiaoquId)
          return feePage(c, values, {
            preview: {
              text: feeText({ ...input, number: 'F…' }, place.name),
              groups: await countGroupsInScope(db, place.path),
              scopeName: place.name,
              note: '编号在发送时生成。截止前还会按设定的天数自动提醒。',
            },
          })
        }
        const fee = await mutate((ctx) => createFeeNotice(ctx, actorOf(c), input))
        return c.redirect(
          `${noticeHref(fee.number)}?ok=${fee.status === 'published' ? 'sent' : 'scheduled'}`,
          303,
        )
      },
    )
  })
}
