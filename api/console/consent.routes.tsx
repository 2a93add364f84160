import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import {
  cancelCampaign,
  enterBallot,
  exportBallots,
  listCampaigns,
  turnout,
} from '../../core/consent/campaigns'
import { decideClaim, pendingClaims } from '../../core/consent/households'
import { assertRole, type StaffRole } from '../../core/shared/actor'
import { invalid, isAppError, notFound } from '../../core/shared/errors'
import { type BallotChoice, ballotChoices } from '../../db/schema'
import {
  type BallotFormValues,
  CampaignPage,
  CampaignsPage,
  ClaimsPage,
  campaignHref,
  claimsHref,
} from './consent.page'
import { actorOf, type C, type ConsoleKit, field, noticeReader, render, statusOf, viewerOf } from './kit'
import type { ConsoleEnv } from './session'

/** Who enters ballots, cancels campaigns and decides claims (the use cases' roles; admins always pass). */
const actingRoles: readonly StaffRole[] = ['officer', 'community_worker']

const noticeOf = noticeReader({
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

  app.get('/campaigns', async (c) => {
    const rows = await listCampaigns(db, c.get('staff').scopePath, 200)
    return render(c, <CampaignsPage viewer={viewerOf(c)} rows={rows} />)
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
