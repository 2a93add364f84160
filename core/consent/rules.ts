// 民法典 第二百七十八条, computed exactly: areas in hundredths of a square metre, heads as counts, and
// every comparison cross-multiplied in integers (BigInt, so no sum can overflow), never a float.
import { z } from 'zod'
import type { BallotChoice, ConsentMatter, ConsentResult, ConsentRule, Threshold } from '../../db/schema'

export const matterNames: Record<ConsentMatter, string> = {
  rules: '（一）制定和修改业主大会议事规则',
  covenant: '（二）制定和修改管理规约',
  committee: '（三）选举业主委员会或者更换业主委员会成员',
  property_manager: '（四）选聘和解聘物业服务企业或者其他管理人',
  use_maintenance_fund: '（五）使用建筑物及其附属设施的维修资金',
  raise_maintenance_fund: '（六）筹集建筑物及其附属设施的维修资金',
  rebuild: '（七）改建、重建建筑物及其附属设施（如加装电梯）',
  common_parts_use: '（八）改变共有部分的用途或者利用共有部分从事经营活动',
  other: '（九）有关共有和共同管理权利的其他重大事项',
}

const twoThirds: Threshold = { num: 2, den: 3, inclusive: true }
const threeQuarters: Threshold = { num: 3, den: 4, inclusive: true }
const half: Threshold = { num: 1, den: 2, inclusive: false }

/** Items (6)–(8) need three quarters (以上, ≥); the others more than half (过半数, >); all a 2/3 quorum. */
export function legalRule(matter: ConsentMatter): ConsentRule {
  const special = matter === 'raise_maintenance_fund' || matter === 'rebuild' || matter === 'common_parts_use'
  const pass = special ? threeQuarters : half
  return { quorumArea: twoThirds, quorumHeads: twoThirds, passArea: pass, passHeads: pass }
}

/** part/whole meets the threshold: part·den ≥ num·whole (以上) or > (过半数). A zero whole never meets it. */
export function meets(part: number, whole: number, t: Threshold) {
  if (whole <= 0) return false
  const left = BigInt(part) * BigInt(t.den)
  const right = BigInt(t.num) * BigInt(whole)
  return t.inclusive ? left >= right : left > right
}

/** Whether threshold `a` asks at least as much as `b`: every share that meets `a` also meets `b`. */
export function atLeastAsStrict(a: Threshold, b: Threshold) {
  const left = BigInt(a.num) * BigInt(b.den)
  const right = BigInt(b.num) * BigInt(a.den)
  if (left !== right) return left > right
  return !(a.inclusive && !b.inclusive)
}

export const describeThreshold = (t: Threshold) =>
  t.num * 2 === t.den && !t.inclusive ? '过半数' : `${t.num}/${t.den}${t.inclusive ? '以上' : '（不含）以上'}`

/** One household on the roll, with its owner's key (one owner of several households counts once). */
export interface RollEntry {
  householdId: number
  ownerKey: string
  areaCenti: number
}

/** The ballot that counts for a household: its last. */
export interface CountedBallot {
  householdId: number
  choice: BallotChoice
  /** Order of casting; an owner's latest ballot decides their head. */
  seq: number
}

/**
 * Tallies a campaign. An owner takes part when any of their households has a ballot; their choice is their
 * latest ballot, and it carries the sum of their households' areas on the roll. Abstentions take part but
 * do not agree.
 */
export function tally(
  rule: ConsentRule,
  roll: readonly RollEntry[],
  counted: readonly CountedBallot[],
): ConsentResult {
  const owners = new Map<string, { area: number; choice?: BallotChoice; seq: number }>()
  for (const h of roll) {
    const owner = owners.get(h.ownerKey) ?? { area: 0, seq: -1 }
    owner.area += h.areaCenti
    owners.set(h.ownerKey, owner)
  }
  const ownerOf = new Map(roll.map((h) => [h.householdId, h.ownerKey]))
  for (const b of counted) {
    const key = ownerOf.get(b.householdId)
    if (key === undefined) continue
    const owner = owners.get(key)!
    if (b.seq > owner.seq) {
      owner.seq = b.seq
      owner.choice = b.choice
    }
  }
  let totalAreaCenti = 0
  let participatingAreaCenti = 0
  let agreeingAreaCenti = 0
  let participatingHeads = 0
  let agreeingHeads = 0
  for (const owner of owners.values()) {
    totalAreaCenti += owner.area
    if (!owner.choice) continue
    participatingHeads++
    participatingAreaCenti += owner.area
    if (owner.choice === '同意') {
      agreeingHeads++
      agreeingAreaCenti += owner.area
    }
  }
  const totalHeads = owners.size
  return decide(rule, {
    totalAreaCenti,
    totalHeads,
    participatingAreaCenti,
    participatingHeads,
    agreeingAreaCenti,
    agreeingHeads,
  })
}

