import { PGlite } from '@electric-sql/pglite'
import { openDatabase } from './db/client'
let t = Date.now()
const p = new PGlite(); await p.query('select 1'); console.log('bare pglite', Date.now() - t)
t = Date.now()
const d = await openDatabase({}); console.log('with migrate', Date.now() - t)
t = Date.now()
const dump = await (d as any).db.$client.dumpDataDir('none'); console.log('dump', Date.now() - t, dump.size)
t = Date.now()
const q = new PGlite({ loadDataDir: dump }); await q.query('select count(*) from requests'); console.log('load', Date.now() - t)
