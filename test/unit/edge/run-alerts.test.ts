/** Run alerts, pure (src/domain/edge/run-alerts.ts): damping per key, and what a finished run says. */
import { describe, expect, it } from 'vitest'
import type { Plan, SplitTunnelPlan, TunnelPlan } from '../../../src/domain/edge/plan.ts'
import {
	type AlertObservation,
	type AlertState,
	connectorObservation,
	type EndedRun,
	runObservations,
	stepAlert,
	tokenObservation,
	tokenWorked,
} from '../../../src/domain/edge/run-alerts.ts'

const failing = (fingerprint: string): AlertObservation => ({
	key: 'k',
	seen: 'failing',
	fingerprint,
	failingText: `failing: ${fingerprint}`,
	recoveryText: 'recovered',
	policy: { failAfter: 1, recoverAfter: 1 },
})
const ok: AlertObservation = { ...failing(''), seen: 'ok', fingerprint: null }

/** Feeds observations in order; returns the texts sent. */
function feed(observations: AlertObservation[], start?: AlertState): (string | null)[] {
	let state = start
	return observations.map((o, i) => {
		const { next, text } = stepAlert(state, o, i * 1000)
		state = next
		return text
	})
}

describe('stepAlert', () => {
	it('alerts once on a confirmed failure, not on repeats, again for a different failure, once on recovery', () => {
		expect(feed([ok, failing('a'), failing('a'), failing('b'), failing('b'), ok, ok])).toEqual([
			null,
			'failing: a',
			null,
			'failing: b',
			null,
			'recovered',
			null,
		])
	})

	it('waits for `failAfter` observations in a row, and a blip in between starts over', () => {
		const twice = { ...failing('none'), policy: { failAfter: 2, recoverAfter: 1 } }
		expect(feed([twice, ok, twice, twice, twice])).toEqual([
			null,
			null,
			null,
			'failing: none',
			null,
		])
	})

	it('recovers only on an `ok` that covers what failed', () => {
		const refused = tokenObservation(
			'GITHUB_TOKEN was refused (403: Resource not accessible by personal access token); it needs Pull requests: read and write on the repository',
			'reporting on pull request #1',
		) as AlertObservation
		const readWorked = tokenWorked('GITHUB_TOKEN', ['Contents: read'], 'run 2')
		const commentWorked = tokenWorked('GITHUB_TOKEN', ['Pull requests: read and write'], 'pr #2')
		expect(feed([refused, readWorked, refused, commentWorked])).toEqual([
			'[tidegate] GITHUB_TOKEN was refused while reporting on pull request #1 (403: Resource not accessible by personal access token); it needs Pull requests: read and write. Give the token that permission or replace it: nothing that needs it happens until then.',
			null,
			null,
			'[tidegate] GITHUB_TOKEN is accepted again (pr #2).',
		])
	})
})

const split = (changes: SplitTunnelPlan['changes'], refusals: SplitTunnelPlan['refusals'] = []) =>
	({
		kind: 'split-tunnel',
		resource: 'split-tunnel:acc:default',
		accountId: 'acc',
		policy: 'default',
		mode: 'include',
		changes,
		document: [],
		owned: [],
		foreignCount: 2,
		duplicates: [],
		foreign: ['address:10.8.0.0/16', 'address:172.16.0.0/12'],
		managed: true,
		refusals,
		warnings: [],
	}) satisfies SplitTunnelPlan

const planOf = (...resources: Plan['resources']): Plan => ({
	resources,
	changeCount: resources.reduce((n, r) => n + r.changes.length, 0),
	refused: resources.some((r) => r.refusals.length > 0),
	inSync: false,
})

const run = (over: Partial<EndedRun>): EndedRun => ({
	id: 12,
	trigger: 'drift',
	dryRun: false,
	status: 'applied',
	commitSha: 'abcdef0123456789abcdef0123456789abcdef01',
	plan: undefined,
	errorCode: null,
	errorMessage: null,
	warnings: [],
	...over,
})

const keysOf = (observations: AlertObservation[]) => observations.map((o) => `${o.key}=${o.seen}`)

