import { index, integer, pgTable, serial, text, unique } from 'drizzle-orm/pg-core'
import { createdAt } from './columns'

export const areaKinds = ['district', 'street', 'community'] as const

/** 区 → 街道/乡镇 → 社区. `path` is '/<district>/<street>/<community>/' so a scope check is a prefix match. */
export const areas = pgTable(
  'areas',
  {
    id: serial('id').primaryKey(),
    kind: text('kind', { enum: areaKinds }).notNull(),
    name: text('name').notNull(),
    parentId: integer('parent_id'),
    path: text('path').notNull().default(''),
    createdAt: createdAt(),
  },
  (t) => [unique('areas_parent_name').on(t.parentId, t.name), index('areas_path').on(t.path)],
)

/** 老旧小区. `path` extends its community's path with 'x<id>/' so staff can be scoped to one xiaoqu. */
export const xiaoqu = pgTable(
  'xiaoqu',
  {
    id: serial('id').primaryKey(),
    communityId: integer('community_id')
      .notNull()
      .references(() => areas.id),
    name: text('name').notNull(),
    address: text('address'),
    buildYear: integer('build_year'),
    /** The property company managing it (物业管理覆盖率); set when a project hands over, or by an admin. */
    propertyCompanyId: integer('property_company_id'),
    path: text('path').notNull().default(''),
    createdAt: createdAt(),
  },
  (t) => [unique('xiaoqu_community_name').on(t.communityId, t.name), index('xiaoqu_path').on(t.path)],
)

export const buildings = pgTable(
  'buildings',
  {
    id: serial('id').primaryKey(),
    xiaoquId: integer('xiaoqu_id')
      .notNull()
      .references(() => xiaoqu.id),
    name: text('name').notNull(),
  },
  (t) => [unique('buildings_xiaoqu_name').on(t.xiaoquId, t.name)],
)

export const units = pgTable(
  'units',
  {
    id: serial('id').primaryKey(),
    buildingId: integer('building_id')
      .notNull()
      .references(() => buildings.id),
    name: text('name').notNull(),
  },
  (t) => [unique('units_building_name').on(t.buildingId, t.name)],
)

/** 房屋. Exclusive area in hundredths of a square metre: consent tallies need exact integers. */
export const households = pgTable(
  'households',
  {
    id: serial('id').primaryKey(),
    xiaoquId: integer('xiaoqu_id')
      .notNull()
      .references(() => xiaoqu.id),
    buildingId: integer('building_id')
      .notNull()
      .references(() => buildings.id),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id),
    room: text('room').notNull(),
    exclusiveAreaCenti: integer('exclusive_area_centi'),
    /** The registered owner (from the xiaoqu's database or an import); known only to officers in scope. */
    ownerName: text('owner_name'),
    ownerPhone: text('owner_phone'),
    /**
     * Who the owner is for counting by head: households with the same key belong to one owner, who counts
     * once with the sum of their areas. From the phone when known, else the name; null counts the
     * household as its own owner.
     */
    ownerKey: text('owner_key'),
  },
  (t) => [unique('households_unit_room').on(t.unitId, t.room), index('households_xiaoqu').on(t.xiaoquId)],
)
