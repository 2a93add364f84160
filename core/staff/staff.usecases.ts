import { and, asc, eq, gt, isNull, like, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { areas, bindCodes, chatGroups, settings, staff, xiaoqu } from '../../db/schema'
import { rowOf, runStatement } from '../../db/statements'
import { recordAudit } from '../audit/audit'
import { type Actor, assertRole, assertScope, type StaffRow } from '../shared/actor'
import type { Clock } from '../shared/clock'
import { AppError, conflict, invalid, notFound } from '../shared/errors'
import { hashToken, legacyTokenHash, newApiToken, newBindCode } from '../shared/tokens'
import { staffChanged } from './staff.changes'

export interface CreateStaffInput {
  name: string
  role: StaffRow['role']
  areaId?: number
  xiaoquId?: number
  organisationId?: number
  supervisorId?: number
  phone?: string
}

/** Resolves an area or xiaoqu id to its scope path. */
export async function scopePathFor(db: DbOrTx, target: { areaId?: number; xiaoquId?: number }) {
  if (target.xiaoquId) {
    const [row] = await db.select({ path: xiaoqu.path }).from(xiaoqu).where(eq(xiaoqu.id, target.xiaoquId))
    if (!row) throw notFound('xiaoqu.not_found', `没有编号为 ${target.xiaoquId} 的小区。`)
    return row.path
  }
  if (target.areaId) {
    const [row] = await db.select({ path: areas.path }).from(areas).where(eq(areas.id, target.areaId))
    if (!row) throw notFound('areas.not_found', `没有编号为 ${target.areaId} 的区域。`)
    return row.path
  }
  return null
}

/** Creates a staff member with a fresh API token, returned once and stored only as a hash. */
export async function createStaff(
  db: DbOrTx,
  actor: Actor & { kind: 'staff' },
  input: CreateStaffInput,
  now: Date,
) {
  assertRole(actor.staff, [])
  const scopePath = await scopePathFor(db, input)
  if (input.role !== 'admin' && scopePath === null) {
    throw invalid('staff.scope_required', '除管理员外，工作人员必须指定管辖范围（areaId 或 xiaoquId）。', {
      fields: ['areaId', 'xiaoquId'],
    })
  }
  assertScope(actor.staff, scopePath ?? undefined)
  const token = newApiToken()
  const [row] = await db
    .insert(staff)
    .values({
      name: input.name,
      role: input.role,
      scopePath,
      organisationId: input.organisationId ?? null,
      supervisorId: input.supervisorId ?? null,
      phone: input.phone ?? null,
      tokenHash: hashToken(token),
      createdAt: now,
    })
    .returning()
  staffChanged()
  await recordAudit(db, {
    actor,
    action: 'staff.create',
    entity: 'staff',
    entityId: row!.id,
    after: { ...row!, tokenHash: undefined },
    at: now,
  })
  return { staff: row!, token }
}

export async function rotateToken(db: DbOrTx, actor: Actor & { kind: 'staff' }, staffId: number, now: Date) {
  const target = await getStaff(db, staffId)
  if (actor.staff.id !== staffId) assertRole(actor.staff, [])
  const token = newApiToken()
  await db
    .update(staff)
    .set({ tokenHash: hashToken(token) })
    .where(eq(staff.id, target.id))
  staffChanged()
  await recordAudit(db, { actor, action: 'staff.rotate_token', entity: 'staff', entityId: staffId, at: now })
  return token
}

export async function getStaff(db: DbOrTx, id: number) {
  const [row] = await db.select().from(staff).where(eq(staff.id, id))
  if (!row) throw notFound('staff.not_found', `没有编号为 ${id} 的工作人员。`)
  return row
}

/**
 * The active staff member a token belongs to. A token still kept as a bare SHA-256 (from before the
 * keyed hash) is found too, and its hash upgraded on the spot.
 */
export async function authenticate(db: DbOrTx, token: string) {
  const keyed = hashToken(token)
  const legacy = legacyTokenHash(token)
  // Every API call runs this: prepared once per connection.
  const rows = (
    await runStatement(db, 'staff_by_token', 'select * from staff where token_hash in ($1, $2)', [
      keyed,
      legacy,
    ])
  ).map((raw) => rowOf(staff, raw))
  const row = rows.find((r) => r.tokenHash === keyed) ?? rows.find((r) => r.tokenHash === legacy)
  if (!row?.active) return undefined
  if (row.tokenHash === legacy) {
    await db
      .update(staff)
      .set({ tokenHash: keyed })
      .where(and(eq(staff.id, row.id), eq(staff.tokenHash, legacy)))
    staffChanged()
    return { ...row, tokenHash: keyed }
  }
  return row
}

/**
 * The admin token: GAIZAO_ADMIN_TOKEN when set (its hash is kept on a built-in admin), otherwise one is
 * generated on first start and returned so main.ts can print it once.
 */
export async function ensureAdmin(db: DbOrTx, configured: string | undefined, now: Date) {
  // Two instances starting together must not both create the admin: the second waits, then finds it.
  await db.execute(sql`select pg_advisory_xact_lock(7301202006)`)
  const [existing] = await db.select().from(settings).where(eq(settings.key, 'admin_staff_id'))
  if (existing) {
    if (configured) {
      await db
        .update(staff)
        .set({ tokenHash: hashToken(configured) })
        .where(eq(staff.id, existing.value as number))
      staffChanged()
    }
    return { printedToken: undefined }
  }
  const token = configured ?? newApiToken()
  const [admin] = await db
    .insert(staff)
    .values({ name: '管理员', role: 'admin', scopePath: null, tokenHash: hashToken(token), createdAt: now })
    .returning()
  staffChanged()
  await db.insert(settings).values({ key: 'admin_staff_id', value: admin!.id }).onConflictDoNothing()
  return { printedToken: configured ? undefined : token }
}

export async function issueBindCode(
  db: DbOrTx,
  actor: Actor & { kind: 'staff' },
  input:
    | { purpose: 'staff'; staffId: number }
    | {
        purpose: 'group'
        xiaoquId?: number
        areaId?: number
        kind: 'residents' | 'building' | 'officers'
        buildingId?: number
      },
  now: Date,
  ttlMinutes: number,
) {
  const code = newBindCode()
  const expiresAt = new Date(now.getTime() + ttlMinutes * 60_000)
  if (input.purpose === 'staff') {
    const target = await getStaff(db, input.staffId)
    if (actor.staff.id !== target.id) {
      assertRole(actor.staff, [])
    }
    await db.insert(bindCodes).values({
      code,
      purpose: 'staff',
      staffId: target.id,
      createdBy: actor.staff.id,
      expiresAt,
      createdAt: now,
    })
  } else {
    if (input.kind !== 'officers' && !input.xiaoquId) {
      throw invalid('groups.xiaoqu_required', '居民群或楼栋群必须指定小区（xiaoquId）。', {
        fields: ['xiaoquId'],
      })
    }
    const path = await scopePathFor(db, input)
    assertRole(actor.staff, ['officer', 'community_worker'])
    assertScope(actor.staff, path ?? undefined)
    await db.insert(bindCodes).values({
      code,
      purpose: 'group',
      xiaoquId: input.xiaoquId ?? null,
      buildingId: input.buildingId ?? null,
      groupKind: input.kind,
      scopePath: path,
      createdBy: actor.staff.id,
      expiresAt,
      createdAt: now,
    })
  }
  await recordAudit(db, {
    actor,
    action: `bind_code.${input.purpose}`,
    entity: 'bind_code',
    entityId: code,
    after: input,
    at: now,
  })
  return { code, expiresAt }
}

async function takeCode(db: DbOrTx, code: string, purpose: 'staff' | 'group', now: Date) {
  const [row] = await db
    .update(bindCodes)
    .set({ usedAt: now })
    .where(
      and(
        eq(bindCodes.code, code.toUpperCase()),
        eq(bindCodes.purpose, purpose),
        isNull(bindCodes.usedAt),
        gt(bindCodes.expiresAt, now),
      ),
    )
    .returning()
  if (!row) {
    throw new AppError(
      'bind.bad_code',
      400,
      '绑定码无效、已使用或已过期。请在管理后台重新生成绑定码（有效期内只能使用一次）。',
    )
  }
  return row
}

/**
 * `绑定 <码>` in a private chat: links the sender's WeChat to the staff account. Their display name is kept
 * too: puppets that change ids at every login (wechat4u) find them again by it.
 */
export async function bindStaffWechat(
  db: DbOrTx,
  code: string,
  wechatId: string,
  now: Date,
  wechatName?: string,
) {
  const [already] = await db.select().from(staff).where(eq(staff.wechatId, wechatId))
  const row = await takeCode(db, code, 'staff', now)
  if (already && already.id !== row.staffId) {
    throw conflict(
      'bind.wechat_taken',
      `这个微信已绑定到工作人员"${already.name}"，一个微信只能绑定一个账号。`,
    )
  }
  const [bound] = await db
    .update(staff)
    .set(wechatName === undefined ? { wechatId } : { wechatId, wechatName })
    .where(eq(staff.id, row.staffId!))
    .returning()
  staffChanged()
  await recordAudit(db, {
    actor: { kind: 'staff', staff: bound!, via: 'wechat' },
    action: 'staff.bind_wechat',
    entity: 'staff',
    entityId: bound!.id,
    after: { wechatId, wechatName: bound!.wechatName },
    at: now,
  })
  return bound!
}

/**
 * `绑定小区 <码>` in a group, by bound staff: the group becomes a residents', building or officers' group.
 * Binding a room again (unbound by an officer, or left and rejoined) makes it active again.
 */
export async function bindGroup(
  db: DbOrTx,
  actor: Actor & { kind: 'staff' },
  input: { code: string; roomId: string; topic: string },
  now: Date,
) {
  const row = await takeCode(db, input.code, 'group', now)
  // The scope was fixed when the code was issued (the xiaoqu, or the area of an officers' group).
  const scopePath =
    row.scopePath ?? (row.xiaoquId ? await scopePathFor(db, { xiaoquId: row.xiaoquId }) : null)
  const creator = row.createdBy ? await getStaff(db, row.createdBy) : undefined
  const values = {
    roomId: input.roomId,
    topic: input.topic,
    kind: row.groupKind!,
    xiaoquId: row.xiaoquId,
    buildingId: row.buildingId,
    // Codes issued before scopes were stored fall back to their issuer's scope.
    scopePath: scopePath ?? creator?.scopePath ?? null,
    boundBy: actor.staff.id,
    state: 'active' as const,
    stateChangedAt: now,
    createdAt: now,
  }
  const [group] = await db
    .insert(chatGroups)
    .values(values)
    .onConflictDoUpdate({
      target: chatGroups.roomId,
      set: {
        ...values,
        createdAt: undefined,
        // A re-bind of an active group changes what it serves, not its state: its state's time stays.
        stateChangedAt: sql`case when ${chatGroups.state} = 'active' then ${chatGroups.stateChangedAt} else excluded.state_changed_at end`,
      },
    })
    .returning()
  await recordAudit(db, {
    actor,
    action: 'group.bind',
    entity: 'chat_group',
    entityId: input.roomId,
    after: group,
    at: now,
  })
  const [place] = row.xiaoquId
    ? await db.select().from(xiaoqu).where(eq(xiaoqu.id, row.xiaoquId))
    : [undefined]
  return { group: group!, xiaoquName: place?.name }
}

/** Staff within a scope (admins: everyone), in creation order. */
export async function listStaff(db: DbOrTx, scopePath: string | null) {
  return db
    .select()
    .from(staff)
    .where(scopePath === null ? undefined : like(staff.scopePath, `${scopePath}%`))
    .orderBy(asc(staff.id))
}

/** Active staff with this exact name: 转派 names people, and a name may not be unique. */
export async function findActiveStaffByName(db: DbOrTx, name: string) {
  return db
    .select()
    .from(staff)
    .where(and(eq(staff.name, name), eq(staff.active, true)))
}

/** 每日汇总: one digest a working day at 09:00 instead of single nudges (urgent items still come at once). */
export async function setDigestPreference(
  ctx: { db: DbOrTx; clock: Clock },
  actor: Actor & { kind: 'staff' },
  digest: boolean,
) {
  const [updated] = await ctx.db.update(staff).set({ digest }).where(eq(staff.id, actor.staff.id)).returning()
  staffChanged()
  await recordAudit(ctx.db, {
    actor,
    action: 'staff.digest',
    entity: 'staff',
    entityId: String(actor.staff.id),
    before: { digest: actor.staff.digest },
    after: { digest },
    at: ctx.clock.now(),
  })
  return updated!
}
