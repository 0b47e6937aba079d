/**
 * @module Query and response schemas of the Flux ledger routes (`/api/deployments*`,
 * `/api/events`), and the mapping from ledger records to API shapes (times as ISO 8601).
 */

import * as z from 'zod'
import type { PreflightLink } from '../../app/preflight/link.ts'
import { FAILURE_CLASSES, hintFor } from '../../domain/flux/classify.ts'
import { FLUX_OUTCOMES, objectLabel } from '../../domain/flux/event.ts'
import {
	deploymentAppliedAt,
	deploymentStatus,
	type FluxFailureSpan,
	type FluxObjectState,
	pushToApplied,
} from '../../domain/flux/ledger.ts'
import {
	DEPLOYMENT_STATUSES,
	type FluxDeploymentObject,
	type FluxDeploymentRecord,
	type FluxEventRecord,
	type ObjectFilter,
} from '../../domain/flux/ports.ts'
import { pageQuery } from './schemas.ts'

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

const objectText = z
	.string()
	.regex(/^([^/\s]+\/){0,2}[^/\s]+$/, 'object must be Kind/namespace/name, namespace/name or name')
	.meta({
		description: 'Kind/namespace/name, namespace/name, or name',
		example: 'HelmRelease/web/shop',
	})

/** Parses `Kind/namespace/name`, `namespace/name` or `name`. */
export function parseObjectFilter(text: string): ObjectFilter {
	const parts = text.split('/')
	if (parts.length === 3) {
		return { kind: parts[0], namespace: parts[1], name: parts[2] ?? '' }
	}
	if (parts.length === 2) {
		return { namespace: parts[0], name: parts[1] ?? '' }
	}
	return { name: text }
}

const commitText = z
	.string()
	.regex(/^[0-9a-f]{7,40}$/, 'commit must be a sha or a prefix of at least 7 hex digits')

/** Query of `GET /api/deployments`. */
export const deploymentsQuery = pageQuery.extend({
	object: objectText.optional(),
	status: z
		.enum(['succeeded', 'failed', 'in_progress'])
		.optional()
		.meta({ description: "the deployment status; with `object`, that object's outcome" }),
	commit: commitText.optional(),
})

/** Query of `GET /api/deployments/success-rate`. */
export const successRateQuery = z.object({
	window: z
		.string()
		.regex(/^\d{1,4}[hd]$/, 'window must look like 24h or 7d')
		.default('7d')
		.meta({ description: 'how far back, 1h to 90d (default 7d)', example: '7d' }),
	object: objectText.optional(),
})

/** Query of `GET /api/deployments/objects`. */
export const objectsQuery = z.object({
	kind: z.string().min(1).optional(),
	namespace: z.string().optional(),
	name: z.string().min(1).optional(),
	state: z.enum(['ok', 'failing', 'unknown']).optional(),
	limit: z.coerce.number().int().min(1).max(500).default(200),
})

/** Query of `GET /api/events`. */
export const eventsQuery = pageQuery.extend({
	kind: z.string().min(1).optional(),
	namespace: z.string().optional(),
	name: z.string().min(1).optional(),
	severity: z.string().min(1).optional().meta({ description: 'info or error' }),
	class: z.enum(FAILURE_CLASSES).optional().meta({ description: 'failure class id' }),
	outcome: z.enum(FLUX_OUTCOMES).optional(),
	revision: z.string().min(1).optional().meta({
		description: 'a revision as Flux sent it, a commit sha, or a 7+ digit commit prefix',
	}),
})

const objectRefSchema = z.object({
	kind: z.string(),
	namespace: z.string(),
	name: z.string(),
	label: z.string().meta({ example: 'HelmRelease/web/shop' }),
})

const failureClassSchema = z.enum(FAILURE_CLASSES).nullable()

/** One event. */
export const fluxEventSchema = z
	.object({
		id: z.number().int(),
		object: objectRefSchema.extend({
			uid: z.string().nullable(),
			apiVersion: z.string().nullable(),
		}),
		severity: z.string(),
		reason: z.string(),
		message: z.string(),
		outcome: z.enum(FLUX_OUTCOMES),
		class: failureClassSchema,
		hint: z.string().nullable(),
		revision: z.string().nullable(),
		revisionType: z.enum(['git', 'oci', 'chart', 'other']).nullable(),
		commitSha: z.string().nullable(),
		commitInferred: z.boolean(),
		stale: z.boolean().meta({ description: 'older than the state it would have changed' }),
		reportingController: z.string(),
		reportingInstance: z.string().nullable(),
		metadata: z.record(z.string(), z.string()),
		occurredAt: z.string(),
		receivedAt: z.string(),
	})
	.meta({ id: 'FluxEvent' })

