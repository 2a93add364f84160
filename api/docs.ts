import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'

const assets = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
} as const

/**
 * What the docs page may load: its own scripts and styles only. swagger-ui sets style attributes as it
 * renders (hence inline styles), draws icons from data: URLs, and fetches the spec (and "Try it out") from
 * this origin; no inline script: the page's one line of set-up is served as /api/docs/init.js.
 */
export const docsContentSecurityPolicy = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
}

const escapeAttribute = (text: string) =>
  text.replace(/[&"<>]/g, (ch) => ({ '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' })[ch]!)

/** The page's set-up, as a file of its own so the policy needs no inline script; the spec's URL is on the page. */
const initScript = `window.ui = SwaggerUIBundle({
  url: document.getElementById('ui').dataset.spec,
  dom_id: '#ui',
  persistAuthorization: true,
})
`

/** Readable API docs served from the bundled swagger-ui-dist: nothing is fetched from the internet. */
export function createDocsRoutes(specUrl: string) {
  const root = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
  const cache = new Map<string, string>()
  const app = new Hono()
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: docsContentSecurityPolicy,
      xFrameOptions: 'DENY',
      referrerPolicy: 'same-origin',
      strictTransportSecurity: false,
    }),
  )
  app.get('/', (c) =>
    c.html(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>改造助手 API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css"></head><body><div id="ui" data-spec="${escapeAttribute(specUrl)}"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body></html>`),
  )
  app.get('/init.js', (c) =>
    c.body(initScript, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=86400',
    }),
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
