import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import { storeAttachment, tooLarge } from '../../core/notices/attachments'
import type { Deps } from '../../core/shared/deps'
import { type ApiEnv, staffActor } from '../auth'
import { errorBody, errorResponses } from '../errors'

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
  return app.openapi(upload, async (c) => {
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
