import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Hono } from 'hono'

const assets = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
} as const

/** Readable API docs served from the bundled swagger-ui-dist: nothing is fetched from the internet. */
export function createDocsRoutes(specUrl: string) {
  const root = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
  const cache = new Map<string, string>()
  const app = new Hono()
  app.get('/', (c) =>
    c.html(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>改造助手 API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css"></head><body><div id="ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: '#ui', persistAuthorization: true })</script>
</body></html>`),
  )
  app.get('/:asset', async (c) => {
    const name = c.req.param('asset') as keyof typeof assets
    if (!(name in assets)) return c.notFound()
    let body = cache.get(name)
    if (body === undefined) {
      body = await readFile(join(root, name), 'utf8')
      cache.set(name, body)
    }
    return c.body(body, 200, { 'content-type': assets[name], 'cache-control': 'public, max-age=86400' })
  })
  return app
}
