import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { listXiaoqu } from '../../core/areas/areas.usecases'
import {
  cancelCampaign,
  createCampaign,
  enterBallot,
  exportBallots,
  listCampaigns,
  turnout,
} from '../../core/consent/campaigns'
import { decideClaim, pendingClaims } from '../../core/consent/households'
import { assertRole, type StaffRole } from '../../core/shared/actor'
import { invalid, isAppError, notFound } from '../../core/shared/errors'
import { type BallotChoice, ballotChoices, type ConsentMatter, consentMatters } from '../../db/schema'
import { type BallotFormValues, CampaignPage, campaignHref } from './consent.page'
import { ClaimsPage, claimsHref } from './consent-claims.page'
import type { CampaignFormValues } from './consent-create.page'
import { CampaignsPage } from './consent-list.page'
import {
  actorOf,
  type C,
  type ConsoleKit,
  field,
  noticeReader,
  render,
  shanghaiInput,
  statusOf,
  viewerOf,
} from './kit'
import type { ConsoleEnv } from './session'

/** Who enters ballots, cancels campaigns and decides claims (the use cases' roles; admins always pass). */
const actingRoles: readonly StaffRole[] = ['officer', 'community_worker']

const noticeOf = noticeReader({
  created: '征询已创建：到开始时间自动开始投票并在群里通知业主，截止时自动计票。',
  ballot: '已录入，这一户以最后一张票为准。',
  cancelled: '征询已取消。',
  approved: '已通过认证，已私聊告知居民。',
  rejected: '已驳回认证，已私聊告知居民。',
})

function campaignNumber(raw: string) {
  const match = /^[Zz](\d{1,9})$/.exec(raw)
  if (!match) throw notFound('campaigns.not_found', `没有找到征询 ${raw.slice(0, 20)}，请核对编号（如 Z7）。`)
  return `Z${match[1]}`
}

function idField(body: Record<string, unknown>, name: string) {
  const value = body[name]
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) {
    throw invalid('console.bad_claim', '认证申请的编号不对，请刷新页面后重试。')
  }
  return Number(value)
}

/** A datetime-local field read as Shanghai time, or a 400 naming the field. */
function timeField(body: Record<string, unknown>, name: string, label: string) {
  try {
    return shanghaiInput(field(body, name, 20, label))
  } catch {
    throw invalid('console.bad_time', `请填写${label}时间，例如 2026-03-20 18:00。`)
  }
}

/** The creation form's fields, checked as the API's schema checks them. */
function campaignInput(body: Record<string, unknown>) {
  const xiaoquId = field(body, 'xiaoquId', 10, '小区')
  if (!xiaoquId || !/^\d{1,9}$/.test(xiaoquId)) throw invalid('console.xiaoqu_required', '请选择小区。')
  const matter = field(body, 'matter', 40, '表决事项')
  if (!matter || !consentMatters.includes(matter as ConsentMatter)) {
    throw invalid('console.matter_required', '请选择表决事项。')
  }
  const question = field(body, 'question', 1000, '征询事项')
  if (!question) throw invalid('campaigns.question_required', '请填写征询事项。')
  const projectNumber = field(body, 'projectNumber', 12, '项目编号')
  if (projectNumber && !/^[Pp]\d{1,9}$/.test(projectNumber)) {
    throw invalid('console.bad_project_number', '项目编号形如 P101，不关联项目请留空。')
  }
  return {
    xiaoquId: Number(xiaoquId),
    building: field(body, 'building', 30, '楼栋'),
    unit: field(body, 'unit', 30, '单元'),
    matter: matter as ConsentMatter,
    localRule: field(body, 'localRule', 30, '本地规则'),
    question,
    opensAt: timeField(body, 'opensAt', '开始投票'),
    closesAt: timeField(body, 'closesAt', '截止投票'),
    projectNumber: projectNumber?.toUpperCase(),
  }
}

