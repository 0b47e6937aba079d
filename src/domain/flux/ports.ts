/**
 * @module Ports of the Flux area: the deployment ledger (D1, src/adapters/d1/flux-ledger.ts) with
 * the shapes it reads and writes, and the in-cluster Flux Receiver that pushes are forwarded to.
 */
import type { Result } from '../../lib/result.ts'
import type { ApiFailure } from '../ports.ts'
import type { FailureClass } from './classify.ts'
import type { FluxEvent, FluxObjectRef, FluxOutcome } from './event.ts'
import type { FluxFailureSpan, FluxObjectState, ObjectStep, OutcomeCount } from './ledger.ts'

/** Everything one accepted event writes, all or nothing. */
export interface FluxLedgerWrite {
	/** SHA-256 (hex) of the raw body: the idempotency key (Flux events carry no id). */
	bodyHash: string
	/** The body as received, so fields tidegate does not model are kept. */
	rawBody: string
	event: FluxEvent
	stale: boolean
	/** The object after the event. */
	object: FluxObjectState
	/** The version read before computing `object`; null when the object was new. */
	expectedVersion: number | null
	span: ObjectStep['span']
	/** Where the reconcile outcome is filed (commit or revision), or null when it is not filed. */
	revisionKey: string | null
}

/** The result of a write: a conflict means another event for the object won the race; re-read and retry. */
export type FluxWriteResult =
	| { kind: 'recorded'; eventId: number }
	| { kind: 'duplicate'; eventId: number }
	| { kind: 'conflict' }

/** A stored event. */
export interface FluxEventRecord extends FluxEvent {
	id: number
	revisionKey: string | null
	stale: boolean
}

/** One object's reconcile outcome at one revision. `pending`: only progress seen so far. */
export interface FluxDeploymentObject {
	ref: FluxObjectRef
	revision: string | null
	commitInferred: boolean
	outcome: 'success' | 'failure' | 'pending'
	failureClass: FailureClass | null
	message: string | null
	firstEventAt: number
	lastEventAt: number
	/** Time of the event that decided `outcome`. */
	decidedAt: number | null
	/** First success at this revision. */
	succeededAt: number | null
	/** Failure events at this revision (retries included). */
	failures: number
	events: number
}

/** A revision (usually a commit) and what Flux did with it. */
export interface FluxDeploymentRecord {
	id: number
	revisionKey: string
	/** A revision as Flux names it (e.g. `main@sha1:…`), when one was seen. */
	revision: string | null
	commitSha: string | null
	firstEventAt: number
	lastEventAt: number
	/** When tidegate received the GitHub push of this commit, if it did. */
	pushedAt: number | null
	objects: FluxDeploymentObject[]
}

/** The statuses a deployment can be filtered on. */
export const DEPLOYMENT_STATUSES = ['succeeded', 'failed', 'in_progress'] as const

/** The status of a deployment as filtered on. */
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number]

/** Object filter: `Kind/namespace/name`, `namespace/name` or `name`. */
export interface ObjectFilter {
	kind?: string | undefined
	namespace?: string | undefined
	name: string
}

/** Filters and paging of deployments, newest first. */
export interface DeploymentQuery {
	limit: number
	before?: number | undefined
	object?: ObjectFilter | undefined
	status?: DeploymentStatus | undefined
	/** A commit sha or a prefix of at least 7 hex digits. */
	commit?: string | undefined
	/** The tracked branch: pushes to it are the ones joined. */
	branch: string
}

/** Filters and paging of events, newest first. */
export interface EventQuery {
	limit: number
	before?: number | undefined
	kind?: string | undefined
	namespace?: string | undefined
	name?: string | undefined
	severity?: string | undefined
	failureClass?: FailureClass | undefined
	outcome?: FluxOutcome | undefined
	/** A revision as sent, a commit sha, or a commit prefix of at least 7 hex digits. */
	revision?: string | undefined
}

/** Decided outcomes of one UTC day. */
export interface DailyOutcomes {
	/** Start of the day, Unix ms. */
	day: number
	successes: number
	failures: number
}

/** Filters of the object list. */
export interface ObjectQuery {
	kind?: string | undefined
	namespace?: string | undefined
	name?: string | undefined
	state?: FluxObjectState['state'] | undefined
	limit: number
}

/** The Flux deployment ledger. */
export interface FluxLedgerStore {
	/** The event recorded with this body hash, if any. */
	findEvent(bodyHash: string): Promise<{ id: number } | undefined>
	getObject(ref: FluxObjectRef): Promise<FluxObjectState | undefined>
	/** The newest commit a Kustomization applied or was applying at or before `at`. */
	latestKustomizationCommit(at: number): Promise<string | undefined>
	/** Records an event and its effects atomically, if the object is still at `expectedVersion`. */
	record(write: FluxLedgerWrite): Promise<FluxWriteResult>
	listEvents(query: EventQuery): Promise<FluxEventRecord[]>
	listDeployments(query: DeploymentQuery): Promise<FluxDeploymentRecord[]>
	listObjects(
		query: ObjectQuery,
	): Promise<(FluxObjectState & { recentFailures: FluxFailureSpan[] })[]>
	/** Per UTC day since `since`: decided successes and failures (for the success-rate chart). */
	dailyOutcomes(since: number): Promise<DailyOutcomes[]>
	/** Per object: decided outcomes (object × revision) whose deciding event is at or after `since`. */
	outcomeCounts(since: number, object?: ObjectFilter): Promise<OutcomeCount[]>
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
