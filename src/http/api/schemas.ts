/**
 * @module Response and query schemas of the admin API. They validate input and generate
 * `GET /api/openapi.json`, so the documentation cannot drift from the code.
 */
import * as z from 'zod'
import { planTextOf } from '../../domain/edge/render-plan.ts'
import { RUN_STATUSES, RUN_TRIGGERS, type Run } from '../../domain/edge/runs.ts'
import { ERROR_CODES } from '../errors.ts'

/** `?limit=&cursor=`: newest first, keyset paging by id. */
export const pageQuery = z.object({
	limit: z.coerce
		.number()
		.int()
		.min(1)
		.max(200)
		.default(50)
		.meta({ description: 'items per page (1-200)' }),
	cursor: z
		.string()
		.regex(/^\d+$/, 'cursor must be the nextCursor of a previous page')
		.optional()
		.meta({ description: 'the nextCursor of the previous page' }),
})

/** A page of items and the cursor of the next page (null on the last page). */
export function page<T extends z.ZodType>(item: T) {
	return z.object({ items: z.array(item), nextCursor: z.string().nullable() })
}

/** Builds a page from items fetched with `limit + 1`. */
export function toPage<T extends { id: number }, U>(rows: T[], limit: number, map: (row: T) => U) {
	const items = rows.slice(0, limit)
	const last = items[items.length - 1]
	return { items: items.map(map), nextCursor: rows.length > limit && last ? String(last.id) : null }
}

/** An error answer: every error of the Worker has this shape (src/http/errors.ts). */
export const errorSchema = z
	.object({
		error: z.object({
			code: z.enum(ERROR_CODES).meta({
				description: 'machine-readable; each code has one HTTP status',
			}),
			message: z.string().meta({ description: 'what went wrong, in words' }),
			requestId: z
				.string()
				.meta({ description: 'quote it to find the matching log line (the Cloudflare ray id)' }),
			details: z.unknown().optional(),
		}),
	})
	.meta({ id: 'Error' })

/** Query of `GET /api/runs`. */
export const runsQuery = pageQuery.extend({
	status: z.enum(RUN_STATUSES).optional(),
	trigger: z.enum(RUN_TRIGGERS).optional(),
	commit: z
		.string()
		.regex(/^[0-9a-f]{40}$/, 'commit must be a 40-character sha')
		.optional(),
})

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** A run in a list. */
export const runSummarySchema = z
	.object({
		id: z.number().int(),
		trigger: z.string(),
		status: z.enum(RUN_STATUSES),
		dryRun: z.boolean(),
		force: z.boolean(),
		commitSha: z.string().nullable(),
		deliveryId: z.string().nullable(),
		attempts: z.number().int(),
		summary: z.string().nullable(),
		errorCode: z.string().nullable(),
		errorMessage: z.string().nullable(),
		queuedAt: z.string().nullable(),
		startedAt: z.string().nullable(),
		finishedAt: z.string().nullable(),
		durationMs: z.number().nullable(),
	})
	.meta({ id: 'RunSummary' })

/** A run with its plan, warnings and API calls. */
export const runDetailSchema = runSummarySchema
	.extend({
		plan: z.unknown().meta({
			description: 'per resource: changes (with cause), refusals, warnings, the document to PUT',
		}),
		planText: z
			.string()
			.nullable()
			.meta({ description: 'the plan as the human diff the CLI prints' }),
		warnings: z.array(z.string()),
		apiCalls: z.array(
			z.object({
				api: z.string(),
				method: z.string(),
				path: z.string(),
				status: z.number().nullable(),
				ms: z.number(),
			}),
		),
	})
	.meta({ id: 'RunDetail' })

/** Maps a run for the API (times as ISO 8601). */
export function runSummary(run: Run): z.infer<typeof runSummarySchema> {
	return {
		id: run.id,
		trigger: run.trigger,
		status: run.status,
		dryRun: run.dryRun,
		force: run.force,
		commitSha: run.commitSha,
		deliveryId: run.deliveryId,
		attempts: run.attempts,
		summary: run.summary,
		errorCode: run.errorCode,
		errorMessage: run.errorMessage,
		queuedAt: iso(run.queuedAt),
		startedAt: iso(run.startedAt),
		finishedAt: iso(run.finishedAt),
		durationMs: run.durationMs,
	}
}

/** Maps a run with its details. */
export function runDetail(run: Run): z.infer<typeof runDetailSchema> {
	return {
		...runSummary(run),
		plan: run.plan,
		planText: planTextOf(run.plan),
		warnings: run.warnings,
		apiCalls: (run.apiCalls as z.infer<typeof runDetailSchema>['apiCalls'] | null) ?? [],
	}
}
