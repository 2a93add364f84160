import { type ProjectChoices, responsibleRoles } from '../../core/projects/projects.options'
import type { ProjectInput, ProjectRow } from '../../core/projects/projects.usecases'
import { roleNames } from '../../core/shared/actor'
import { invalid } from '../../core/shared/errors'
import type { ProjectItem } from '../../db/schema'
import { Input, Select, TextArea } from './layout'

// The project form (新建 and 修改): its fields, what they hold when shown again, and how they are read.

/** The parties a project names, each an organisation of one kind. */
export const partyFields = [
  { name: 'implementingEntityId', kind: 'implementing_entity', label: '实施主体' },
  { name: 'plannerId', kind: 'responsible_planner', label: '责任规划师' },
  { name: 'propertyCompanyId', kind: 'property_company', label: '物业服务企业' },
  { name: 'constructionUnitId', kind: 'construction_unit', label: '施工单位' },
  { name: 'propertyRightsUnitId', kind: 'property_rights_unit', label: '原产权单位' },
] as const
type PartyName = (typeof partyFields)[number]['name']

/** The form's fields as typed (strings), to show them again after a refusal. */
export type ProjectFormValues = Partial<
  Record<
    | 'xiaoquId'
    | 'title'
    | 'year'
    | 'basicItems'
    | 'optionalItems'
    | 'plannedInvestment'
    | 'actualInvestment'
    | 'responsibleStaffId'
    | PartyName,
    string
  >
>

const formNames = [
  'xiaoquId',
  'title',
  'year',
  'basicItems',
  'optionalItems',
  'plannedInvestment',
  'actualInvestment',
  'responsibleStaffId',
  ...partyFields.map((p) => p.name),
] as const

/** The values of a posted form, each cut to a sane length (they are only shown again). */
export function formValues(body: Record<string, unknown>): ProjectFormValues {
  const values: ProjectFormValues = {}
  for (const name of formNames) {
    const value = body[name]
    if (typeof value === 'string') values[name] = value.slice(0, 3000)
  }
  return values
}

/** A project as the form shows it for editing. */
export function valuesOf(project: ProjectRow): ProjectFormValues {
  const items = (kind: ProjectItem['kind']) =>
    project.items
      .filter((i) => i.kind === kind)
      .map((i) => i.name)
      .join('\n')
  const id = (value: number | null) => (value === null ? '' : String(value))
  return {
    title: project.title,
    year: String(project.year),
    basicItems: items('basic'),
    optionalItems: items('optional'),
    plannedInvestment: project.plannedInvestment,
    actualInvestment: project.actualInvestment,
    responsibleStaffId: String(project.responsibleStaffId),
    implementingEntityId: id(project.implementingEntityId),
    plannerId: id(project.plannerId),
    propertyCompanyId: id(project.propertyCompanyId),
    constructionUnitId: id(project.constructionUnitId),
    propertyRightsUnitId: id(project.propertyRightsUnitId),
  }
}

const idOf = (raw: string | undefined, what: string) => {
  const value = raw?.trim() ?? ''
  if (value === '') return null
  if (!/^\d{1,9}$/.test(value)) throw invalid('console.bad_choice', `请从列表中选择${what}。`)
  return Number(value)
}

/** '1,234,567.8' → '1234567.80': the API's rule (元, at most two decimals), commas allowed. */
function yuanOf(raw: string | undefined, label: string) {
  const value = (raw ?? '').replace(/[,，\s]/g, '')
  if (value === '') return '0.00'
  const match = /^(\d{1,14})(?:\.(\d{1,2}))?$/.exec(value)
  if (!match) throw invalid('console.bad_amount', `${label}以元为单位，最多两位小数，如 1234567.89。`)
  return `${BigInt(match[1]!)}.${(match[2] ?? '').padEnd(2, '0')}`
}

function itemsOf(values: ProjectFormValues): ProjectItem[] {
  const lines = (raw: string | undefined, kind: ProjectItem['kind']) =>
    (raw ?? '')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter(Boolean)
      .map((name) => ({ name, kind }))
  const items = [...lines(values.basicItems, 'basic'), ...lines(values.optionalItems, 'optional')]
  const long = items.find((i) => i.name.length > 50)
  if (long)
    throw invalid('console.item_too_long', `改造内容每项不超过 50 字：「${long.name.slice(0, 20)}…」。`)
  if (items.length > 50) throw invalid('console.too_many_items', '改造内容最多 50 项。')
  return items
}

