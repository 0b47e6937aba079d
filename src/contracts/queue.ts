/**
 * @module Queue messages. They outlive deploys (a message may be retried by the next version),
 * so each carries a version `v` and a `kind`, and is parsed, never trusted.
 */
import * as z from 'zod'
import { RUN_TRIGGERS } from '../domain/edge/runs.ts'

/** The JOBS queue's name (wrangler.toml), as the consumer sees it on a batch. */
export const JOBS_QUEUE = 'tidegate-jobs'
/** The dead-letter queue's name (wrangler.toml): where spent retries and unparseable messages go. */
export const DEAD_LETTER_QUEUE = 'tidegate-jobs-dlq'

/** Reconcile the edge to the tracked branch's head; `runId` is the run row created when it was queued. */
export const reconcileMessageSchema = z.object({
	v: z.literal(1),
	kind: z.literal('reconcile'),
	runId: z.number().int().positive(),
	trigger: z.enum(RUN_TRIGGERS),
	dryRun: z.boolean().default(false),
	force: z.boolean().default(false),
})

/** Tell the in-cluster Flux Receiver about a push to the tracked branch. */
export const fluxReceiverMessageSchema = z.object({
	v: z.literal(1),
	kind: z.literal('flux.receiver'),
	deliveryId: z.string().min(1),
	repository: z.string().min(1),
	ref: z.string().min(1),
	commitSha: z.string().regex(/^[0-9a-f]{40}$/),
})

/** Send one alert to ALERT_WEBHOOK_URL (queued, so a slow webhook never delays the work that raised it). */
export const alertMessageSchema = z.object({
	v: z.literal(1),
	kind: z.literal('alert'),
	/** What raised it, e.g. `flux`, `egress`, `edge`. */
	source: z.string().min(1),
	text: z.string().min(1).max(4000),
})

/** Pre-flight-check the Flux manifests a push to the tracked branch changed (docs/preflight.md). */
export const preflightMessageSchema = z.object({
	v: z.literal(1),
	kind: z.literal('preflight'),
	deliveryId: z.string().min(1),
	ref: z.string().min(1),
	commitSha: z.string().regex(/^[0-9a-f]{40}$/),
	/** The branch's previous head; null for a branch's first push (GitHub sends all zeros). */
	beforeSha: z
		.string()
		.regex(/^[0-9a-f]{40}$/)
		.nullable(),
})

/** Check a pull request's head: edge plan (read-only) and pre-flight, reported on the pull request. */
export const pullRequestMessageSchema = z.object({
	v: z.literal(1),
	kind: z.literal('pull_request'),
	deliveryId: z.string().min(1),
	number: z.number().int().positive(),
	/** The head the event was about; the job checks the pull request's head when it runs. */
	headSha: z.string().regex(/^[0-9a-f]{40}$/),
})

/** Post `tidegate/deploy` on a commit from what Flux reported about it (docs/flux.md). */
export const deployStatusMessageSchema = z.object({
	v: z.literal(1),
	kind: z.literal('deploy.status'),
	commitSha: z.string().regex(/^[0-9a-f]{40}$/),
})

/** Every message kind the JOBS queue carries. */
export const jobMessageSchema = z.discriminatedUnion('kind', [
	reconcileMessageSchema,
	fluxReceiverMessageSchema,
	alertMessageSchema,
	preflightMessageSchema,
	pullRequestMessageSchema,
	deployStatusMessageSchema,
])

/** A message on the JOBS queue. */
export type JobMessage = z.infer<typeof jobMessageSchema>
/** The reconcile message. */
export type ReconcileMessage = z.infer<typeof reconcileMessageSchema>
/** The Flux Receiver message. */
export type FluxReceiverMessage = z.infer<typeof fluxReceiverMessageSchema>
/** The alert message. */
export type AlertMessage = z.infer<typeof alertMessageSchema>
/** The pre-flight message. */
export type PreflightMessage = z.infer<typeof preflightMessageSchema>
/** The pull-request message. */
export type PullRequestMessage = z.infer<typeof pullRequestMessageSchema>
/** The deploy-status message. */
export type DeployStatusMessage = z.infer<typeof deployStatusMessageSchema>

/** The message of one kind, as sent. */
export type JobMessageOf<K extends JobMessage['kind']> = Extract<JobMessage, { kind: K }>

/** Builds a message of the current version: the one place a message's `v` and `kind` are written. */
export function jobMessage<K extends JobMessage['kind']>(
	kind: K,
	fields: Omit<JobMessageOf<K>, 'v' | 'kind'>,
): JobMessageOf<K> {
	return { v: 1, kind, ...fields } as JobMessageOf<K>
}
