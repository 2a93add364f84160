/**
 * The key a shipped PGlite template is filed under (dist/pglite-template-<key>/): a hash of the
 * migrations (names and contents) and of PGlite's version (its data format), so a template built from other
 * migrations or for another PGlite is never loaded. scripts/build.mjs writes it, db/client.ts looks it up.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export function templateKey(migrationsFolder) {
  // The package exports no ./package.json: found from its entry point instead.
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'))
  while (!dir.endsWith('pglite')) dir = dirname(dir)
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  const hash = createHash('sha256').update(`pglite ${version}\n`)
  for (const name of readdirSync(migrationsFolder).sort()) {
    if (!name.endsWith('.sql')) continue
    hash.update(`${name}\n`).update(readFileSync(join(migrationsFolder, name)))
  }
  hash.update(readFileSync(join(migrationsFolder, 'meta', '_journal.json')))
  return hash.digest('hex').slice(0, 16)
}
