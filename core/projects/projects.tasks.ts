import type { DbOrTx } from '../../db/client'
import type { Actor } from '../shared/actor'
import type { Deps } from '../shared/deps'
import { invalid } from '../shared/errors'
import { createTask, type NewTaskInput } from '../tasks/tasks.usecases'
import { findProject } from './projects.usecases'

type Ctx = Pick<Deps, 'clock' | 'config' | 'calendar'> & { db: DbOrTx }

/**
 * A task made by hand (`POST /tasks`, the console's 新建任务): for a project (its xiaoqu, tagged to its
 * current stage) or for a xiaoqu alone.
 */
export async function createTaskByHand(
  ctx: Ctx,
  actor: Actor,
  input: Omit<NewTaskInput, 'xiaoquId' | 'projectId' | 'stage' | 'templateKey'> & {
    xiaoquId?: number
    projectNumber?: string
  },
) {
  const { projectNumber, xiaoquId: placeId, ...rest } = input
  const project = projectNumber ? await findProject(ctx.db, projectNumber) : undefined
  const xiaoquId = project?.xiaoquId ?? placeId
  if (!xiaoquId) {
    throw invalid('tasks.place_required', '请指定任务所属的小区（xiaoquId）或项目（projectNumber）。')
  }
  return createTask(ctx, actor, {
    ...rest,
    xiaoquId,
    projectId: project?.id ?? null,
    stage: project?.stage ?? null,
  })
}
