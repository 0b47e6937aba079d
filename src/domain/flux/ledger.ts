/**
 * @module The Flux deployment ledger's rules, pure: how one event moves its object's state
 * (current state, last good revision, failure → recovery pairs), when a state change is confirmed
 * enough to alert (flap damping via transitions.ts), the alert text, and success-rate arithmetic.
 * Storage lives behind `FluxLedgerStore`; docs/flux.md states the same rules for operators.
 */

import {
	type DampingPolicy,
	type Health,
	observe,
	type Track,
	type Transition,
} from '../transitions.ts'
import { type FailureClass, hintFor } from './classify.ts'
import { type FluxEvent, type FluxObjectRef, objectLabel } from './event.ts'

/** An object's state as the ledger keeps it. */
export interface FluxObjectState {
	ref: FluxObjectRef
	/** The latest reconcile result: `unknown` until a success or failure was seen. */
	state: 'ok' | 'failing' | 'unknown'
	/** Event time of the success/failure `state` comes from: older events cannot change it. */
	stateAt: number | null
	/** The damped state alerts follow (transitions.ts). */
	track: Track
	/** Newest event time seen for the object, of any kind. */
	lastEventAt: number
	lastRevision: string | null
	lastCommit: string | null
	lastReason: string
	lastMessage: string
	/** The class of the current failure (null while ok). */
	failureClass: FailureClass | null
	failingSince: number | null
	lastGoodRevision: string | null
	lastGoodCommit: string | null
	lastGoodAt: number | null
	events: number
	/** Optimistic-concurrency counter: a write succeeds only against the version it read. */
	version: number
}

/** A failure → recovery pair (recovery fields null while the failure is open). */
export interface FluxFailureSpan {
	ref: FluxObjectRef
	failedAt: number
	failedRevision: string | null
	failureClass: FailureClass
	message: string
	recoveredAt: number | null
	recoveredRevision: string | null
	recoverMs: number | null
}

/** What one event does to its object. */
export interface ObjectStep {
	next: FluxObjectState
	/** True when the event is older than the state it would change: recorded, not applied. */
	stale: boolean
	/** A failure starts (open a span) or ends (close the open span). */
	span:
		| { kind: 'open'; span: FluxFailureSpan }
		| { kind: 'close'; recoveredAt: number; recoveredRevision: string | null }
		| null
	/** A damped state change worth an alert. */
	transition: Transition | null
}

/**
 * Flap damping. Successes are edge-triggered in Flux (sent once, on recovery or a new revision),
 * so one success confirms a recovery. Failures of a deterministic class (ownership conflict,
 * invalid values, retries exhausted, unknown) will not fix themselves: one confirms. Transient
 * classes (timeouts and health checks, dependency waits, source fetches) need a second failure in a
 * row with no success between; an object alternating failure/success of those never alerts.
 */
export const TRANSIENT_CLASSES: ReadonlySet<FailureClass> = new Set<FailureClass>([
	'health-check-timeout',
	'dependency-not-ready',
	'artifact-failure',
])

/** The damping policy for an observation of this class. */
export function dampingFor(failureClass: FailureClass | null): DampingPolicy {
	return {
		failAfter: failureClass && TRANSIENT_CLASSES.has(failureClass) ? 2 : 1,
		recoverAfter: 1,
	}
}

const MESSAGE_LIMIT = 2000

/** A fresh object, presumed healthy: Flux reports problems, so silence before the first event is not news. */
export function newObjectState(ref: FluxObjectRef, at: number): FluxObjectState {
	return {
		ref,
		state: 'unknown',
		stateAt: null,
		track: { state: 'ok', since: at, candidate: null, streak: 0 },
		lastEventAt: at,
		lastRevision: null,
		lastCommit: null,
		lastReason: '',
		lastMessage: '',
		failureClass: null,
		failingSince: null,
		lastGoodRevision: null,
		lastGoodCommit: null,
		lastGoodAt: null,
		events: 0,
		version: 0,
	}
}

