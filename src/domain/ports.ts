/**
 * @module Interfaces for the outside world. Use cases depend on these; adapters under
 * src/adapters implement them; tests substitute fakes or real local bindings.
 */
import type { JobMessage } from '../contracts/queue.ts'

/** Why a reconcile run was started. */
export type RunTrigger = 'push' | 'drift' | 'api' | 'rollback'

/** Where a run is in its life. `in_sync` and `applied` are the successes. */
export type RunStatus =
	| 'queued'
	| 'running'
	| 'in_sync'
	| 'applied'
	| 'planned'
	| 'drift_reported'
	| 'suspended'
	| 'refused'
	| 'failed'
	| 'dead'

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
	apiCalls?: unknown
	errorCode?: string | null
	errorMessage?: string | null
	finishedAt?: number | null
	durationMs?: number | null
}

/** The record of reconcile runs (D1). */
export interface RunStore {
	create(run: {
		trigger: RunTrigger
		dryRun: boolean
		force: boolean
		deliveryId?: string
		queuedAt: number
	}): Promise<Run>
	get(id: number): Promise<Run | undefined>
	/** The newest run of this trigger still queued or running since `since`, if any. */
	findPending(trigger: RunTrigger, since: number): Promise<Run | undefined>
	start(id: number, at: number): Promise<Run | undefined>
	finish(id: number, outcome: RunOutcome): Promise<void>
}

/** The JOBS queue: the only way work reaches the single writer. */
export interface JobQueue {
	send(message: JobMessage): Promise<void>
}

/** A queue message that will never be processed, with the reason. */
export interface DeadLetter {
	messageId: string
	queue: string
	kind: string | null
	body: unknown
	reason: string
	attempts: number
	receivedAt: number
}

/** Where lost work is recorded (D1), so nothing disappears silently. */
export interface DeadLetterStore {
	record(letter: DeadLetter): Promise<void>
}

/** Sends a message straight to the dead-letter queue (for messages that can never succeed). */
export interface DeadLetterQueue {
	send(letter: { reason: string; body: unknown; queue: string; messageId: string }): Promise<void>
}

/** Cron bookkeeping (D1): when each job last ran and how it ended. */
export interface CronLog {
	start(tick: {
		cron: string
		job: string
		scheduledAt: number
		startedAt: number
	}): Promise<number>
	finish(
		id: number,
		result: { outcome: 'ok' | 'skipped' | 'failed'; detail: string; finishedAt: number },
	): Promise<void>
	/** Deletes ticks older than `before`; returns how many went. */
	prune(before: number): Promise<number>
}
