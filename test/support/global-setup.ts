import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { openDatabase } from '../../db/client'

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string
  }
}

/** Migrates one PGlite database and saves it, so each test file starts from a copy in well under a second. */
export default async function setup(project: TestProject) {
  const database = await openDatabase({})
  const dump = await database.dump!()
  const path = join(tmpdir(), `gaizao-pglite-template-${process.pid}.tar`)
  await writeFile(path, Buffer.from(await dump.arrayBuffer()))
  await database.close()
  project.provide('pgliteTemplate', path)
}
