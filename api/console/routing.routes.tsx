import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { z } from 'zod'
import { categoryCodes } from '../../core/classify/categories'
import {
  createRoutingRule,
  deleteRoutingRule,
  listRoutingRules,
  routingChoices,
} from '../../core/requests/routing'
import { invalid, isAppError, notFound } from '../../core/shared/errors'
import { actorOf, type C, type ConsoleKit, noticeReader, render, statusOf, viewerOf } from './kit'
import { RoutingPage, type RuleFormValues, routingHref } from './routing.page'
import type { ConsoleEnv } from './session'

const noticeOf = noticeReader({
  created: '已添加派单规则：此后匹配的新诉求将直接派给处理人。',
  deleted: '已删除派单规则。',
})

const RuleFormSchema = z.object({
  category: z
    .union([z.literal(''), z.enum(categoryCodes)], { error: '请从列表中选择分类，或选"全部分类"。' })
    .transform((v) => v || undefined),
  areaId: z
    .string({ error: '请选择区域。' })
    .regex(/^\d{1,9}$/, '请选择区域。')
    .transform(Number),
  handler: z
    .string({ error: '请选择处理人（一位人员或一个单位）。' })
    .regex(/^[so]\d{1,9}$/, '请选择处理人（一位人员或一个单位）。'),
})

function ruleId(raw: string) {
  if (!/^\d{1,9}$/.test(raw))
    throw notFound('routing.not_found', `没有编号为 ${raw.slice(0, 20)} 的派单规则。`)
  return Number(raw)
}

/** 派单规则: category × area → default handler (officers within their scope, admins). */
export function registerRoutingPages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps, mutate } = kit
  const { db, clock } = deps

  const page = async (
    c: C,
    options: { error?: string; values?: RuleFormValues; status?: ContentfulStatusCode } = {},
  ) => {
    const staff = c.get('staff')
    const [rules, choices] = await Promise.all([listRoutingRules(db, staff), routingChoices(db, staff)])
    return render(
      c,
      <RoutingPage
        viewer={viewerOf(c)}
        rules={rules}
        choices={choices}
        values={options.values}
        error={options.error}
        notice={noticeOf(c)}
      />,
      options.status ?? 200,
    )
  }

  app.get('/routing', (c) => page(c))

  app.post('/routing', async (c) => {
    const body = await c.req.parseBody()
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).trim() : '')
    const values: RuleFormValues = {
      category: text('category').slice(0, 20),
      areaId: text('areaId').slice(0, 10),
      handler: text('handler').slice(0, 11),
    }
    try {
      const parsed = RuleFormSchema.safeParse({
        category: text('category'),
        areaId: text('areaId') || undefined,
        handler: text('handler') || undefined,
      })
      if (!parsed.success) throw invalid('console.bad_rule', parsed.error.issues[0]!.message)
      const { category, areaId, handler } = parsed.data
      const id = Number(handler.slice(1))
      await mutate((ctx) =>
        createRoutingRule(
          ctx.db,
          actorOf(c),
          handler.startsWith('s')
            ? { category, areaId, handlerStaffId: id }
            : { category, areaId, handlerOrgId: id },
          clock.now(),
        ),
      )
    } catch (error) {
      if (!isAppError(error)) throw error
      return page(c, { error: error.message, values, status: statusOf(error) })
    }
    return c.redirect(`${routingHref}?ok=created`, 303)
  })

  app.post('/routing/:id/delete', async (c) => {
    const id = ruleId(c.req.param('id'))
    try {
      await mutate((ctx) => deleteRoutingRule(ctx.db, actorOf(c), id, clock.now()))
    } catch (error) {
      if (!isAppError(error)) throw error
      return page(c, { error: error.message, status: statusOf(error) })
    }
    return c.redirect(`${routingHref}?ok=deleted`, 303)
  })
}