/** 征询表决 and 房屋认证 (DESIGN §6): campaigns with live turnout, paper ballots, household claims. */
export function registerConsentPages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps, mutate } = kit
  const { db, clock } = deps

  const canAct = (c: C) => {
    const role = c.get('staff').role
    return role === 'admin' || actingRoles.includes(role)
  }

  // ------------------------------------------------------------------------------------------------------
  // Campaigns

  const campaignsPage = async (
    c: C,
    options: {
      error?: string
      notice?: string
      values?: CampaignFormValues
      status?: ContentfulStatusCode
    } = {},
  ) => {
    const scope = c.get('staff').scopePath
    const rows = await listCampaigns(db, scope, 200)
    const create = canAct(c)
      ? {
          xiaoqu: await listXiaoqu(db, scope),
          localRules: Object.keys(deps.config.consentLocalRules),
          values: options.values,
        }
      : undefined
    return render(
      c,
      <CampaignsPage
        viewer={viewerOf(c)}
        rows={rows}
        create={create}
        error={options.error}
        notice={options.notice}
      />,
      options.status ?? 200,
    )
  }

  app.get('/campaigns', (c) => campaignsPage(c, { notice: noticeOf(c) }))

  app.post('/campaigns', async (c) => {
    const body = await c.req.parseBody()
    const text = (name: string, max: number) =>
      typeof body[name] === 'string' ? (body[name] as string).trim().slice(0, max) : ''
    const values: CampaignFormValues = {
      xiaoquId: text('xiaoquId', 10),
      building: text('building', 30),
      unit: text('unit', 30),
      matter: text('matter', 40),
      localRule: text('localRule', 30),
      question: text('question', 1000),
      opensAt: text('opensAt', 20),
      closesAt: text('closesAt', 20),
      projectNumber: text('projectNumber', 12),
    }
    let number: string
    try {
      const input = campaignInput(body)
      const campaign = await mutate((ctx) => createCampaign(ctx, actorOf(c), input))
      number = campaign.number
    } catch (error) {
      if (!isAppError(error)) throw error
      return campaignsPage(c, { error: error.message, values, status: statusOf(error) })
    }
    return c.redirect(`${campaignHref(number)}?ok=created`, 303)
  })

  const campaignPage = async (
    c: C,
    number: string,
    options: {
      error?: string
      notice?: string
      values?: BallotFormValues
      status?: ContentfulStatusCode
    } = {},
  ) =>
    render(
      c,
      <CampaignPage
        viewer={viewerOf(c)}
        now={clock.now()}
        turnout={await turnout(db, actorOf(c), number)}
        canAct={canAct(c)}
        values={options.values}
        error={options.error}
        notice={options.notice}
      />,
      options.status ?? 200,
    )

  app.get('/campaigns/:number', (c) =>
    campaignPage(c, campaignNumber(c.req.param('number')), { notice: noticeOf(c) }),
  )

  // The same export as the API's, for the session's staff: after the close its SHA-256 is the published digest.
  app.get('/campaigns/:number/ballots.csv', async (c) => {
    const { campaign, csv } = await exportBallots(db, actorOf(c), campaignNumber(c.req.param('number')))
    return c.body(csv, 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${campaign.number}-ballots.csv"`,
    })
  })

  app.post('/campaigns/:number/ballots', async (c) => {
    const number = campaignNumber(c.req.param('number'))
    const body = await c.req.parseBody()
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).trim() : '')
    const values: BallotFormValues = {
      building: text('building').slice(0, 30),
      unit: text('unit').slice(0, 30),
      room: text('room').slice(0, 30),
      choice: text('choice'),
      channel: text('channel'),
      note: text('note').slice(0, 200),
    }
    try {
      const building = field(body, 'building', 30, '楼栋')
      const unit = field(body, 'unit', 30, '单元')
      const room = field(body, 'room', 30, '房号')
      if (!building || !unit || !room) throw invalid('console.room_required', '请填写楼栋、单元和房号。')
      const choice = field(body, 'choice', 10, '选择')
      if (!choice || !ballotChoices.includes(choice as BallotChoice)) {
        throw invalid('console.bad_choice', '请选择同意、反对或弃权。')
      }
      const channel = field(body, 'channel', 10, '方式')
      if (channel !== 'paper' && channel !== 'onsite') {
        throw invalid('console.bad_channel', '请选择纸质票或现场投票。')
      }
      const note = field(body, 'note', 200, '备注')
      await mutate((ctx) =>
        enterBallot(ctx, actorOf(c), number, {
          building,
          unit,
          room,
          choice: choice as BallotChoice,
          channel,
          note,
        }),
      )
    } catch (error) {
      if (!isAppError(error)) throw error
      return campaignPage(c, number, { error: error.message, values, status: statusOf(error) })
    }
    return c.redirect(`${campaignHref(number)}?ok=ballot`, 303)
  })

  app.post('/campaigns/:number/cancel', async (c) => {
    const number = campaignNumber(c.req.param('number'))
    const body = await c.req.parseBody()
    try {
      // cancelCampaign checks only the scope; here, as for ballots, only officers and community workers.
      assertRole(c.get('staff'), actingRoles)
      if (body.confirm !== 'yes') throw invalid('console.confirm_required', '请勾选确认后再取消征询。')
      await mutate((ctx) => cancelCampaign(ctx, actorOf(c), number))
    } catch (error) {
      if (!isAppError(error)) throw error
      return campaignPage(c, number, { error: error.message, status: statusOf(error) })
    }
    return c.redirect(`${campaignHref(number)}?ok=cancelled`, 303)
  })

  // ------------------------------------------------------------------------------------------------------
  // Household claims

  const claimsPage = async (
    c: C,
    options: { error?: string; notice?: string; status?: ContentfulStatusCode } = {},
  ) => {
    // Claims carry residents' and owners' names: only for those who may decide them.
    assertRole(c.get('staff'), actingRoles)
    const rows = await pendingClaims(db, actorOf(c))
    return render(
      c,
      <ClaimsPage viewer={viewerOf(c)} rows={rows} error={options.error} notice={options.notice} />,
      options.status ?? 200,
    )
  }

  app.get('/claims', (c) => claimsPage(c, { notice: noticeOf(c) }))

  app.post('/claims/decide', async (c) => {
    const body = await c.req.parseBody()
    let approve = false
    try {
      const decision = body.decision
      if (decision !== 'approve' && decision !== 'reject') {
        throw invalid('console.bad_decision', '请选择通过或不通过。')
      }
      approve = decision === 'approve'
      const input = {
        residentId: idField(body, 'residentId'),
        householdId: idField(body, 'householdId'),
        approve,
        note: approve ? undefined : field(body, 'note', 200, '原因'),
      }
      await mutate((ctx) => decideClaim(ctx, actorOf(c), input))
    } catch (error) {
      if (!isAppError(error)) throw error
      return claimsPage(c, { error: error.message, status: statusOf(error) })
    }
    return c.redirect(`${claimsHref}?ok=${approve ? 'approved' : 'rejected'}`, 303)
  })
}
