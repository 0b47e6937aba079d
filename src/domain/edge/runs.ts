/** @module Reconcile runs: why one started, where it is, what it recorded; and their store (D1). */

/** Why a reconcile run can be started: the one list the queue, the API and the store share. */
export const RUN_TRIGGERS = ['push', 'drift', 'api', 'rollback'] as const

/** Why a reconcile run was started. */
export type RunTrigger = (typeof RUN_TRIGGERS)[number]

/** Every state a run can be in, in life order; `in_sync` and `applied` are the successes. */
export const RUN_STATUSES = [
	'queued',
	'running',
	'in_sync',
	'applied',
	'planned',
	'drift_reported',
	'suspended',
	'refused',
	'failed',
	'dead',
] as const

/** Where a run is in its life. */
export type RunStatus = (typeof RUN_STATUSES)[number]

/** One reconcile run as recorded. */
export interface Run {
	id: number
	trigger: RunTrigger
	status: RunStatus
	dryRun: boolean
	force: boolean
	commitSha: string | null
	deliveryId: string | null
	attempts: number
	summary: string | null
	plan: unknown
	warnings: string[]
	apiCalls: unknown
	errorCode: string | null
	errorMessage: string | null
	queuedAt: number
	startedAt: number | null
	finishedAt: number | null
	durationMs: number | null
}

/** Fields a finished (or re-queued) run records. */
export interface RunOutcome {
	status: RunStatus
	commitSha?: string | null
	summary?: string | null
	plan?: unknown
	warnings?: string[]
	apiCalls?: unknown
	errorCode?: string | null
	errorMessage?: string | null
	finishedAt?: number | null
	durationMs?: number | null
}

/** Filters and paging for listing runs. */
export interface RunQuery {
	limit: number
	before?: number | undefined
	status?: RunStatus | undefined
	trigger?: RunTrigger | undefined
	commitSha?: string | undefined
}

/** A run about to be queued. */
export interface NewRun {
	trigger: RunTrigger
	dryRun: boolean
	force: boolean
	deliveryId?: string
	queuedAt: number
}

/** The record of reconcile runs (D1). */
export interface RunStore {
	create(run: NewRun): Promise<Run>
	get(id: number): Promise<Run | undefined>
	/**
	 * Creates the run unless a run of its trigger queued since `pendingSince` is still queued or
	 * running, in one statement, so overlapping callers create one run between them.
	 */
	createUnlessPending(
		run: NewRun,
		pendingSince: number,
	): Promise<{ created: Run } | { pending: Run | undefined }>
	start(id: number, at: number): Promise<Run | undefined>
	finish(id: number, outcome: RunOutcome): Promise<void>
	/** Runs newest first, `before` an id (keyset paging), optionally filtered. */
	list(query: RunQuery): Promise<Run[]>
	/** The newest finished run that was not a dry run, if any. */
	latestFinished(): Promise<Run | undefined>
	/** Puts a run back to `queued` after a retryable failure, keeping the failure visible. */
	requeue(id: number, failure: { errorCode: string; errorMessage: string }): Promise<void>
	/**
	 * Fails runs queued before `queuedBefore` that never started (their message never reached the
	 * consumer), saying so; returns their ids. Requeued runs have started once and are left alone.
	 */
	failLost(queuedBefore: number, at: number, message: string): Promise<number[]>
}
