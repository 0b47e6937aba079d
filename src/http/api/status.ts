/** `GET /api/status`: per resource in sync / drifted / failing / suspended, and missing configuration. */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { edgeStatus } from '../../app/status.ts'
import type { AppEnv } from '../app.ts'
import { runSummary, runSummarySchema } from './schemas.ts'

const statusSchema = z
	.object({
		version: z.string(),
		suspended: z.boolean(),
		missingConfig: z.array(
			z.object({ name: z.string(), kind: z.enum(['secret', 'var']), neededFor: z.string() }),
		),
		lastRun: runSummarySchema.nullable(),
		resources: z.array(
			z.object({
				resource: z.string(),
				kind: z.enum(['tunnel', 'split-tunnel']),
				state: z.enum(['in_sync', 'drifted', 'failing', 'suspended']),
				detail: z.string(),
				pendingChanges: z.array(z.unknown()),
				runId: z.number().int(),
			}),
		),
		cron: z.array(
			z.object({
				job: z.string(),
				cron: z.string(),
				startedAt: z.string(),
				outcome: z.string().nullable(),
				detail: z.string().nullable(),
			}),
		),
		deadLetters: z.number().int(),
	})
	.openapi('Status')

const route = createRoute({
	method: 'get',
	path: '/status',
	summary: 'Edge sync status per resource, missing configuration, cron',
	responses: {
		200: { description: 'the status', content: { 'application/json': { schema: statusSchema } } },
	},
})

/** Status route. */
export const statusRoutes = new OpenAPIHono<AppEnv>().openapi(route, async (c) => {
	const status = await edgeStatus(c.var.deps)
	return c.json(
		{
			...status,
			lastRun: status.lastRun ? runSummary(status.lastRun) : null,
			cron: status.cron.map((t) => ({
				job: t.job,
				cron: t.cron,
				startedAt: new Date(t.startedAt).toISOString(),
				outcome: t.outcome,
				detail: t.detail,
			})),
		},
		200,
	)
})