describe('runObservations', () => {
	it('says nothing about dry runs', () => {
		expect(runObservations(run({ dryRun: true, status: 'failed' }), [], undefined)).toEqual([])
	})

	it('names the rail and the entries of a refused plan', () => {
		const plan = planOf(
			split(
				[
					{
						action: 'remove',
						key: 'address:10.42.0.0/16',
						before: { address: '10.42.0.0/16', description: 'K8s Pod Network - oceanid' },
						cause: 'commit',
					},
				],
				[
					{
						rail: 'max-deletions',
						message: 'the plan removes 1 split-tunnel entries, more than …',
					},
				],
			),
		)
		const observations = runObservations(run({ status: 'refused', plan }), [], 'https://t.test')
		const refused = observations.find((o) => o.key === 'edge.refused')
		expect(refused?.seen).toBe('failing')
		expect(refused?.failingText).toBe(
			[
				'[tidegate] Edge plan refused (run 12, drift, commit abcdef0); nothing was written:',
				'  split-tunnel include list (default profile): max-deletions: the plan removes 1 split-tunnel entries, more than …',
				'  would remove 10.42.0.0/16: "K8s Pod Network - oceanid" → (removed)',
				'Run: https://t.test/runs/12',
			].join('\n'),
		)
	})

	it('lists a hand edit an applied run overwrote, before → after, and clears it on the next run in sync', () => {
		const plan = planOf(
			split([
				{
					action: 'update',
					key: 'address:10.42.0.0/16',
					before: { address: '10.42.0.0/16', description: 'Pods (edited) - oceanid' },
					after: { address: '10.42.0.0/16', description: 'K8s Pod Network - oceanid' },
					cause: 'hand-edit',
				},
				{
					action: 'add',
					key: 'address:192.168.2.0/24',
					after: { address: '192.168.2.0/24', description: 'Calypso GPU - oceanid' },
					cause: 'commit',
				},
			]),
		)
		const [handEdit] = runObservations(run({ plan }), [], undefined).filter((o) =>
			o.key.startsWith('edge.hand-edit:'),
		)
		expect(handEdit?.seen).toBe('failing')
		expect(handEdit?.failingText).toContain(
			'  10.42.0.0/16: "Pods (edited) - oceanid" → "K8s Pod Network - oceanid"',
		)
		expect(handEdit?.failingText).not.toContain('192.168.2.0/24')
		const inSync = runObservations(
			run({ status: 'in_sync', plan: planOf(split([])) }),
			[],
			undefined,
		)
		expect(keysOf(inSync)).toContain('edge.hand-edit:split-tunnel:acc:default=ok')
	})

	it('turns a refused token into its token alert instead of a run failure, and a planned run recovers it', () => {
		const failed = runObservations(
			run({
				status: 'failed',
				errorCode: 'cloudflare_auth',
				errorMessage:
					'CF_ZERO_TRUST_API_TOKEN was refused (403: 10000 Authentication error); it needs the Account › Zero Trust › Edit permission on this account',
			}),
			[],
			undefined,
		)
		expect(keysOf(failed)).toEqual(['token:CF_ZERO_TRUST_API_TOKEN=failing'])
		expect(failed[0]?.fingerprint).toBe('the Account › Zero Trust › Edit permission')
		const next = runObservations(
			run({ status: 'in_sync', plan: planOf() }),
			['token:CF_ZERO_TRUST_API_TOKEN'],
			undefined,
		)
		expect(keysOf(next)).toContain('token:CF_ZERO_TRUST_API_TOKEN=ok')
	})

	it('reads the connectors every run records in its plan: none is failing, some is ok', () => {
		const tunnel = (count: number | undefined): TunnelPlan => ({
			kind: 'tunnel',
			resource: 'tunnel:t1',
			accountId: 'acc',
			tunnelId: 't1',
			liveVersion: 3,
			changes: [],
			document: { ingress: [] },
			refusals: [],
			warnings: [],
			foreign: [],
			managed: true,
			...(count !== undefined && { connectors: { count, versions: {} } }),
		})
		const none = run({ status: 'in_sync', plan: planOf(tunnel(0)) })
		expect(keysOf(runObservations(none, [], undefined))).toContain('tunnel:t1:connectors=failing')
		const some = run({ status: 'in_sync', plan: planOf(tunnel(2)) })
		expect(keysOf(runObservations(some, [], undefined))).toContain('tunnel:t1:connectors=ok')
		const unread = run({ plan: planOf(tunnel(undefined)) })
		expect(keysOf(runObservations(unread, [], undefined)).join()).not.toContain('connectors')
		expect(connectorObservation('t1', 0)).toMatchObject({
			key: 'tunnel:t1:connectors',
			seen: 'failing',
			policy: { failAfter: 2 },
		})
	})
})
