import { z } from 'zod'
import { type ProjectDocumentKind, type ProjectStage, projectStages } from '../../db/schema'

export const documentNames: Record<ProjectDocumentKind, string> = {
  design_review: '责任规划师对设计方案的审查意见',
  property_agreement:
    '物业服务协议（居民同意物业服务标准和收费：登记协议，或通过一次关联本项目的物业服务征询）',
  acceptance: '竣工验收报告',
  handover: '移交物业服务企业的交接记录',
}

/** What the gates look at; gathered by the use case, judged here. */
export interface GateFacts {
  stage: ProjectStage
  itemCount: number
  implementingEntityId: number | null
  propertyCompanyId: number | null
  documents: ReadonlySet<ProjectDocumentKind>
  /** Tasks of the current stage still open. */
  openStageTasks: readonly { number: string; title: string }[]
  /** A design publicity linked to the project has run its period and closed. */
  publicityClosed: boolean
}

export interface GateFailure {
  gate: string
  message: string
}

export const stageIndex = (stage: ProjectStage) => projectStages.indexOf(stage)

/**
 * Every gate between the current stage and `to` that does not hold, in order; empty means the move may
 * go. A move goes one stage forward at a time: each stage's tasks must be done before leaving it, and
 * some stages need a document or a fact (DESIGN §2).
 */
export function checkGates(facts: GateFacts, to: ProjectStage): GateFailure[] {
  const from = stageIndex(facts.stage)
  const target = stageIndex(to)
  if (target === from) return [{ gate: 'same_stage', message: `项目已处于「${to}」阶段。` }]
  if (target < from) {
    return [
      {
        gate: 'backwards',
        message: `项目不能从「${facts.stage}」退回「${to}」，如确需退回请由管理员说明原因后强制变更。`,
      },
    ]
  }
  if (target > from + 1) {
    const skipped = projectStages.slice(from + 1, target).join('、')
    return [{ gate: 'order', message: `不能从「${facts.stage}」直接进入「${to}」，须依次经过：${skipped}。` }]
  }
  const failures: GateFailure[] = []
  if (facts.openStageTasks.length > 0) {
    const list = facts.openStageTasks.map((t) => `${t.number}「${t.title}」`).join('、')
    failures.push({ gate: 'stage_tasks', message: `「${facts.stage}」阶段还有未完成的任务：${list}。` })
  }
  const needDocument = (kind: ProjectDocumentKind) => {
    if (!facts.documents.has(kind)) {
      failures.push({ gate: kind, message: `缺少${documentNames[kind]}，请先登记。` })
    }
  }
  switch (to) {
    case '确认':
      if (facts.itemCount === 0)
        failures.push({ gate: 'items', message: '项目还没有改造内容，请先填写改造内容清单。' })
      break
    case '设计':
      if (!facts.implementingEntityId) {
        failures.push({ gate: 'implementing_entity', message: '项目还没有实施主体，请先指定实施主体。' })
      }
      break
    case '公示':
      needDocument('design_review')
      break
    case '物业签约':
      if (!facts.publicityClosed) {
        failures.push({
          gate: 'publicity',
          message: '设计方案公示尚未期满结束，公示结束后才能进入物业签约。',
        })
      }
      break
    case '治理':
      needDocument('property_agreement')
      break
    case '施工':
      needDocument('property_agreement')
      break
    case '移交':
      needDocument('acceptance')
      break
    case '长效管理':
      needDocument('handover')
      if (!facts.propertyCompanyId) {
        failures.push({ gate: 'property_company', message: '项目还没有指定物业服务企业。' })
      }
      break
  }
  return failures
}

export const taskOwnerParties = [
  'responsible',
  'implementing_entity',
  'property_company',
  'planner',
  'construction_unit',
  'property_rights_unit',
] as const

const templateSchema = z
  .object({
    key: z.string().regex(/^[a-z0-9-]{1,40}$/, 'key must be lowercase letters, digits and dashes'),
    title: z.string().min(1).max(100),
    owner: z.enum(taskOwnerParties),
    dueWorkingDays: z.number().int().min(1).max(250),
    remindBeforeWorkingDays: z.number().int().min(1).max(60).optional(),
  })
  .strict()

/** Stage templates, plus `公示结束` for when a linked design publicity closes. */
export const templateEvents = [...projectStages, '公示结束'] as const
export type TemplateEvent = (typeof templateEvents)[number]
export type TaskTemplate = z.infer<typeof templateSchema>
export type TaskTemplates = Partial<Record<TemplateEvent, TaskTemplate[]>>

export const taskTemplatesSchema = z
  .partialRecord(z.enum(templateEvents), z.array(templateSchema).max(20))
  .superRefine((templates, ctx) => {
    const keys = Object.values(templates).flatMap((list) => (list ?? []).map((t) => t.key))
    const duplicate = keys.find((key, i) => keys.indexOf(key) !== i)
    if (duplicate) ctx.addIssue({ code: 'custom', message: `template key "${duplicate}" is used twice` })
  })

/** The defaults, after the work plan's steps; TASK_TEMPLATES (JSON) replaces the list of any stage it names. */
export const defaultTaskTemplates: TaskTemplates = {
  确认: [{ key: 'demands', title: '组织居民议事，汇总改造需求', owner: 'responsible', dueWorkingDays: 10 }],
  设计: [
    {
      key: 'design-plan',
      title: '编制设计方案',
      owner: 'implementing_entity',
      dueWorkingDays: 20,
      remindBeforeWorkingDays: 3,
    },
    { key: 'design-review', title: '责任规划师审查', owner: 'planner', dueWorkingDays: 25 },
  ],
  公示: [{ key: 'publicity', title: '发布设计方案公示', owner: 'responsible', dueWorkingDays: 3 }],
  公示结束: [{ key: 'publicity-summary', title: '汇总公示意见', owner: 'responsible', dueWorkingDays: 3 }],
  物业签约: [
    { key: 'consent', title: '征询居民对物业服务标准和收费的意见', owner: 'responsible', dueWorkingDays: 20 },
    { key: 'property-contract', title: '签订物业服务协议', owner: 'property_company', dueWorkingDays: 30 },
  ],
  治理: [
    {
      key: 'governance',
      title: '完成治理事项（拆除违建、清理地桩地锁等）',
      owner: 'responsible',
      dueWorkingDays: 30,
    },
  ],
  施工: [
    { key: 'construction', title: '组织施工并按计划完工', owner: 'construction_unit', dueWorkingDays: 120 },
  ],
  竣工验收: [{ key: 'acceptance', title: '组织竣工验收', owner: 'implementing_entity', dueWorkingDays: 15 }],
  移交: [{ key: 'handover', title: '移交物业服务企业', owner: 'implementing_entity', dueWorkingDays: 10 }],
  长效管理: [{ key: 'long-term', title: '建立长效管理机制', owner: 'property_company', dueWorkingDays: 20 }],
}
