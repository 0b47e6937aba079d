/** `GET /api/runs`, `GET /api/runs/:id`: the reconcile history with plans, API calls and errors. */
import * as z from 'zod'
import type { AppEnv } from '../app.ts'
import { AppError } from '../errors.ts'
import { ApiApp, createRoute } from './route-app.ts'
import {
	errorSchema,
	page,
	runDetail,
	runDetailSchema,
	runSummary,
	runSummarySchema,
	runsQuery,
	toPage,
} from './schemas.ts'

const list = createRoute({
	method: 'get',
	path: '/runs',
	summary: 'Reconcile runs, newest first',
	request: { query: runsQuery },
	responses: {
		200: {
			description: 'a page of runs',
			content: { 'application/json': { schema: page(runSummarySchema) } },
		},
		400: { description: 'bad query', content: { 'application/json': { schema: errorSchema } } },
	},
})

const detail = createRoute({
	method: 'get',
	path: '/runs/{id}',
	summary: 'One run: plan diff, warnings, API calls, error',
	request: { params: z.object({ id: z.coerce.number().int().positive() }) },
	responses: {
		200: { description: 'the run', content: { 'application/json': { schema: runDetailSchema } } },
		404: { description: 'no such run', content: { 'application/json': { schema: errorSchema } } },
	},
})

/** Run routes. */
export const runRoutes = new ApiApp<AppEnv>()
	.openapi(list, async (c) => {
		const q = c.req.valid('query')
		const rows = await c.var.deps.runs.list({
			limit: q.limit + 1,
			before: q.cursor === undefined ? undefined : Number(q.cursor),
			status: q.status,
			trigger: q.trigger,
			commitSha: q.commit,
		})
		return c.json(toPage(rows, q.limit, runSummary), 200)
	})
	.openapi(detail, async (c) => {
		const { id } = c.req.valid('param')
		const run = await c.var.deps.runs.get(id)
		if (!run) {
			throw new AppError('not_found', `run ${id} does not exist`)
		}
		return c.json(runDetail(run), 200)
	})