const deploymentObjectSchema = objectRefSchema
	.extend({
		revision: z.string().nullable(),
		commitInferred: z.boolean(),
		outcome: z.enum(['success', 'failure', 'pending']),
		class: failureClassSchema,
		hint: z.string().nullable(),
		message: z.string().nullable(),
		failures: z
			.number()
			.int()
			.meta({ description: 'failure events at this revision (retries included)' }),
		events: z.number().int(),
		firstEventAt: z.string(),
		lastEventAt: z.string(),
		appliedAt: z.string().nullable().meta({ description: 'first success at this revision' }),
		pushToAppliedMs: z.number().nullable(),
	})
	.meta({ id: 'FluxDeploymentObject' })

/** One revision and what Flux did with it. */
export const deploymentSchema = z
	.object({
		id: z.number().int(),
		revision: z.string().nullable(),
		commitSha: z.string().nullable(),
		status: z.enum(DEPLOYMENT_STATUSES),
		pushedAt: z.string().nullable(),
		firstEventAt: z.string(),
		lastEventAt: z.string(),
		appliedAt: z
			.string()
			.nullable()
			.meta({ description: 'when the last object first succeeded, once all succeeded' }),
		pushToAppliedMs: z.number().nullable(),
		objects: z.array(deploymentObjectSchema),
		preflight: z
			.object({
				status: z.enum(['clean', 'conflicts', 'incomplete', 'error', 'not-run']),
				conflictCount: z.number().int(),
				summary: z.string().nullable(),
				checkedAt: z.string().nullable(),
				caughtOwnershipFailure: z.boolean().nullable().meta({
					description:
						'set when an object failed on a Helm ownership conflict: whether tidegate preflight flagged this commit',
				}),
			})
			.nullable()
			.meta({ description: 'the pre-flight check of this commit (null without a commit)' }),
	})
	.meta({ id: 'FluxDeployment' })

const rateSchema = z.object({
	successes: z.number().int(),
	failures: z.number().int(),
	total: z.number().int(),
	rate: z.number().nullable().meta({ description: 'successes / total; null with no outcomes' }),
})

/** The success rate. */
export const successRateSchema = z
	.object({
		window: z.string(),
		since: z.string(),
		until: z.string(),
		definition: z.string(),
		overall: rateSchema,
		objects: z.array(rateSchema.extend({ object: objectRefSchema })),
	})
	.meta({ id: 'FluxSuccessRate' })

const failureSpanSchema = z.object({
	failedAt: z.string(),
	failedRevision: z.string().nullable(),
	class: z.enum(FAILURE_CLASSES),
	message: z.string(),
	recoveredAt: z.string().nullable(),
	recoveredRevision: z.string().nullable(),
	recoverMs: z.number().nullable(),
})

/** One object's state. */
export const fluxObjectSchema = objectRefSchema
	.extend({
		state: z.enum(['ok', 'failing', 'unknown']),
		alertState: z
			.enum(['ok', 'failing', 'unknown'])
			.meta({ description: 'the damped state alerts follow' }),
		class: failureClassSchema,
		hint: z.string().nullable(),
		failingSince: z.string().nullable(),
		lastEventAt: z.string(),
		lastReason: z.string(),
		lastMessage: z.string(),
		lastRevision: z.string().nullable(),
		lastCommit: z.string().nullable(),
		lastGoodRevision: z.string().nullable(),
		lastGoodCommit: z.string().nullable(),
		lastGoodAt: z.string().nullable(),
		events: z.number().int(),
		recentFailures: z.array(failureSpanSchema),
	})
	.meta({ id: 'FluxObject' })

const ref = (r: { kind: string; namespace: string; name: string }) => ({
	kind: r.kind,
	namespace: r.namespace,
	name: r.name,
	label: objectLabel(r),
})

