// The OpenAPI 3.1 document at /openapi.json. Every route defines itself with `createRoute` (the same schemas
// validate its requests); this adds what belongs to the document as a whole and serves it.
import type { OpenAPIHono } from '@hono/zod-openapi';

export function documentApi(app: OpenAPIHono, version: string) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key (role `read` for GET, `operator` for uploads, reaudits, daily runs and cancels).',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'cofi',
      version,
      description:
        'Audits recorded contact-centre calls: LID, STT, analysis and scored questionnaire answers. Errors are `{detail, code}`.',
    },
    security: [{ apiKey: [] }],
  });
}
