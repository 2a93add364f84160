/**
 * The text with each lone surrogate (half an emoji, as a truncated message or a `slice` can leave) made
 * U+FFFD, as Postgres itself stores it: PGlite fails the whole statement on one that follows a non-ASCII
 * character ("invalid byte sequence for encoding UTF8").
 */
export const wellFormed = (text: string) => (text.isWellFormed() ? text : text.toWellFormed())
