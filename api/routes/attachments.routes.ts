import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import { loadAttachmentFor, storeAttachment, tooLarge } from '../../core/notices/attachments'
import type { Deps } from '../../core/shared/deps'
import { type ApiEnv, staffActor } from '../auth'
import { errorBody, errorResponses } from '../errors'
import { IdFromString } from './common.schemas'

const upload = createRoute({
  method: 'post',
  path: '/attachments',
  tags: ['附件 attachments'],
  security: [{ Bearer: [] }],
  summary: 'Upload a PNG, JPEG or PDF (the raw file as the body) for a notice; returns its id',
  request: {
    query: z.object({ name: z.string().trim().min(1, '请用 ?name= 给出文件名').max(100) }),
    body: {
      required: true,
      content: {
        'application/pdf': { schema: z.any() },
        'image/png': { schema: z.any() },
        'image/jpeg': { schema: z.any() },
        'application/octet-stream': { schema: z.any() },
      },
    },
  },
  responses: {
    201: {
      description: 'Stored',
      content: {
        'application/json': {
          schema: z.object({
            id: z.number(),
            fileName: z.string(),
            mediaType: z.string(),
            size: z.number(),
            sha256: z.string(),
          }),
        },
      },
    },
    ...errorResponses(400, 401, 403),
    413: { description: 'Too large' },
    415: { description: 'Not a PNG, JPEG or PDF' },
  },
})

const download = createRoute({
  method: 'get',
  path: '/attachments/{id}',
  tags: ['附件 attachments'],
  security: [{ Bearer: [] }],
  summary:
    "A stored file's bytes, for staff whose scope covers it (the uploader's scope; a resident's photo: its request's xiaoqu)",
  request: {
    params: z.object({ id: IdFromString.openapi({ param: { name: 'id', in: 'path' }, example: 1 }) }),
  },
  responses: {
    200: {
      description: 'The file',
      content: {
        'application/pdf': { schema: z.any() },
        'image/png': { schema: z.any() },
        'image/jpeg': { schema: z.any() },
        'application/octet-stream': { schema: z.any() },
      },
    },
    ...errorResponses(400, 401, 403, 404),
  },
})

/** A file name in a Content-Disposition header: ASCII fallback plus the UTF-8 name (RFC 6266). */
const disposition = (name: string) =>
  `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`

export function registerAttachmentRoutes(app: OpenAPIHono<ApiEnv>, deps: Deps) {
  const maxBytes = deps.config.attachmentMaxBytes
  // Refuses an oversized upload while it streams in, before it fills memory.
  app.use(
    '/attachments',
    bodyLimit({
      maxSize: maxBytes,
      onError: (c) =>
        c.json(errorBody('attachments.too_large', tooLarge(maxBytes).message, { maxBytes }), 413),
    }),
  )
  return app
    .openapi(download, async (c) => {
      const file = await loadAttachmentFor(deps.db, c.get('staff'), c.req.valid('param').id)
      return c.body(new Uint8Array(file.data), 200, {
        'content-type': file.mediaType,
        'content-disposition': disposition(file.fileName),
        'cache-control': 'private, no-store',
        'x-content-type-options': 'nosniff',
      })
    })
    .openapi(upload, async (c) => {
      const data = Buffer.from(await c.req.arrayBuffer())
      const stored = await storeAttachment(
        deps.db,
        staffActor(c.get('staff')),
        { fileName: c.req.valid('query').name, data },
        maxBytes,
        deps.clock.now(),
      )
      return c.json(stored, 201)
    })
}
