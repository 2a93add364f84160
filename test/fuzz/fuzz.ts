import fc from 'fast-check'

/** `npm run test:faults` sets FUZZ_FULL=1: every property then runs the full FUZZ_RUNS, none a share. */
const full = process.env.FUZZ_FULL === '1'

/**
 * How many cases a property tries. FUZZ_RUNS is the chat parser's count (10,000 by default); in `npm test`
 * the slower targets (a database behind them) run the share of it they are given, so one variable scales
 * them all, and the fault suite runs them in full. FUZZ_SEED replays a failure that fast-check reported.
 */
export function fuzzParameters(share = 1): fc.Parameters<unknown> {
  const runs = Number(process.env.FUZZ_RUNS ?? 10_000)
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`FUZZ_RUNS must be a positive integer, got ${runs}`)
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined
  return {
    numRuns: Math.max(1, Math.round(runs * (full ? 1 : share))),
    ...(seed === undefined ? {} : { seed }),
  }
}

/** A property of `runs` cases may take this long; vitest's own 30 s default is for ordinary tests. */
export const fuzzTimeoutMs = full ? 900_000 : 120_000

/** Any UTF-16 code unit, lone surrogates included (WeChat text is not guaranteed well-formed). */
export const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n))

/**
 * Text of every kind: printable graphemes (emoji, CJK), any code point, control bytes, and raw code units
 * (lone surrogates among them) unless `loneSurrogates` is false.
 */
export const anyText = (maxLength = 80, { loneSurrogates = true } = {}) =>
  fc.oneof(
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: loneSurrogates ? codeUnit : 'binary', maxLength }),
    fc.string({ unit: 'binary-ascii', maxLength }),
  )

/** A Chinese message for people: non-empty, with at least one Han character. */
export const isChineseMessage = (message: unknown) =>
  typeof message === 'string' && message.trim() !== '' && /\p{Script=Han}/u.test(message)
