import type { residents, staff } from '../../db/schema'
import { forbidden } from './errors'

export type StaffRow = typeof staff.$inferSelect
export type ResidentRow = typeof residents.$inferSelect
export type StaffRole = StaffRow['role']

export type Actor =
  | { kind: 'staff'; staff: StaffRow; via: 'api' | 'wechat' | 'console' }
  | { kind: 'resident'; resident: ResidentRow }
  | { kind: 'system' }

export const roleNames: Record<StaffRole, string> = {
  admin: '管理员',
  officer: '工作人员',
  community_worker: '社区工作者',
  property_staff: '物业人员',
}

/** A scope path covers a xiaoqu path when it is a prefix of it; null (admins) covers everything. */
export function scopeCovers(scopePath: string | null, targetPath: string | null | undefined): boolean {
  if (scopePath === null) return true
  if (!targetPath) return false
  return targetPath.startsWith(scopePath)
}

export function assertScope(staff: StaffRow, targetPath: string | null | undefined) {
  if (!scopeCovers(staff.scopePath, targetPath)) {
    throw forbidden('auth.out_of_scope', '该对象不在您的管辖范围内，请联系上级或管理员。')
  }
}

export function assertRole(staff: StaffRow, roles: readonly StaffRole[]) {
  if (staff.role !== 'admin' && !roles.includes(staff.role)) {
    throw forbidden('auth.role', `您的角色（${roleNames[staff.role]}）不能执行此操作。`)
  }
}