/** The form read into the use case's input; every field checked, each refusal naming what to do. */
export function readProjectForm(values: ProjectFormValues) {
  const title = values.title?.trim() ?? ''
  if (!title) throw invalid('console.title_required', '请填写项目名称。')
  if (title.length > 100) throw invalid('console.too_long', '项目名称不超过 100 字。')
  const yearText = values.year?.trim() ?? ''
  const year = Number(yearText)
  if (!/^\d{4}$/.test(yearText) || year < 2000 || year > 2100) {
    throw invalid('console.bad_year', '年度应为 2000 到 2100 之间的整数，如 2026。')
  }
  const responsibleStaffId = idOf(values.responsibleStaffId, '负责人')
  if (responsibleStaffId === null) throw invalid('console.responsible_required', '请选择项目负责人。')
  const input: Required<ProjectInput> = {
    title,
    year,
    items: itemsOf(values),
    plannedInvestment: yuanOf(values.plannedInvestment, '计划投资'),
    actualInvestment: yuanOf(values.actualInvestment, '实际投资'),
    responsibleStaffId,
    implementingEntityId: null,
    plannerId: null,
    propertyCompanyId: null,
    constructionUnitId: null,
    propertyRightsUnitId: null,
  }
  for (const party of partyFields) input[party.name] = idOf(values[party.name], party.label)
  return input
}

/** Items compared by content (jsonb keeps its own key order). */
const itemsKey = (items: readonly ProjectItem[]) => JSON.stringify(items.map((i) => [i.name, i.kind]))

/** The fields of `input` that differ from the project: an edit changes (and audits) only those. */
export function changesTo(project: ProjectRow, input: Required<ProjectInput>): ProjectInput {
  const changes: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) {
    const before = project[key as keyof ProjectRow]
    const same =
      key === 'items'
        ? itemsKey(before as ProjectItem[]) === itemsKey(value as ProjectItem[])
        : key === 'plannedInvestment' || key === 'actualInvestment'
          ? yuanOf(String(before), '') === value
          : before === value
    if (!same) changes[key] = value
  }
  return changes as ProjectInput
}

/** The fields themselves; `creating` adds the xiaoqu choice and leaves out the actual investment. */
export function ProjectFields(props: {
  choices: ProjectChoices
  values: ProjectFormValues
  creating: boolean
}) {
  const { choices, values } = props
  const people = choices.people.filter((p) => responsibleRoles.includes(p.role))
  return (
    <>
      {props.creating ? (
        <Select
          label="小区"
          name="xiaoquId"
          required
          blank="请选择小区"
          value={values.xiaoquId}
          options={choices.places.map((p) => ({ value: p.id, text: `${p.name}（${p.communityName}）` }))}
        />
      ) : null}
      <Input label="项目名称" name="title" required maxlength={100} value={values.title} />
      <Input label="年度" name="year" type="number" required value={values.year} hint="如 2026" />
      <TextArea
        label="基础类改造内容"
        name="basicItems"
        rows={3}
        value={values.basicItems}
        hint="每行一项，如：楼本体节能改造"
      />
      <TextArea
        label="自选类改造内容"
        name="optionalItems"
        rows={3}
        value={values.optionalItems}
        hint="每行一项，如：加装电梯"
      />
      <Input
        label="计划投资（元）"
        name="plannedInvestment"
        value={values.plannedInvestment}
        placeholder="如 1234567.89"
      />
      {props.creating ? null : (
        <Input label="实际投资（元）" name="actualInvestment" value={values.actualInvestment} />
      )}
      <Select
        label="负责人"
        name="responsibleStaffId"
        required
        blank="请选择负责人"
        value={values.responsibleStaffId}
        options={people.map((p) => ({ value: p.id, text: `${p.name}（${roleNames[p.role]}）` }))}
      />
      {partyFields.map((party) => (
        <Select
          label={party.label}
          name={party.name}
          blank="未指定"
          value={values[party.name]}
          options={choices.organisations
            .filter((o) => o.kind === party.kind)
            .map((o) => ({ value: o.id, text: o.name }))}
        />
      ))}
    </>
  )
}
