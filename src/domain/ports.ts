/**
 * @module Interfaces for the outside world. Use cases depend on these; adapters under
 * src/adapters implement them; tests substitute fakes or real local bindings.
 */
import type { AgentCheckRequestInput, AgentCheckResponse } from '../contracts/agent.ts'
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
import type {
	EdgeProbeResult,
	EgressCheck,
	EgressCheckOutcome,
	EgressOutage,
	EgressPlan,
	EgressSample,
	StoredTrack,
} from './egress-model.ts'
import type { TunnelDocument } from './plan.ts'
import type { PreflightFinding } from './preflight/check.ts'

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
/** A run about to be queued. */
export interface NewRun {
	trigger: RunTrigger
	dryRun: boolean
	force: boolean
	deliveryId?: string
	queuedAt: number
}

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
	/**
	 * Files changed from `base` to `head` (GitHub's compare, three dots: from their merge base);
	 * `base` null lists what `head` changed against its first parent (a branch's first push).
	 */
	changedFiles(base: string | null, head: string): Promise<Result<ChangedFiles, ApiFailure>>
	/** A file's text at a commit, never read past `maxBytes`; `null` when the file does not exist there. */
	readFileBounded(
		path: string,
		commitSha: string,
		maxBytes: number,
	): Promise<Result<BoundedFile | null, ApiFailure>>
}

/** One file a comparison lists (GitHub's diff-entry statuses). */
export interface ChangedFile {
	path: string
	status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged'
}

/** The files changed between two commits, as GitHub lists them. */
export interface ChangedFiles {
	files: ChangedFile[]
	/** GitHub lists at most 300 files; at that count the list may have been cut short. */
	truncated: boolean
}

/** A file read with a size bound: its text, or only its size (when known) when it is larger. */
export type BoundedFile = { text: string; bytes: number } | { tooLarge: true; bytes: number | null }

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
	/**
	 * Atomically claims a delivery for processing: records it as `received` and in progress unless
	 * a record exists. A `received` record is claimed again only when its handler gave up
	 * (`release`) or its claim is older than `staleBefore` (the handler died). Racing copies of one
	 * delivery thus get one claim between them. With `run`, the run row is created in the same
	 * transaction when, and only when, the claim succeeds.
	 */
	claim(
		delivery: GitHubDelivery,
		staleBefore: number,
		run?: NewRun,
	): Promise<
		| { claimed: true; run: Run | undefined }
		| { claimed: false; existing: GitHubDelivery | undefined }
	>
	/** Gives a claimed, still `received` delivery up (the handler failed), saying why. */
	release(deliveryId: string, reason: string): Promise<void>
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

/**
 * Why the agent call gave no matrix. Every one of these makes the whole check *unknown*, never
 * a failure of any target (docs/egress.md).
 */
export interface AgentFailure {
	code:
		| 'unreachable'
		| 'timeout'
		| 'unauthorized'
		| 'bad-status'
		| 'html'
		| 'not-json'
		| 'invalid'
		| 'too-large'
	message: string
	status?: number
}

/** The in-cluster agent (`POST /v1/check`, signed), reached through the tunnel at AGENT_URL. */
export interface AgentApi {
	check(
		request: AgentCheckRequestInput,
		options: { timeoutMs: number },
	): Promise<Result<AgentCheckResponse, AgentFailure>>
}

/** The Worker's own TCP connect to a target from the edge (`cloudflare:sockets`). */
export interface EdgeProber {
	tcp(host: string, port: number, timeoutMs: number): Promise<EdgeProbeResult>
}

/** Egress checks, samples, damped tracks and outage windows (D1, docs/storage.md). */
export interface EgressStore {
	/** Takes the lease: a new `running` check, unless one started less than `leaseMs` ago runs. */
	begin(at: number, leaseMs: number): Promise<number | undefined>
	tracks(): Promise<StoredTrack[]>
	openOutages(): Promise<EgressOutage[]>
	/** The plan of the newest check read from tidegate.yaml (used when it cannot be read). */
	lastTargets(): Promise<{ commitSha: string | null; plan: EgressPlan } | undefined>
	/** Records a finished check with its samples, tracks and outage changes, atomically. */
	finish(outcome: EgressCheckOutcome): Promise<void>
	/** The newest finished check; with `withMatrix`, the newest that has a matrix. */
	latestCheck(options?: { withMatrix?: boolean }): Promise<EgressCheck | undefined>
	/** The samples of one check. */
	samples(checkId: number): Promise<EgressSample[]>
	/** One cell's samples, newest first, `before` a sample id (keyset paging). */
	history(query: {
		node: string
		target: string
		limit: number
		before?: number | undefined
	}): Promise<EgressSample[]>
	/** Outage windows, newest first; `open` only those still open. */
	outages(query: {
		node?: string | undefined
		target?: string | undefined
		open?: boolean
		limit: number
	}): Promise<EgressOutage[]>
	/** Deletes checks and samples older than `checksBefore`, closed outages ended before `outagesBefore`. */
	prune(before: { checksBefore: number; outagesBefore: number }): Promise<number>
}

/** How a pre-flight check of one commit ended (docs/preflight.md). */
export type PreflightStatus =
	/** Every changed manifest was read; no conflict. */
	| 'clean'
	/** At least one conflict (the check may also have been cut off: see `cutOff`). */
	| 'conflicts'
	/** Cut off by the bounds with no conflict in what was read: not a pass. */
	| 'incomplete'
	/** The check could not run (GitHub unreachable, tidegate.yaml invalid at the commit). */
	| 'error'

/** The pre-flight result for one commit, as recorded (D1 `preflight_results`). */
export interface PreflightResult {
	commitSha: string
	deliveryId: string | null
	/** The pushed ref, e.g. `refs/heads/main`. */
	ref: string | null
	status: PreflightStatus
	/** Findings other than invalid YAML. */
	conflictCount: number
	/** Changed YAML files under `ownership.fluxPaths`. */
	filesChanged: number
	/** How many of those were read and checked. */
	filesChecked: number
	/** Why the check did not cover the whole push, when it did not. */
	cutOff: string | null
	findings: PreflightFinding[]
	/** The commit status description posted as `tidegate/preflight`. */
	summary: string
	error: string | null
	checkedAt: number
}

/**
 * Pre-flight results by commit (D1). `forCommit` is the read port for the Flux ledger: a Helm
 * ownership failure at revision `main@sha1:<sha>` links to `forCommit(<sha>)`.
 */
export interface PreflightStore {
	/** Inserts or replaces the result for its commit (one row per commit). */
	record(result: PreflightResult): Promise<void>
	forCommit(commitSha: string): Promise<PreflightResult | undefined>
}

/** The Flux deployment ledger (D1): events, object states, outcomes per revision. */
export type { FluxLedgerStore } from './flux-store.ts'
