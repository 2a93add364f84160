import { describe, expect, it } from 'vitest'
import {
  atLeastAsStrict,
  type CountedBallot,
  decide,
  legalRule,
  meets,
  type RollEntry,
  tally,
} from '../../core/consent/rules'
import type { BallotChoice } from '../../db/schema'

/** A roll of `n` owners with one household of `area` hundredths each. */
const roll = (areas: number[]): RollEntry[] =>
  areas.map((areaCenti, i) => ({ householdId: i + 1, ownerKey: `o${i + 1}`, areaCenti }))
const votes = (choices: (BallotChoice | null)[]): CountedBallot[] =>
  choices.flatMap((choice, i) => (choice ? [{ householdId: i + 1, choice, seq: i }] : []))

const special = legalRule('rebuild')
const ordinary = legalRule('property_manager')

describe('民法典 第二百七十八条, exactly', () => {
  it.each([
    // [what, rule, areas, choices, quorumMet, passed]
    [
      'quorum exactly 2/3 by area but not by head: fails',
      ordinary,
      [100, 100, 100, 300], // total area 600, 4 owners
      ['同意', null, null, '同意'], // 400/600 = 2/3 by area; 2/4 heads < 2/3
      false,
      false,
    ],
    [
      'quorum exactly 2/3 by area and by head: quorum met',
      ordinary,
      [100, 100, 100],
      ['同意', '同意', null],
      true,
      true,
    ],
    [
      'exactly 3/4 agreeing by area and head: passes a special matter',
      special,
      [100, 100, 100, 100],
      ['同意', '同意', '同意', '反对'],
      true,
      true,
    ],
    [
      'just under 3/4 agreeing by area: fails a special matter',
      special,
      [100, 100, 100, 101],
      ['同意', '同意', '同意', '反对'], // 300/401 < 3/4
      true,
      false,
    ],
    [
      'exactly 1/2 agreeing: fails an ordinary matter (过半数 excludes the bound)',
      ordinary,
      [100, 100, 100, 100],
      ['同意', '同意', '反对', '反对'],
      true,
      false,
    ],
    [
      'one more than half: passes an ordinary matter',
      ordinary,
      [100, 100, 100],
      ['同意', '同意', '反对'],
      true,
      true,
    ],
    [
      'abstentions take part but do not agree',
      ordinary,
      [100, 100, 100, 100],
      ['同意', '同意', '弃权', '弃权'],
      true,
      false,
    ],
    ['zero participants: no quorum, no division by zero', ordinary, [100, 100], [null, null], false, false],
    ['an empty roll never passes', ordinary, [], [], false, false],
  ] as const)('%s', (_what, rule, areas, choices, quorumMet, passed) => {
    const result = tally(rule, roll([...areas]), votes([...choices]))
    expect({ quorumMet: result.quorumMet, passed: result.passed }).toEqual({ quorumMet, passed })
    expect(result.reasons.length).toBeGreaterThan(0)
  })

  it('counts one owner of three households once by head and with the sum of their areas', () => {
    const entries: RollEntry[] = [
      { householdId: 1, ownerKey: 'wang', areaCenti: 5_000 },
      { householdId: 2, ownerKey: 'wang', areaCenti: 6_000 },
      { householdId: 3, ownerKey: 'wang', areaCenti: 7_000 },
      { householdId: 4, ownerKey: 'li', areaCenti: 6_000 },
      { householdId: 5, ownerKey: 'zhao', areaCenti: 6_000 },
    ]
    // 王 votes through one household only; his head counts once and carries all three areas.
    const result = tally(special, entries, [
      { householdId: 2, choice: '同意', seq: 1 },
      { householdId: 4, choice: '同意', seq: 2 },
    ])
    expect(result).toMatchObject({
      totalAreaCenti: 30_000,
      totalHeads: 3,
      participatingAreaCenti: 24_000,
      participatingHeads: 2,
      agreeingAreaCenti: 24_000,
      agreeingHeads: 2,
      quorumMet: true,
      passed: true,
    })
  })

  it("takes an owner's latest ballot across their households", () => {
    const entries: RollEntry[] = [
      { householdId: 1, ownerKey: 'wang', areaCenti: 100 },
      { householdId: 2, ownerKey: 'wang', areaCenti: 100 },
    ]
    const result = tally(ordinary, entries, [
      { householdId: 1, choice: '同意', seq: 1 },
      { householdId: 2, choice: '反对', seq: 5 },
    ])
    expect(result).toMatchObject({ participatingHeads: 1, agreeingHeads: 0, agreeingAreaCenti: 0 })
  })

  it('says why, with the figures', () => {
    const result = decide(ordinary, {
      totalAreaCenti: 60_000,
      totalHeads: 6,
      participatingAreaCenti: 30_000,
      participatingHeads: 3,
      agreeingAreaCenti: 30_000,
      agreeingHeads: 3,
    })
    expect(result.passed).toBe(false)
    expect(result.reasons.join('')).toContain('300.00㎡')
    expect(result.reasons.join('')).toContain('未达到总面积 600.00㎡ 的2/3以上')
  })

  it('compares in integers even for sums beyond 2^53', () => {
    const big = 2 ** 53
    expect(meets(big + 1, big + 1, { num: 1, den: 1, inclusive: true })).toBe(true)
    expect(meets(3 * big, 4 * big, { num: 3, den: 4, inclusive: true })).toBe(true)
  })

  it('orders thresholds by strictness: a local rule may ask more, never less', () => {
    const half = { num: 1, den: 2, inclusive: false }
    expect(atLeastAsStrict({ num: 2, den: 3, inclusive: true }, half)).toBe(true)
    expect(atLeastAsStrict({ num: 1, den: 2, inclusive: true }, half)).toBe(false)
    expect(atLeastAsStrict(half, half)).toBe(true)
    expect(atLeastAsStrict({ num: 3, den: 5, inclusive: true }, { num: 3, den: 4, inclusive: true })).toBe(
      false,
    )
  })
})