type Figures = Omit<ConsentResult, 'quorumMet' | 'passed' | 'reasons'>

/** Applies the rule to the figures, saying why it passed or failed. */
export function decide(rule: ConsentRule, f: Figures): ConsentResult {
  const reasons: string[] = []
  const area = (centi: number) => `${Math.trunc(centi / 100)}.${String(centi % 100).padStart(2, '0')}㎡`
  const quorumArea = meets(f.participatingAreaCenti, f.totalAreaCenti, rule.quorumArea)
  const quorumHeads = meets(f.participatingHeads, f.totalHeads, rule.quorumHeads)
  if (!quorumArea) {
    reasons.push(
      `参与表决的专有部分面积 ${area(f.participatingAreaCenti)}，未达到总面积 ${area(f.totalAreaCenti)} 的${describeThreshold(rule.quorumArea)}`,
    )
  }
  if (!quorumHeads) {
    reasons.push(
      `参与表决的业主 ${f.participatingHeads} 人，未达到业主总人数 ${f.totalHeads} 人的${describeThreshold(rule.quorumHeads)}`,
    )
  }
  const quorumMet = quorumArea && quorumHeads
  let passed = false
  if (quorumMet) {
    const passArea = meets(f.agreeingAreaCenti, f.participatingAreaCenti, rule.passArea)
    const passHeads = meets(f.agreeingHeads, f.participatingHeads, rule.passHeads)
    if (!passArea) {
      reasons.push(
        `同意的专有部分面积 ${area(f.agreeingAreaCenti)}，未达到参与表决面积 ${area(f.participatingAreaCenti)} 的${describeThreshold(rule.passArea)}`,
      )
    }
    if (!passHeads) {
      reasons.push(
        `同意的业主 ${f.agreeingHeads} 人，未达到参与表决人数 ${f.participatingHeads} 人的${describeThreshold(rule.passHeads)}`,
      )
    }
    passed = passArea && passHeads
    if (passed) {
      reasons.push(
        `参与表决：面积 ${area(f.participatingAreaCenti)}/${area(f.totalAreaCenti)}、人数 ${f.participatingHeads}/${f.totalHeads}，均达${describeThreshold(rule.quorumArea)}；同意：面积 ${area(f.agreeingAreaCenti)}、人数 ${f.agreeingHeads}，均达参与表决的${describeThreshold(rule.passArea)}`,
      )
    }
  }
  return { ...f, quorumMet, passed, reasons }
}

const fraction = z
  .string()
  .regex(/^>?\d{1,3}\/\d{1,3}$/, 'a threshold looks like "3/4" (以上, ≥) or ">1/2" (过半数, >)')
  .transform((s): Threshold => {
    const inclusive = !s.startsWith('>')
    const [num, den] = s.replace('>', '').split('/').map(Number) as [number, number]
    return { num, den, inclusive }
  })
  .refine((t) => t.den > 0 && t.num <= t.den, 'a threshold must be a fraction between 0 and 1')

/** CONSENT_LOCAL_RULES: named rules stricter than the law, e.g. {"加装电梯":{"passArea":"4/5","passHeads":"4/5"}}. */
export const localRulesSchema = z.record(
  z.string().min(1).max(30),
  z
    .object({
      quorumArea: fraction.optional(),
      quorumHeads: fraction.optional(),
      passArea: fraction.optional(),
      passHeads: fraction.optional(),
    })
    .strict(),
)
export type LocalRules = z.infer<typeof localRulesSchema>
