import { z } from '@hono/zod-openapi'

/** Row ids are Postgres integers: a larger number can name nothing, and the database would refuse it with a 500. */
export const maxId = 2_147_483_647
const idMessage = `编号应为 1 到 ${maxId} 之间的整数`

/** An id in a JSON body. */
export const Id = z.number({ error: idMessage }).int(idMessage).positive(idMessage).max(maxId, idMessage)
/** An id in a path or query string. */
export const IdFromString = z.coerce
  .number({ error: idMessage })
  .int(idMessage)
  .positive(idMessage)
  .max(maxId, idMessage)
