import { residents } from '../../db/schema'
import type { TestDeps } from './deps'
import { uniqueId } from './factories'

/**
 * Households of 3号楼 (1单元 101–104) and 5号楼 (1单元 101–102) with areas and owners, as an officer would
 * import them (some rooms written the long way). 王大爷 owns 101 and 102: one owner, two households.
 */
export const twoBuildingsCsv = [
  '楼栋,单元,房号,面积,业主,电话',
  '3,1,101,60.00,王大爷,13800000001',
  '3,1,102,60.00,王大爷,13800000001',
  '3号楼,1单元,103,80.50,李阿姨,13800000002',
  '3号楼,1单元,104室,40.25,赵叔叔,',
  '5,1,101,70,孙老师,13800000005',
  '5,1,102,70,周师傅,13800000006',
].join('\n')

/** A resident known by a fresh WeChat id. */
export async function makeResident(deps: TestDeps, name: string) {
  const [row] = await deps.db
    .insert(residents)
    .values({ wechatId: uniqueId('wxid'), name, createdAt: deps.clock.now() })
    .returning()
  return { ...row!, wechatId: row!.wechatId! }
}
