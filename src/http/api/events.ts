/** `GET /api/events`: every Flux event as received, newest first, with filters and paging. */
import type { AppEnv } from '../app.ts'
import { eventsQuery, eventView, fluxEventSchema } from './flux-schemas.ts'
import { ApiApp, createRoute } from './route-app.ts'
import { errorSchema, page, toPage } from './schemas.ts'

const list = createRoute({
	method: 'get',
	path: '/events',
	summary: 'Flux notification events, newest first',
	request: { query: eventsQuery },
	responses: {
		200: {
			description: 'a page of events',
			content: { 'application/json': { schema: page(fluxEventSchema) } },
		},
		400: { description: 'bad query', content: { 'application/json': { schema: errorSchema } } },
	},
})

/** Event routes. */
export const eventRoutes = new ApiApp<AppEnv>().openapi(list, async (c) => {
	const q = c.req.valid('query')
	const rows = await c.var.deps.fluxLedger.listEvents({
		limit: q.limit + 1,
		before: q.cursor === undefined ? undefined : Number(q.cursor),
		kind: q.kind,
		namespace: q.namespace,
		name: q.name,
		severity: q.severity,
		failureClass: q.class,
		outcome: q.outcome,
		revision: q.revision,
	})
	return c.json(toPage(rows, q.limit, eventView), 200)
})