/** Maps a stored event. */
export function eventView(e: FluxEventRecord): z.infer<typeof fluxEventSchema> {
	return {
		id: e.id,
		object: { ...ref(e.object), uid: e.object.uid, apiVersion: e.object.apiVersion },
		severity: e.severity,
		reason: e.reason,
		message: e.message,
		outcome: e.outcome,
		class: e.failureClass,
		hint: e.failureClass ? hintFor(e.failureClass) : null,
		revision: e.revision?.raw ?? null,
		revisionType: e.revision?.type ?? null,
		commitSha: e.commitSha,
		commitInferred: e.commitInferred,
		stale: e.stale,
		reportingController: e.reportingController,
		reportingInstance: e.reportingInstance,
		metadata: e.metadata,
		occurredAt: new Date(e.occurredAt).toISOString(),
		receivedAt: new Date(e.receivedAt).toISOString(),
	}
}

function deploymentObjectView(
	o: FluxDeploymentObject,
	pushedAt: number | null,
): z.infer<typeof deploymentObjectSchema> {
	return {
		...ref(o.ref),
		revision: o.revision,
		commitInferred: o.commitInferred,
		outcome: o.outcome,
		class: o.outcome === 'failure' ? o.failureClass : null,
		hint: o.outcome === 'failure' && o.failureClass ? hintFor(o.failureClass) : null,
		message: o.outcome === 'failure' ? o.message : null,
		failures: o.failures,
		events: o.events,
		firstEventAt: new Date(o.firstEventAt).toISOString(),
		lastEventAt: new Date(o.lastEventAt).toISOString(),
		appliedAt: iso(o.succeededAt),
		pushToAppliedMs: pushToApplied(pushedAt, o.succeededAt),
	}
}

/** Maps a deployment, with its status and push-to-applied time. */
export function deploymentView(
	d: FluxDeploymentRecord,
	preflight: PreflightLink | null = null,
): z.infer<typeof deploymentSchema> {
	const appliedAt = deploymentAppliedAt(d.objects)
	return {
		id: d.id,
		revision: d.revision,
		commitSha: d.commitSha,
		status: deploymentStatus(d.objects),
		pushedAt: iso(d.pushedAt),
		firstEventAt: new Date(d.firstEventAt).toISOString(),
		lastEventAt: new Date(d.lastEventAt).toISOString(),
		appliedAt: iso(appliedAt),
		pushToAppliedMs: pushToApplied(d.pushedAt, appliedAt),
		objects: d.objects.map((o) => deploymentObjectView(o, d.pushedAt)),
		preflight: preflight && { ...preflight, checkedAt: iso(preflight.checkedAt) },
	}
}

function spanView(s: FluxFailureSpan): z.infer<typeof failureSpanSchema> {
	return {
		failedAt: new Date(s.failedAt).toISOString(),
		failedRevision: s.failedRevision,
		class: s.failureClass,
		message: s.message,
		recoveredAt: iso(s.recoveredAt),
		recoveredRevision: s.recoveredRevision,
		recoverMs: s.recoverMs,
	}
}

/** Maps an object's state. */
export function objectView(
	o: FluxObjectState & { recentFailures: FluxFailureSpan[] },
): z.infer<typeof fluxObjectSchema> {
	return {
		...ref(o.ref),
		state: o.state,
		alertState: o.track.state,
		class: o.failureClass,
		hint: o.failureClass ? hintFor(o.failureClass) : null,
		failingSince: iso(o.failingSince),
		lastEventAt: new Date(o.lastEventAt).toISOString(),
		lastReason: o.lastReason,
		lastMessage: o.lastMessage,
		lastRevision: o.lastRevision,
		lastCommit: o.lastCommit,
		lastGoodRevision: o.lastGoodRevision,
		lastGoodCommit: o.lastGoodCommit,
		lastGoodAt: iso(o.lastGoodAt),
		events: o.events,
		recentFailures: o.recentFailures.map(spanView),
	}
}

/** The success-rate definition, returned with every answer so a number is never read without it. */
export const SUCCESS_RATE_DEFINITION =
	'successes / (successes + failures) over Kustomization and HelmRelease reconcile outcomes, one per object and revision (retries of a failure count once); an outcome is that of the newest success or failure event for the object at that revision, and it counts in the window when that event happened inside it. Progress-only revisions are not counted.'
