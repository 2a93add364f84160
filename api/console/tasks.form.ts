import { invalid } from '../../core/shared/errors'
import { shanghaiInput } from './kit'
import type { TaskFormValues } from './tasks.page'

const names = [
  'projectNumber',
  'xiaoquId',
  'title',
  'detail',
  'ownerStaffId',
  'ownerOrgId',
  'dueAt',
  'urgent',
] as const

/** The values of a posted task form, each cut to a sane length (they are only shown again). */
export function taskFormValues(body: Record<string, unknown>): TaskFormValues {
  const values: TaskFormValues = {}
  for (const name of names) {
    const value = body[name]
    if (typeof value === 'string') values[name] = value.slice(0, 1200)
  }
  return values
}

const idOf = (raw: string | undefined, what: string) => {
  const value = raw?.trim() ?? ''
  if (value === '') return undefined
  if (!/^\d{1,9}$/.test(value)) throw invalid('console.bad_choice', `请从列表中选择${what}。`)
  return Number(value)
}

/** The task form read into `createTaskByHand`'s input; each refusal says what to do instead. */
export function readTaskForm(values: TaskFormValues, now: Date, places: boolean) {
  const title = values.title?.trim() ?? ''
  if (!title) throw invalid('tasks.title_required', '请填写任务名称。')
  if (title.length > 100) throw invalid('console.too_long', '任务名称不超过 100 字。')
  const detail = values.detail?.trim() || undefined
  if (detail && detail.length > 1000) throw invalid('console.too_long', '任务说明不超过 1000 字。')
  let projectNumber: string | undefined
  let xiaoquId: number | undefined
  if (places) {
    const raw = values.projectNumber?.trim() ?? ''
    if (raw) {
      if (!/^[Pp]\d{1,9}$/.test(raw))
        throw invalid('console.bad_project', '项目编号形如 P101，不属于项目可不填。')
      projectNumber = raw.toUpperCase()
    }
    xiaoquId = idOf(values.xiaoquId, '小区')
    if (!projectNumber && !xiaoquId)
      throw invalid('tasks.place_required', '请选择任务所属的小区，或填写项目编号。')
  }
  const ownerStaffId = idOf(values.ownerStaffId, '负责人')
  const ownerOrgId = idOf(values.ownerOrgId, '负责单位')
  if (!ownerStaffId === !ownerOrgId) {
    throw invalid('tasks.owner_required', '请选择负责人或负责单位，且只选一个。')
  }
  if (!values.dueAt?.trim()) throw invalid('tasks.due_required', '请填写完成时限，例如 2026-03-20 18:00。')
  let dueAt: Date
  try {
    dueAt = shanghaiInput(values.dueAt)
  } catch {
    throw invalid('console.bad_time', '完成时限的格式不对，请填写如 2026-03-20 18:00。')
  }
  if (dueAt <= now) throw invalid('tasks.time_in_past', '完成时限必须晚于现在。')
  return {
    projectNumber,
    xiaoquId,
    title,
    detail,
    ownerStaffId,
    ownerOrgId,
    dueAt,
    urgent: values.urgent === '1',
  }
}
