// The start-up bench's baseline: a bare Hono app on @hono/node-server answering /readyz, plain JavaScript
// (nothing to compile), spawned by the bench the way `npm start` spawns Gaizao.
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono()
app.get('/readyz', (c) => c.json({ ready: true }))
const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: process.env.HOST })
const stop = () => server.close(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
