import type { StaffRole } from '../../core/shared/actor'
import { consolePath } from './session'

/**
 * The console's menu, by role: a role sees only the pages it may use (a page it would get 403 on is never
 * offered). Each area's routes still check the role themselves; this table only decides what is shown.
 */
export type NavKey =
  | 'inbox'
  | 'tasks'
  | 'overdue'
  | 'notices'
  | 'projects'
  | 'campaigns'
  | 'claims'
  | 'data'
  | 'dashboard'
  | 'groups'
  | 'people'
  | 'routing'
  | 'calendar'
  | 'audit'
  | 'settings'
  | 'bot'
  | 'none'

export interface NavItem {
  key: Exclude<NavKey, 'none'>
  href: string
  label: string
  /** Who sees it; admins see everything. */
  roles: readonly StaffRole[]
  /** Administration pages go under the 管理 menu. */
  admin?: boolean
}

const everyone: readonly StaffRole[] = ['officer', 'community_worker', 'property_staff']
const office: readonly StaffRole[] = ['officer', 'community_worker']

export const navItems: readonly NavItem[] = [
  { key: 'inbox', href: consolePath, label: '收件箱', roles: everyone },
  { key: 'tasks', href: `${consolePath}/tasks`, label: '任务', roles: everyone },
  { key: 'overdue', href: `${consolePath}/overdue`, label: '超时', roles: everyone },
  { key: 'notices', href: `${consolePath}/notices`, label: '通知公告', roles: everyone },
  { key: 'projects', href: `${consolePath}/projects`, label: '项目', roles: office },
  { key: 'campaigns', href: `${consolePath}/campaigns`, label: '征询表决', roles: office },
  { key: 'claims', href: `${consolePath}/claims`, label: '房屋认证', roles: office },
  { key: 'dashboard', href: `${consolePath}/dashboard`, label: '数据看板', roles: office },
  { key: 'data', href: `${consolePath}/data`, label: '导入导出', roles: office },
  { key: 'groups', href: `${consolePath}/groups`, label: '群管理', roles: office, admin: true },
  { key: 'people', href: `${consolePath}/people`, label: '人员与区域', roles: ['officer'], admin: true },
  { key: 'routing', href: `${consolePath}/routing`, label: '派单规则', roles: ['officer'], admin: true },
  { key: 'calendar', href: `${consolePath}/calendar`, label: '工作日历', roles: [], admin: true },
  { key: 'audit', href: `${consolePath}/audit`, label: '操作记录', roles: [], admin: true },
  { key: 'settings', href: `${consolePath}/settings`, label: '设置与目标', roles: [], admin: true },
  { key: 'bot', href: `${consolePath}/bot`, label: '机器人', roles: [], admin: true },
]

/** Whether the menu offers `key` to a staff member of `role`. */
export const mayOpen = (role: StaffRole, key: NavKey) =>
  role === 'admin' || (navItems.find((item) => item.key === key)?.roles.includes(role) ?? false)

/** The items a role sees, main menu first, then the 管理 menu. */
export function navFor(role: StaffRole) {
  const shown = navItems.filter((item) => mayOpen(role, item.key))
  return { main: shown.filter((item) => !item.admin), admin: shown.filter((item) => item.admin) }
}
