/**
 * The text with each lone surrogate (half an emoji, as a truncated message or a `slice` can leave) made
 * U+FFFD, as Postgres itself stores it: PGlite fails the whole statement on one that follows a non-ASCII
 * character ("invalid byte sequence for encoding UTF8").
 */
export const wellFormed = (text: string) => (text.isWellFormed() ? text : text.toWellFormed())

/**
 * Whether JSON text may hold a lone surrogate: only through a `\uD800`–`\uDFFF` escape, since JSON.stringify
 * and a UTF-8 body both write any other surrogate as itself, paired. True for a paired escape too (the
 * caller then mends what needs it), never false for a lone one.
 */
export const mayHoldLoneSurrogate = (json: string) => /\\u[dD][89a-fA-F]/.test(json)