/** Applies one event to its object (undefined: first event for it). Out-of-order events never regress it. */
export function stepObject(prev: FluxObjectState | undefined, event: FluxEvent): ObjectStep {
	const base = prev ?? newObjectState(event.object, event.occurredAt)
	const newest = event.occurredAt >= base.lastEventAt
	const next: FluxObjectState = {
		...base,
		ref: { kind: base.ref.kind, namespace: base.ref.namespace, name: base.ref.name },
		events: base.events + 1,
		lastEventAt: Math.max(base.lastEventAt, event.occurredAt),
	}
	if (newest) {
		next.lastReason = event.reason
		next.lastMessage = event.message.slice(0, MESSAGE_LIMIT)
		if (event.revision) {
			next.lastRevision = event.revision.raw
		}
		if (event.commitSha) {
			next.lastCommit = event.commitSha
		}
	}
	if (event.outcome === 'progress') {
		return { next, stale: false, span: null, transition: null }
	}
	// Equal times (Flux sends whole seconds) go to the later arrival.
	if (base.stateAt !== null && event.occurredAt < base.stateAt) {
		return { next, stale: true, span: null, transition: null }
	}
	const seen: Health = event.outcome === 'success' ? 'ok' : 'failing'
	const observed = observe(base.track, seen, event.occurredAt, dampingFor(event.failureClass))
	next.track = observed.track
	next.stateAt = event.occurredAt
	let span: ObjectStep['span'] = null
	if (seen === 'failing') {
		next.failureClass = event.failureClass ?? 'other'
		if (base.state !== 'failing') {
			next.failingSince = event.occurredAt
			span = {
				kind: 'open',
				span: {
					ref: next.ref,
					failedAt: event.occurredAt,
					failedRevision: event.revision?.raw ?? event.commitSha,
					failureClass: next.failureClass,
					message: event.message.slice(0, MESSAGE_LIMIT),
					recoveredAt: null,
					recoveredRevision: null,
					recoverMs: null,
				},
			}
		}
		next.state = 'failing'
	} else {
		if (base.state === 'failing') {
			span = {
				kind: 'close',
				recoveredAt: event.occurredAt,
				recoveredRevision: event.revision?.raw ?? event.commitSha,
			}
		}
		next.state = 'ok'
		next.failureClass = null
		next.failingSince = null
		next.lastGoodRevision = event.revision?.raw ?? next.lastGoodRevision
		next.lastGoodCommit = event.commitSha ?? next.lastGoodCommit
		next.lastGoodAt = event.occurredAt
	}
	return { next, stale: false, span, transition: observed.transition }
}

const shortSha = (sha: string | null) => (sha ? sha.slice(0, 7) : null)

/** "revision 1.2.0 (commit abc1234, inferred)" */
function describeRevision(event: FluxEvent): string {
	const commit = shortSha(event.commitSha)
	const revision = event.revision?.raw
	const inferred = event.commitInferred ? ', inferred' : ''
	if (revision && commit && event.revision?.commitSha !== event.commitSha) {
		return `revision ${revision} (commit ${commit}${inferred})`
	}
	if (commit) {
		return `commit ${commit}${event.revision?.ref ? ` on ${event.revision.ref}` : ''}${inferred}`
	}
	return revision ? `revision ${revision}` : 'an unknown revision'
}

function firstLine(message: string, limit = 300): string {
	const line = message.split('\n').find((l) => l.trim() !== '') ?? ''
	return line.length > limit ? `${line.slice(0, limit - 1)}…` : line
}

function duration(ms: number): string {
	const minutes = Math.round(ms / 60_000)
	if (minutes < 1) {
		return `${Math.max(0, Math.round(ms / 1000))}s`
	}
	if (minutes < 120) {
		return `${minutes}m`
	}
	const hours = Math.round(minutes / 60)
	return hours < 48 ? `${hours}h` : `${Math.round(hours / 24)}d`
}

