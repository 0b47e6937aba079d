/**
 * `GET /api/deployments` (per revision: commit, push time, each object's outcome, time from push
 * to applied), `GET /api/deployments/success-rate` and `GET /api/deployments/objects` (each Flux
 * object's state, last good revision, failure → recovery spans). Definitions: docs/flux.md.
 */

import * as z from 'zod'
import { preflightLinks } from '../../app/preflight/link.ts'
import { objectLabel } from '../../domain/flux/event.ts'
import { parseWindow, successRate } from '../../domain/flux/ledger.ts'
import type { AppEnv } from '../app.ts'
import { AppError } from '../errors.ts'
import {
	deploymentSchema,
	deploymentsQuery,
	deploymentView,
	fluxObjectSchema,
	objectsQuery,
	objectView,
	parseObjectFilter,
	SUCCESS_RATE_DEFINITION,
	successRateQuery,
	successRateSchema,
} from './flux-schemas.ts'
import { ApiApp, createRoute } from './route-app.ts'
import { errorSchema, page, toPage } from './schemas.ts'

const badQuery = {
	description: 'bad query',
	content: { 'application/json': { schema: errorSchema } },
}

const list = createRoute({
	method: 'get',
	path: '/deployments',
	summary: 'Flux deployments per revision, newest first',
	description:
		'One item per revision Flux reported on (a commit; a chart version or OCI digest when no commit is known): the push that carried it, each Kustomization and HelmRelease outcome there, and the time from push to applied.',
	request: { query: deploymentsQuery },
	responses: {
		200: {
			description: 'a page of deployments',
			content: { 'application/json': { schema: page(deploymentSchema) } },
		},
		400: badQuery,
	},
})

const rate = createRoute({
	method: 'get',
	path: '/deployments/success-rate',
	summary: 'Reconcile success rate per object and overall over a window',
	request: { query: successRateQuery },
	responses: {
		200: {
			description: 'the success rate',
			content: { 'application/json': { schema: successRateSchema } },
		},
		400: badQuery,
	},
})

const objects = createRoute({
	method: 'get',
	path: '/deployments/objects',
	summary: 'Flux objects: current state, last good revision, failure → recovery spans',
	request: { query: objectsQuery },
	responses: {
		200: {
			description: 'objects, failing first',
			content: { 'application/json': { schema: z.object({ items: z.array(fluxObjectSchema) }) } },
		},
		400: badQuery,
	},
})

/** Deployment ledger routes. */
export const deploymentRoutes = new ApiApp<AppEnv>()
	.openapi(list, async (c) => {
		const q = c.req.valid('query')
		const deps = c.var.deps
		const rows = await deps.fluxLedger.listDeployments({
			limit: q.limit + 1,
			before: q.cursor === undefined ? undefined : Number(q.cursor),
			object: q.object === undefined ? undefined : parseObjectFilter(q.object),
			status: q.status,
			commit: q.commit,
			branch: deps.source.branch,
		})
		const links = await preflightLinks(deps.preflight, rows.slice(0, q.limit))
		return c.json(
			toPage(rows, q.limit, (d) => deploymentView(d, links.get(d.id) ?? null)),
			200,
		)
	})
	.openapi(rate, async (c) => {
		const q = c.req.valid('query')
		const windowMs = parseWindow(q.window)
		if (windowMs === undefined) {
			throw new AppError('bad_request', 'window must be between 1h and 90d, e.g. 24h or 7d')
		}
		const until = c.var.deps.now()
		const since = until - windowMs
		const counts = await c.var.deps.fluxLedger.outcomeCounts(
			since,
			q.object === undefined ? undefined : parseObjectFilter(q.object),
		)
		const result = successRate(counts)
		return c.json(
			{
				window: q.window,
				since: new Date(since).toISOString(),
				until: new Date(until).toISOString(),
				definition: SUCCESS_RATE_DEFINITION,
				overall: result.overall,
				objects: result.objects.map(({ ref, ...r }) => ({
					...r,
					object: {
						kind: ref.kind,
						namespace: ref.namespace,
						name: ref.name,
						label: objectLabel(ref),
					},
				})),
			},
			200,
		)
	})
	.openapi(objects, async (c) => {
		const q = c.req.valid('query')
		const rows = await c.var.deps.fluxLedger.listObjects(q)
		return c.json({ items: rows.map(objectView) }, 200)
	})
