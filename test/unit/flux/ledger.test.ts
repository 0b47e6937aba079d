import { describe, expect, it } from 'vitest'
import type { FailureClass } from '../../../src/domain/flux/classify.ts'
import { type FluxEvent, parseRevision } from '../../../src/domain/flux/event.ts'
import {
	alertText,
	dampingFor,
	deploymentAppliedAt,
	deploymentStatus,
	type FluxObjectState,
	parseWindow,
	pushToApplied,
	rateOf,
	stepObject,
	successRate,
} from '../../../src/domain/flux/ledger.ts'

const SHA = 'abcdef0123456789abcdef0123456789abcdef01'
const ref = { kind: 'HelmRelease', namespace: 'web', name: 'shop' }

function event(
	outcome: FluxEvent['outcome'],
	at: number,
	failureClass: FailureClass | null = outcome === 'failure' ? 'helm-ownership-conflict' : null,
	revision = '1.2.0',
): FluxEvent {
	return {
		object: { ...ref, uid: null, apiVersion: null },
		severity: outcome === 'failure' ? 'error' : 'info',
		reason: outcome === 'failure' ? 'UpgradeFailed' : 'UpgradeSucceeded',
		message: outcome === 'failure' ? `Helm upgrade failed at ${at}\nsecond line` : 'ok',
		reportingController: 'helm-controller',
		reportingInstance: null,
		metadata: {},
		revision: parseRevision(revision),
		commitSha: SHA,
		commitInferred: true,
		outcome,
		failureClass: outcome === 'failure' ? failureClass : null,
		occurredAt: at,
		receivedAt: at,
	}
}

/** Runs events through the state machine; returns the final state and the transitions as strings. */
function run(events: FluxEvent[]) {
	let state: FluxObjectState | undefined
	const transitions: string[] = []
	const spans: string[] = []
	for (const e of events) {
		const step = stepObject(state, e)
		state = step.next
		if (step.transition) {
			transitions.push(`${step.transition.from}→${step.transition.to}@${e.occurredAt}`)
		}
		if (step.span) {
			spans.push(
				step.span.kind === 'open'
					? `open@${step.span.span.failedAt}`
					: `close@${step.span.recoveredAt}`,
			)
		}
	}
	return { state, transitions, spans }
}

describe('object state', () => {
	it('starts unknown and presumed healthy: a first success says nothing', () => {
		const r = run([event('success', 0)])
		expect(r.state).toMatchObject({
			state: 'ok',
			lastGoodRevision: '1.2.0',
			lastGoodAt: 0,
			events: 1,
		})
		expect(r.transitions).toEqual([])
	})

	it('progress changes neither state nor track', () => {
		const r = run([event('success', 0), event('progress', 10)])
		expect(r.state).toMatchObject({ state: 'ok', stateAt: 0, lastEventAt: 10, events: 2 })
	})

	it('opens a failure span on the first failure and closes it on the first success after', () => {
		const r = run([
			event('success', 0),
			event('failure', 10),
			event('failure', 20),
			event('success', 50, null, '1.2.1'),
		])
		expect(r.spans).toEqual(['open@10', 'close@50'])
		expect(r.state).toMatchObject({ state: 'ok', failingSince: null, lastGoodRevision: '1.2.1' })
	})

	it('never lets an older event change the state (out of order), but records that it came', () => {
		let state = stepObject(undefined, event('success', 100)).next
		const late = stepObject(state, event('failure', 50))
		expect(late.stale).toBe(true)
		expect(late.transition).toBeNull()
		expect(late.span).toBeNull()
		expect(late.next).toMatchObject({ state: 'ok', stateAt: 100, events: 2, lastEventAt: 100 })
		state = late.next
		const newer = stepObject(state, event('failure', 150))
		expect(newer.stale).toBe(false)
		expect(newer.next.state).toBe('failing')
	})

	it('gives events with the same second to the later arrival', () => {
		const r = run([event('failure', 100), event('success', 100)])
		expect(r.state?.state).toBe('ok')
	})
})

describe('damping', () => {
	it('needs one failure for deterministic classes, two in a row for transient ones, one success to recover', () => {
		expect(dampingFor('helm-ownership-conflict')).toEqual({ failAfter: 1, recoverAfter: 1 })
		expect(dampingFor('validation-error')).toEqual({ failAfter: 1, recoverAfter: 1 })
		expect(dampingFor('retries-exhausted')).toEqual({ failAfter: 1, recoverAfter: 1 })
		expect(dampingFor('other')).toEqual({ failAfter: 1, recoverAfter: 1 })
		expect(dampingFor('health-check-timeout')).toEqual({ failAfter: 2, recoverAfter: 1 })
		expect(dampingFor('dependency-not-ready')).toEqual({ failAfter: 2, recoverAfter: 1 })
		expect(dampingFor('artifact-failure')).toEqual({ failAfter: 2, recoverAfter: 1 })
	})

	it('alerts once per state change, never per retry', () => {
		const r = run([
			event('success', 0),
			event('failure', 10),
			event('failure', 20),
			event('failure', 30),
			event('success', 40),
			event('success', 50),
		])
		expect(r.transitions).toEqual(['ok→failing@10', 'failing→ok@40'])
	})

	it('does not alert on a transient class that flaps', () => {
		const t = (at: number) => event('failure', at, 'health-check-timeout')
		const r = run([
			event('success', 0),
			t(10),
			event('success', 20),
			t(30),
			event('success', 40),
			t(50),
		])
		expect(r.transitions).toEqual([])
		// The ledger still records every failure span.
		expect(r.spans).toEqual(['open@10', 'close@20', 'open@30', 'close@40', 'open@50'])
	})

	it('alerts on a transient class on its second failure in a row', () => {
		const t = (at: number) => event('failure', at, 'dependency-not-ready')
		expect(run([t(10), t(20)]).transitions).toEqual(['ok→failing@20'])
	})

	it('counts a transient then a deterministic failure as confirmed', () => {
		const r = run([
			event('failure', 10, 'artifact-failure'),
			event('failure', 20, 'validation-error'),
		])
		expect(r.transitions).toEqual(['ok→failing@20'])
		expect(r.state?.failureClass).toBe('validation-error')
	})

	it('does not alert when an unconfirmed transient failure recovers', () => {
		expect(
			run([event('failure', 10, 'health-check-timeout'), event('success', 20)]).transitions,
		).toEqual([])
	})
})

