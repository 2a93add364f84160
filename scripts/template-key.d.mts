/** See template-key.mjs. */
export function templateKey(migrationsFolder: string): string
