/**
 * @module Flux event intake, after authentication: dedupe on the body's hash (Flux retries up to
 * five times and sends no id), attribute the event to a commit, move its object's state, file its
 * reconcile outcome under its revision, all in one atomic write; then alert on a confirmed change.
 */
import {
	DEPLOYER_KINDS,
	type FluxEvent,
	objectLabel,
	revisionKey,
} from '../../domain/flux/event.ts'
import { alertText, stepObject } from '../../domain/flux/ledger.ts'
import type { FluxLedgerStore } from '../../domain/flux/ports.ts'
import type { Deps } from '../deps.ts'
import { queueDeployStatus } from '../github/deploy-status.ts'
import { raiseAlert } from '../ops/alerts.ts'

/** What became of an event. */
export type FluxIngestOutcome =
	| { kind: 'duplicate'; eventId: number }
	| {
			kind: 'recorded'
			eventId: number
			stale: boolean
			/** The damped state change this event confirmed, if any (an alert was raised for it). */
			transition: 'ok→failing' | 'failing→ok' | null
	  }

type IngestFluxDeps = Pick<Deps, 'alerts' | 'jobs' | 'log' | 'fluxLedger'>

/**
 * Concurrent events for one object retry against the winner's state, after a short random pause
 * so a burst does not retry in lockstep. Past the bound the request fails with a 5xx, which
 * notification-controller retries.
 */
const MAX_ATTEMPTS = 10

/** Records one verified event once, and raises an alert when it confirms a state change. */
export async function ingestFluxEvent(
	deps: IngestFluxDeps,
	input: { event: FluxEvent; bodyHash: string; rawBody: string },
): Promise<FluxIngestOutcome> {
	const existing = await deps.fluxLedger.findEvent(input.bodyHash)
	if (existing) {
		return { kind: 'duplicate', eventId: existing.id }
	}
	const event = await attributeCommit(deps.fluxLedger, input.event)
	const deployer = DEPLOYER_KINDS.includes(event.object.kind)
	for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
		const previous = await deps.fluxLedger.getObject(event.object)
		const step = stepObject(previous, event)
		const result = await deps.fluxLedger.record({
			bodyHash: input.bodyHash,
			rawBody: input.rawBody,
			event,
			stale: step.stale,
			object: step.next,
			expectedVersion: previous ? previous.version : null,
			span: step.span,
			revisionKey: deployer ? revisionKey(event) : null,
		})
		if (result.kind === 'duplicate') {
			return { kind: 'duplicate', eventId: result.eventId }
		}
		if (result.kind === 'conflict') {
			await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * attempt))
			continue
		}
		await queueDeployStatus(deps, event, step.stale)
		const transition = step.transition
		if (transition) {
			await alertSafely(
				deps,
				event,
				alertText(event, transition, step.next, previous?.failureClass ?? null),
			)
		}
		return {
			kind: 'recorded',
			eventId: result.eventId,
			stale: step.stale,
			transition: transition ? (transition.to === 'failing' ? 'ok→failing' : 'failing→ok') : null,
		}
	}
	throw new Error(
		`Flux event for ${objectLabel(event.object)} lost ${MAX_ATTEMPTS} write races in a row`,
	)
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

/**
 * The event is already recorded when the alert is queued, so a failed queue send must not turn
 * into a 5xx: Flux would resend, the resend is a duplicate, and nothing more would happen anyway.
 * It is logged as an error instead, where the operator's log alerts see it.
 */
async function alertSafely(deps: IngestFluxDeps, event: FluxEvent, text: string): Promise<void> {
	try {
		await raiseAlert(deps, 'flux', text)
	} catch (e) {
		deps.log.log('error', 'flux.alert_not_queued', {
			object: objectLabel(event.object),
			error: e instanceof Error ? e.message : String(e),
		})
	}
}