describe('alert text', () => {
	it('names the object, revision, commit, class and hint on failure', () => {
		const step = stepObject(undefined, event('failure', 0))
		const text = alertText(event('failure', 0), step.transition ?? fail(), step.next, null)
		expect(text.split('\n')).toEqual([
			'[tidegate] Flux HelmRelease/web/shop is failing at revision 1.2.0 (commit abcdef0, inferred): helm-ownership-conflict.',
			'UpgradeFailed: Helm upgrade failed at 0',
			expect.stringMatching(/^Hint: a resource the chart renders already exists/),
		])
	})

	it('says how long it failed and what it was on recovery', () => {
		const first = stepObject(undefined, event('failure', 0))
		const back = stepObject(first.next, event('success', 3_600_000, null, '1.2.1'))
		expect(
			alertText(
				event('success', 3_600_000, null, '1.2.1'),
				back.transition ?? fail(),
				back.next,
				'helm-ownership-conflict',
			),
		).toBe(
			'[tidegate] Flux HelmRelease/web/shop recovered at revision 1.2.1 (commit abcdef0, inferred) after 60m (was helm-ownership-conflict).',
		)
	})
})

function fail(): never {
	throw new Error('expected a transition')
}

describe('success rate arithmetic', () => {
	it('is successes / (successes + failures), null with nothing to count', () => {
		expect(rateOf(3, 7)).toEqual({ successes: 3, failures: 7, total: 10, rate: 0.3 })
		expect(rateOf(5, 0)).toEqual({ successes: 5, failures: 0, total: 5, rate: 1 })
		expect(rateOf(0, 0)).toEqual({ successes: 0, failures: 0, total: 0, rate: null })
	})

	it('pools every object × revision outcome for the overall rate', () => {
		const result = successRate([
			{ ref, successes: 1, failures: 3 },
			{ ref: { ...ref, name: 'cart' }, successes: 5, failures: 1 },
		])
		expect(result.overall).toEqual({ successes: 6, failures: 4, total: 10, rate: 0.6 })
		expect(result.objects.map((o) => o.rate)).toEqual([0.25, 5 / 6])
	})

	it("reproduces the seed's before/after: 3 of 10 deployments, then 10 of 10", () => {
		expect(successRate([{ ref, successes: 3, failures: 7 }]).overall.rate).toBe(0.3)
		expect(successRate([{ ref, successes: 10, failures: 0 }]).overall.rate).toBe(1)
	})

	it('parses windows from 1h to 90d', () => {
		expect(parseWindow('7d')).toBe(7 * 86_400_000)
		expect(parseWindow('24h')).toBe(86_400_000)
		expect(parseWindow('90d')).toBe(90 * 86_400_000)
		for (const bad of ['0h', '0d', '91d', '2161h', '7w', '', 'd', '1.5d', ' 7d']) {
			expect(parseWindow(bad), bad).toBeUndefined()
		}
	})
})

describe('deployment status and time to applied', () => {
	const o = (outcome: 'success' | 'failure' | 'pending', succeededAt: number | null = null) => ({
		outcome,
		succeededAt,
	})
	it('failed if any failed, succeeded when all succeeded, else in progress', () => {
		expect(deploymentStatus([o('success'), o('failure')])).toBe('failed')
		expect(deploymentStatus([o('success'), o('success')])).toBe('succeeded')
		expect(deploymentStatus([o('success'), o('pending')])).toBe('in_progress')
		expect(deploymentStatus([])).toBe('in_progress')
	})
	it('is applied when the last object first succeeded', () => {
		expect(deploymentAppliedAt([o('success', 10), o('success', 30)])).toBe(30)
		expect(deploymentAppliedAt([o('success', 10), o('pending')])).toBeNull()
	})
	it('measures push to applied, clamped at zero for clock skew', () => {
		expect(pushToApplied(1000, 91_000)).toBe(90_000)
		expect(pushToApplied(5000, 4000)).toBe(0)
		expect(pushToApplied(null, 4000)).toBeNull()
		expect(pushToApplied(1000, null)).toBeNull()
	})
})
