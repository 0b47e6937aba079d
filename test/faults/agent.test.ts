/**
 * The in-cluster agent down, slow, or answering garbage (docs/reliability.md, "Agent: down, slow or answering garbage"), against the
 * Worker's egress check with real agent processes and impostors on loopback: every cell is
 * *unknown* (never failing), no outage window opens or closes, nothing is written to Cloudflare
 * and no reconcile is queued, and the next good check converges to the real matrix.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { checkEgress } from '../../src/app/egress/check.ts'
import { CRONS } from '../../workers/triggers.ts'
import {
	commitYaml,
	egressDeps,
	egressYaml,
	FAST,
	net,
	resetEgress,
	rows,
	SEED_TARGETS,
} from '../integration/support/egress.ts'
import { useEdge } from '../integration/support/network.ts'
import { allRuns, cronTick, resetWorld } from './support/world.ts'

const edge = useEdge()
const EGRESS_CRON = CRONS.egress
const QUICK = { probeTimeoutMs: 200, agentGraceMs: 300 }

beforeEach(async () => {
	await resetWorld(edge)
	await resetEgress()
	await commitYaml(
		edge,
		egressYaml({ targets: SEED_TARGETS, expect: [{ target: 'labelfish-db', nodes: 'all' }] }),
	)
})

/** The matrix a healthy check sees: the cut-off node cannot reach the database. */
async function expectRealMatrix() {
	const [check] = await rows<{ id: number; status: string }>(
		'SELECT id, status FROM egress_checks ORDER BY id DESC LIMIT 1',
	)
	expect(check?.status).toBe('ok')
	const failing = await rows<{ node: string; target: string }>(
		"SELECT node, target FROM egress_samples WHERE check_id = ? AND observed = 'failing'",
		check?.id,
	)
	expect(failing).toEqual([{ node: net.cutOffNode, target: 'labelfish-db' }])
}

const FAULTS = [
	{
		name: 'the agent is down (connection refused)',
		url: () => net.impostors.refused,
		code: 'unreachable',
	},
	{
		name: 'the agent is slow (never answers in time)',
		url: () => net.impostors.slow,
		code: 'timeout',
	},
	{ name: 'the agent answers garbage', url: () => net.impostors.garbage, code: 'not-json' },
	{ name: 'the agent answers a JSON array', url: () => net.impostors.array, code: 'invalid' },
	{ name: 'an HTML page answers for the agent', url: () => net.impostors.html, code: 'html' },
	{ name: 'the agent answers 500', url: () => net.impostors.serverError, code: 'bad-status' },
]

describe('Agent: down, slow or answering garbage', () => {
	for (const fault of FAULTS) {
		it(`${fault.name}: every cell unknown, no outage, no config change; the next good check converges`, async () => {
			await checkEgress(egressDeps().deps, FAST)
			const outagesBefore = await rows('SELECT * FROM egress_outages')
			const tracksBefore = await rows(
				"SELECT node, target, state, since FROM egress_tracks WHERE kind = 'cell' ORDER BY node, target",
			)
			const { deps } = egressDeps({ AGENT_URL: fault.url() })
			await checkEgress(deps, QUICK)
			const [check] = await rows<{ id: number; status: string; agent_error: string }>(
				'SELECT id, status, agent_error FROM egress_checks ORDER BY id DESC LIMIT 1',
			)
			expect(check).toMatchObject({ status: 'agent_failed', agent_error: fault.code })
			const observed = await rows<{ observed: string }>(
				'SELECT DISTINCT observed FROM egress_samples WHERE check_id = ?',
				check?.id,
			)
			expect(observed).toEqual([{ observed: 'unknown' }])
			// Nothing concluded about any target: no window opened or closed, no cell changed state.
			expect(await rows('SELECT * FROM egress_outages')).toEqual(outagesBefore)
			expect(
				await rows(
					"SELECT node, target, state, since FROM egress_tracks WHERE kind = 'cell' ORDER BY node, target",
				),
			).toEqual(tracksBefore)
			expect(edge.cloudflare.requests).toEqual([])
			expect(await allRuns()).toEqual([])
			// The agent recovers.
			const good = egressDeps()
			await checkEgress(good.deps, FAST)
			await expectRealMatrix()
		}, 20_000)
	}

	it('through the real cron trigger: the tick records the failure and writes nothing else', async () => {
		const { env } = await import('cloudflare:workers')
		await cronTick(EGRESS_CRON, { ...env, AGENT_URL: net.impostors.refused } as Env)
		const ticks = await rows<{ job: string; outcome: string }>(
			'SELECT job, outcome FROM cron_ticks',
		)
		expect(ticks).toEqual([{ job: 'egress', outcome: 'ok' }])
		const [check] = await rows<{ status: string }>('SELECT status FROM egress_checks')
		expect(check).toEqual({ status: 'agent_failed' })
		expect(edge.cloudflare.requests).toEqual([])
		expect(await allRuns()).toEqual([])
	}, 20_000)
})
