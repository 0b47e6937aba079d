/**
 * @module Interfaces for the outside world. Use cases depend on these; adapters under
 * src/adapters implement them; tests substitute fakes or real local bindings.
 */
import type { JobMessage } from '../contracts/queue.ts'
import type { Result } from '../lib/result.ts'
import type {
	AppliedSplitTunnel,
	AppliedTunnel,
	LiveSplitTunnel,
	LiveTunnelConfig,
	SplitTunnelEntry,
	TunnelConnector,
} from './edge-state.ts'
import type { TunnelDocument } from './plan.ts'

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
	/** Runs newest first, `before` an id (keyset paging), optionally filtered. */
	list(query: RunQuery): Promise<Run[]>
	/** The newest finished run that was not a dry run, if any. */
	latestFinished(): Promise<Run | undefined>
	/** Puts a run back to `queued` after a retryable failure, keeping the failure visible. */
	requeue(id: number, failure: { errorCode: string; errorMessage: string }): Promise<void>
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
	count(): Promise<number>
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
	kind: 'rate_limited' | 'auth' | 'unavailable' | 'rejected' | 'not_found'
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

/** A tunnel, by account and id. */
export interface TunnelRef {
	accountId: string
	tunnelId: string
}

/** The tunnel configuration API (token: Cloudflare Tunnel: Edit). */
export interface TunnelApi {
	getConfig(ref: TunnelRef): Promise<Result<LiveTunnelConfig, ApiFailure>>
	putConfig(ref: TunnelRef, document: TunnelDocument): Promise<Result<LiveTunnelConfig, ApiFailure>>
	getConnectors(ref: TunnelRef): Promise<Result<TunnelConnector[], ApiFailure>>
}

/** A device profile: `default` or a custom policy id. */
export interface ProfileRef {
	accountId: string
	policy: string
}

/** The split-tunnel API (token: Zero Trust: Edit). */
export interface SplitTunnelApi {
	/** Reads the profile's mode and, in include mode, its include list. */
	get(ref: ProfileRef): Promise<Result<LiveSplitTunnel, ApiFailure>>
	putInclude(
		ref: ProfileRef,
		entries: SplitTunnelEntry[],
	): Promise<Result<SplitTunnelEntry[], ApiFailure>>
}

/** One document tidegate PUT, as recorded after Cloudflare accepted it. */
export interface Application {
	resource: string
	runId: number
	commitSha: string | null
	document: unknown
	remoteVersion: number | null
	appliedAt: number
}

/** What tidegate last wrote per resource (D1 `applications`): the "last applied" of every plan. */
export interface ApplicationStore {
	latestTunnel(resource: string): Promise<AppliedTunnel | undefined>
	latestSplitTunnel(resource: string): Promise<AppliedSplitTunnel | undefined>
	/** The application before the newest one: what a rollback returns to. */
	previousTunnel(resource: string): Promise<(AppliedTunnel & { runId: number }) | undefined>
	previousSplitTunnel(
		resource: string,
	): Promise<(AppliedSplitTunnel & { runId: number }) | undefined>
	record(application: Application): Promise<void>
}

/** Operator switches and persisted guards (D1 `settings`). */
export interface SettingsStore {
	get(key: SettingKey): Promise<string | undefined>
	set(key: SettingKey, value: string, at: number): Promise<void>
}

/** The settings tidegate keeps. */
export type SettingKey = 'suspended' | 'cloudflare.blocked_until'

/** The GitOps repository (GitHub REST). */
export interface RepositoryApi {
	/** The commit the branch points at now. */
	branchHead(branch: string): Promise<Result<string, ApiFailure>>
	/** A file's text at a commit; `null` when the file does not exist there. */
	readFile(path: string, commitSha: string): Promise<Result<string | null, ApiFailure>>
	/** Posts a commit status (`context` e.g. `tidegate/edge-sync`). */
	postStatus(commitSha: string, status: CommitStatus): Promise<Result<void, ApiFailure>>
	/** The webhook's most recent delivery attempts, newest first (one page). */
	listHookDeliveries(hookId: string, perPage: number): Promise<Result<HookDelivery[], ApiFailure>>
	/** Asks GitHub to deliver an attempt again (same X-GitHub-Delivery guid). */
	redeliver(hookId: string, attemptId: number): Promise<Result<void, ApiFailure>>
}

/** One delivery attempt as GitHub lists it. */
export interface HookDelivery {
	/** The attempt's id (what redelivery is asked for). */
	id: number
	/** The X-GitHub-Delivery guid, shared by an original and its redeliveries. */
	guid: string
	deliveredAt: number
	redelivery: boolean
	statusCode: number
	event: string
}

/** A GitHub commit status. */
export interface CommitStatus {
	state: 'pending' | 'success' | 'failure' | 'error'
	context: string
	description: string
	targetUrl?: string
}

/** Files by commit SHA (KV): content-addressed, so entries never go stale. */
export interface FileCache {
	get(commitSha: string, path: string): Promise<string | null>
	put(commitSha: string, path: string, text: string): Promise<void>
}

/** A verified GitHub delivery as recorded. */
export interface GitHubDelivery {
	deliveryId: string
	event: string
	status: 'received' | 'queued' | 'ignored' | 'ping'
	reason: string | null
	ref: string | null
	afterSha: string | null
	runId: number | null
	hookId: string | null
	receivedAt: number
}

/** Verified GitHub deliveries (D1), keyed by `X-GitHub-Delivery`. */
export interface DeliveryStore {
	find(deliveryId: string): Promise<GitHubDelivery | undefined>
	/** Inserts or replaces the record of a delivery. */
	save(delivery: GitHubDelivery): Promise<void>
	/** The hook id of the newest delivery that carried one. */
	latestHookId(): Promise<string | undefined>
	/** Which of these guids were already handled (queued, ignored or ping). */
	handled(guids: string[]): Promise<Set<string>>
	/** Which of these guids tidegate already asked GitHub to redeliver. */
	redeliveryRequested(guids: string[]): Promise<Set<string>>
	recordRedelivery(request: {
		guid: string
		attemptId: number
		event: string
		failedStatusCode: number
		requestedAt: number
		outcome: string
	}): Promise<void>
}

/** A push as the Flux Receiver is told about it. */
export interface ReceiverNotice {
	deliveryId: string
	repository: string
	ref: string
	commitSha: string
}

/** The in-cluster Flux Receiver (notification-controller, `generic-hmac`), reached through the tunnel. */
export interface FluxReceiverApi {
	notify(notice: ReceiverNotice): Promise<Result<void, ApiFailure>>
}

/** Forwarded pushes (D1 `receiver_notifications`). */
export interface ReceiverNotificationStore {
	queued(notice: ReceiverNotice, at: number): Promise<void>
	finished(
		deliveryId: string,
		result: { status: 'sent' | 'failed' | 'queued'; error: string | null; at: number },
	): Promise<void>
}

/** An alert as sent to ALERT_WEBHOOK_URL (Slack-compatible `{"text": ...}`). */
export interface Alert {
	text: string
}

/** Where alerts go. Sending is best effort: a failure is reported, never fatal. */
export interface AlertSink {
	send(alert: Alert): Promise<Result<void, ApiFailure>>
}
