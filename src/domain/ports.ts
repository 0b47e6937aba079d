/**
 * @module Ports every area shares: the job queue and its dead letters, cron bookkeeping, settings,
 * retention, alerts, and how an outside API call failed. Each area keeps its own ports beside its
 * domain (edge/ports.ts, edge/runs.ts, github/ports.ts, flux/ports.ts, egress/ports.ts,
 * preflight/ports.ts).
 */
import type { JobMessage } from '../contracts/queue.ts'
import type { Result } from '../lib/result.ts'

/** The JOBS queue: the only way work reaches the single writer. */
export interface JobQueue {
	send(message: JobMessage): Promise<void>
	/** Several messages in one call (a push queues up to three); all are sent or the call fails. */
	sendBatch(messages: JobMessage[]): Promise<void>
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
	count(): Promise<number>
	/** How many dead letters of one kind (e.g. `alert`) there are, and the newest one's reason. */
	ofKind(kind: string): Promise<DeadLetterSummary>
}

/** Dead letters of one kind, for the dashboard and `GET /api/status`. */
export interface DeadLetterSummary {
	count: number
	newest: { reason: string; receivedAt: number } | undefined
}

/** Sends a message straight to the dead-letter queue (for messages that can never succeed). */
export interface DeadLetterQueue {
	send(letter: { reason: string; body: unknown; queue: string; messageId: string }): Promise<void>
}

/** One recorded cron job run. */
export interface CronTick {
	job: string
	cron: string
	startedAt: number
	finishedAt: number | null
	outcome: 'ok' | 'skipped' | 'failed' | null
	detail: string | null
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
	/** The newest tick of each job. */
	latest(): Promise<CronTick[]>
}

/**
 * Why an outside API call failed. `retryable` failures are retried by the queue with backoff
 * (or after `retryAfterSeconds`); the others need a person (a token, a rejected document).
 */
export interface ApiFailure {
	/** `unreadable`: an answer tidegate cannot take at its word (no mode, a null list, a wrong shape). */
	kind: 'rate_limited' | 'auth' | 'unavailable' | 'rejected' | 'not_found' | 'unreadable'
	message: string
	retryable: boolean
	status?: number
	retryAfterSeconds?: number
}

/** One outside API call, as recorded on the run that made it. */
export interface ApiCall {
	api: 'cloudflare' | 'github' | 'agent' | 'alert' | 'flux'
	method: string
	path: string
	status: number | null
	ms: number
}

/** Collects the API calls of one invocation so a run can record what it did. */
export interface ApiCallLog {
	record(call: ApiCall): void
	/** Calls recorded since `mark` (a value from `mark()`). */
	since(mark: number): ApiCall[]
	mark(): number
}

/** What one retention pass removed, per table. */
export type PrunedRows = Record<
	| 'deliveries'
	| 'redeliveryRequests'
	| 'receiverNotifications'
	| 'preflightResults'
	| 'fluxEvents'
	| 'applications'
	| 'runs',
	number
>

/** Bookkeeping that only grows, pruned daily (docs/storage.md, "Retention"). */
export interface RetentionStore {
	/**
	 * Deletes rows older than `before`, at most `limit` per table, and keeps what is still in use:
	 * unfinished runs, the newest `keepRuns` runs (the status is read from them), runs an
	 * application or a delivery refers to, the newest `keepApplications` applications of each
	 * resource (last applied state and rollback history), and the newest Kustomization event that
	 * carries a commit (HelmRelease events take their commit from it).
	 */
	prune(
		before: number,
		options: { keepRuns: number; keepApplications: number; limit: number },
	): Promise<PrunedRows>
}

/** Operator switches and persisted guards (D1 `settings`). */
export interface SettingsStore {
	get(key: SettingKey): Promise<string | undefined>
	set(key: SettingKey, value: string, at: number): Promise<void>
}

/** The settings tidegate keeps. */
export type SettingKey = 'suspended' | 'cloudflare.blocked_until'

/** An alert as sent to ALERT_WEBHOOK_URL (Slack-compatible `{"text": ...}`). */
export interface Alert {
	text: string
}

/** Where alerts go. Sending is best effort: a failure is reported, never fatal. */
export interface AlertSink {
	send(alert: Alert): Promise<Result<void, ApiFailure>>
}

/** A request budget per key over a short window (the Workers rate-limiting binding). */
export interface RateLimiter {
	/** Counts one request for `key`; false once the key is over its budget for this window. */
	allow(key: string): Promise<boolean>
}