/** The Slack-ready text of a confirmed transition: object, revision, class and hint. */
export function alertText(
	event: FluxEvent,
	transition: Transition,
	state: FluxObjectState,
	previousClass: FailureClass | null,
): string {
	const object = objectLabel(state.ref)
	if (transition.to === 'failing') {
		const failureClass = state.failureClass ?? 'other'
		return [
			`[tidegate] Flux ${object} is failing at ${describeRevision(event)}: ${failureClass}.`,
			`${event.reason ? `${event.reason}: ` : ''}${firstLine(event.message)}`,
			`Hint: ${hintFor(failureClass)}`,
		].join('\n')
	}
	const after = transition.lastedMs === null ? '' : ` after ${duration(transition.lastedMs)}`
	const was = previousClass ? ` (was ${previousClass})` : ''
	return `[tidegate] Flux ${object} recovered at ${describeRevision(event)}${after}${was}.`
}

/** An object's reconcile outcomes in a window (each object × revision counted once). */
export interface OutcomeCount {
	ref: FluxObjectRef
	successes: number
	failures: number
}

/** Successes over decided outcomes, or null when there were none. */
export interface Rate {
	successes: number
	failures: number
	total: number
	rate: number | null
}

/** `successes / (successes + failures)`; null with no outcomes (no deployments is not 0% or 100%). */
export function rateOf(successes: number, failures: number): Rate {
	const total = successes + failures
	return { successes, failures, total, rate: total === 0 ? null : successes / total }
}

/** The success rate per object and overall (overall pools every object × revision outcome). */
export function successRate(counts: readonly OutcomeCount[]): {
	overall: Rate
	objects: (Rate & { ref: FluxObjectRef })[]
} {
	let successes = 0
	let failures = 0
	const objects = counts.map((c) => {
		successes += c.successes
		failures += c.failures
		return { ref: c.ref, ...rateOf(c.successes, c.failures) }
	})
	return { overall: rateOf(successes, failures), objects }
}

/** Parses a window such as `24h`, `7d`, `30d` (1 hour to 90 days) into milliseconds. */
export function parseWindow(text: string): number | undefined {
	const match = /^(\d{1,4})([hd])$/.exec(text)
	if (!match?.[1] || !match[2]) {
		return undefined
	}
	const ms = Number(match[1]) * (match[2] === 'h' ? 3_600_000 : 86_400_000)
	return ms >= 3_600_000 && ms <= 90 * 86_400_000 ? ms : undefined
}

/** A deployment's status: failed if any object failed, succeeded once all succeeded, else in progress. */
export function deploymentStatus(
	outcomes: readonly { outcome: 'success' | 'failure' | 'pending' }[],
): 'succeeded' | 'failed' | 'in_progress' {
	if (outcomes.some((o) => o.outcome === 'failure')) {
		return 'failed'
	}
	return outcomes.length > 0 && outcomes.every((o) => o.outcome === 'success')
		? 'succeeded'
		: 'in_progress'
}

/**
 * Time from push to applied, clamped at 0: Flux stamps events with the cluster's clock (whole
 * seconds) and the push time is the Worker's, so a fast apply can look a little earlier than its push.
 */
export function pushToApplied(pushedAt: number | null, appliedAt: number | null): number | null {
	return pushedAt === null || appliedAt === null ? null : Math.max(0, appliedAt - pushedAt)
}

/** When a deployment was applied everywhere: the last object's first success, once all succeeded. */
export function deploymentAppliedAt(
	outcomes: readonly { outcome: 'success' | 'failure' | 'pending'; succeededAt: number | null }[],
): number | null {
	if (deploymentStatus(outcomes) !== 'succeeded') {
		return null
	}
	return Math.max(...outcomes.map((o) => o.succeededAt ?? 0))
}
