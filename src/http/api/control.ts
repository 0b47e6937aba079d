/**
 * `POST /api/reconcile`, `/api/suspend`, `/api/resume`, `/api/rollback`. No reconcile that writes
 * runs inside the request: it is recorded and queued (the consumer is the only writer) and the
 * answer is 202 with the run id and its URL (`run`, and `Location`). A dry run writes nothing, so
 * it is answered at once with its plan.
 */
import * as z from 'zod'
import { enqueueReconcile } from '../../app/edge/enqueue.ts'
import { executeRun } from '../../app/edge/reconcile-job.ts'
import type { AppEnv } from '../app.ts'
import { ApiApp, createRoute } from './route-app.ts'
import { errorSchema, runDetail, runDetailSchema } from './schemas.ts'

const queued = z
	.object({
		runId: z.number().int(),
		status: z.literal('queued'),
		run: z.string().meta({ description: 'where to follow the run: GET it until it ends' }),
	})
	.meta({ id: 'Queued' })
const queuedHeaders = z.object({
	Location: z.string().meta({ description: 'the run, as in `run`' }),
})
const json = <T extends z.ZodType>(schema: T, description: string) => ({
	description,
	content: { 'application/json': { schema } },
})

const reconcile = createRoute({
	method: 'post',
	path: '/reconcile',
	summary: 'Reconcile now; {"dryRun": true} answers with the plan and writes nothing',
	request: {
		body: {
			required: false,
			content: {
				'application/json': {
					schema: z.object({
						dryRun: z.boolean().default(false),
						force: z
							.boolean()
							.default(false)
							.meta({ description: 'lift the sync.maxDeletions rail (only that one)' }),
					}),
				},
			},
		},
	},
	responses: {
		200: json(runDetailSchema, 'the dry run, finished, with its plan'),
		202: { ...json(queued, 'queued; follow the run'), headers: queuedHeaders },
		400: json(errorSchema, 'bad body'),
	},
})

const suspend = createRoute({
	method: 'post',
	path: '/suspend',
	summary: 'Stop writing to Cloudflare; runs still plan and record drift',
	responses: { 200: json(z.object({ suspended: z.boolean() }), 'suspended') },
})

const resume = createRoute({
	method: 'post',
	path: '/resume',
	summary: 'Write again, and queue a reconcile at once',
	responses: {
		202: {
			...json(queued.extend({ suspended: z.literal(false) }), 'resumed; the reconcile is queued'),
			headers: queuedHeaders,
		},
	},
})

const rollback = createRoute({
	method: 'post',
	path: '/rollback',
	summary: 'Re-apply the state tidegate applied before the newest one, then suspend syncing',
	responses: { 202: { ...json(queued, 'queued; follow the run'), headers: queuedHeaders } },
})

/** The 202 body of a queued run; `Location` says the same. */
function queuedRun(runId: number) {
	return { runId, status: 'queued' as const, run: `/api/runs/${runId}` }
}

/** Control routes. */
export const controlRoutes = new ApiApp<AppEnv>()
	.openapi(reconcile, async (c) => {
		const deps = c.var.deps
		const body = c.req.valid('json') ?? { dryRun: false, force: false }
		if (body.dryRun) {
			const run = await deps.runs.create({
				trigger: 'api',
				dryRun: true,
				force: body.force,
				queuedAt: deps.now(),
			})
			await executeRun(deps, run.id, 1, { mayRetry: false })
			const done = await deps.runs.get(run.id)
			if (!done) {
				throw new Error(`run ${run.id} vanished`)
			}
			return c.json(runDetail(done), 200)
		}
		const run = await enqueueReconcile(deps, { trigger: 'api', force: body.force })
		return c.json(queuedRun(run.id), 202, { Location: queuedRun(run.id).run })
	})
	.openapi(suspend, async (c) => {
		await c.var.deps.settings.set('suspended', 'true', c.var.deps.now())
		return c.json({ suspended: true }, 200)
	})
	.openapi(resume, async (c) => {
		const deps = c.var.deps
		await deps.settings.set('suspended', 'false', deps.now())
		const run = await enqueueReconcile(deps, { trigger: 'api' })
		return c.json({ ...queuedRun(run.id), suspended: false as const }, 202, {
			Location: queuedRun(run.id).run,
		})
	})
	.openapi(rollback, async (c) => {
		const run = await enqueueReconcile(c.var.deps, { trigger: 'rollback' })
		return c.json(queuedRun(run.id), 202, { Location: queuedRun(run.id).run })
	})
