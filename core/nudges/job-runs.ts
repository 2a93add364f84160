import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { jobRuns } from '../../db/schema'
import type { Clock } from '../shared/clock'

/** Runs a job's body and records the run (job, started, finished, items, error) whatever happens. */
export async function recordRun(db: Db, clock: Clock, job: string, body: () => Promise<number>) {
  const [run] = await db.insert(jobRuns).values({ job, startedAt: clock.now() }).returning({ id: jobRuns.id })
  try {
    const items = await body()
    await db.update(jobRuns).set({ finishedAt: clock.now(), items }).where(eq(jobRuns.id, run!.id))
    return items
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    await db
      .update(jobRuns)
      .set({ finishedAt: clock.now(), error: message.slice(0, 1_000) })
      .where(eq(jobRuns.id, run!.id))
    throw error
  }
}
