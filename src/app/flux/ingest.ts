/**
 * @module Flux event intake, after verification: dedupe on the body's hash (Flux retries up to
 * five times and sends no id), attribute the event to a commit, move its object's state, file its
 * reconcile outcome under its revision — all in one atomic write that succeeds only against the
 * object version it was computed from — then alert on a confirmed change. When a concurrent event
 * for the same object wrote first, nothing is written and the answer is `busy`: the route answers
 * 503 with Retry-After and Flux sends the event again (docs/reliability.md measures it). There is
 * no retry loop inside the request.
 */
import {
	DEPLOYER_KINDS,
	type FluxEvent,
	type FluxOutcome,
	objectLabel,
	revisionKey,
	toFluxEvent,
} from '../../domain/flux/event.ts'
import { alertText, stepObject } from '../../domain/flux/ledger.ts'
import type { FluxLedgerStore } from '../../domain/flux/ports.ts'
import type { VerifiedFluxEvent } from '../../webhooks/flux.ts'
import type { Deps } from '../deps.ts'
import { queueDeployStatus } from '../github/deploy-status.ts'
import { raiseAlert } from '../ops/alerts.ts'

/** What became of an event. */
export type FluxIngestOutcome =
	| { kind: 'duplicate'; eventId: number }
	| {
			/** A concurrent event for the same object wrote first; nothing was written. Send again. */
			kind: 'busy'
			object: string
	  }
	| {
			kind: 'recorded'
			eventId: number
			object: string
			outcome: FluxOutcome
			failureClass: FluxEvent['failureClass']
			stale: boolean
			/** The damped state change this event confirmed, if any (an alert was raised for it). */
			transition: 'ok→failing' | 'failing→ok' | null
	  }

type IngestFluxDeps = Pick<Deps, 'alerts' | 'jobs' | 'log' | 'fluxLedger' | 'now' | 'deadLetters'>

/** Records one verified event once, and raises an alert when it confirms a state change. */
export async function ingestFluxEvent(
	deps: IngestFluxDeps,
	delivery: VerifiedFluxEvent,
): Promise<FluxIngestOutcome> {
	const existing = await deps.fluxLedger.findEvent(delivery.bodyHash)
	if (existing) {
		return { kind: 'duplicate', eventId: existing.id }
	}
	const event = await attributeCommit(deps.fluxLedger, toFluxEvent(delivery.event, deps.now()))
	const previous = await deps.fluxLedger.getObject(event.object)
	const step = stepObject(previous, event)
	const result = await deps.fluxLedger.record({
		bodyHash: delivery.bodyHash,
		rawBody: delivery.rawBody,
		event,
		stale: step.stale,
		object: step.next,
		expectedVersion: previous ? previous.version : null,
		span: step.span,
		revisionKey: DEPLOYER_KINDS.includes(event.object.kind) ? revisionKey(event) : null,
	})
	if (result.kind === 'duplicate') {
		return { kind: 'duplicate', eventId: result.eventId }
	}
	if (result.kind === 'conflict') {
		return { kind: 'busy', object: objectLabel(event.object) }
	}
	await queueDeployStatus(deps, event, step.stale)
	const transition = step.transition
	if (transition) {
		await raiseAlert(
			deps,
			'flux',
			alertText(event, transition, step.next, previous?.failureClass ?? null),
		)
	}
	return {
		kind: 'recorded',
		eventId: result.eventId,
		object: objectLabel(event.object),
		outcome: event.outcome,
		failureClass: event.failureClass,
		stale: step.stale,
		transition: transition ? (transition.to === 'failing' ? 'ok→failing' : 'failing→ok') : null,
	}
}

/**
 * HelmRelease events carry a chart version, not a commit. They are filed under the commit the
 * Kustomizations were applying at the time (marked inferred), so "did commit X reach the cluster"
 * includes the Helm releases that commit changed.
 */
async function attributeCommit(ledger: FluxLedgerStore, event: FluxEvent): Promise<FluxEvent> {
	if (event.commitSha !== null || event.object.kind !== 'HelmRelease') {
		return event
	}
	const inferred = await ledger.latestKustomizationCommit(event.occurredAt)
	return inferred ? { ...event, commitSha: inferred, commitInferred: true } : event
}
