/**
 * Everything that can stand between the Worker and a working agent (docs/reliability.md, "Agent: down, slow or answering garbage"): each
 * must make the check *unknown* — recorded as an agent failure, every cell unknown, no target
 * failing, no outage opened or closed — and the agent itself alerts only after damping.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { checkEgress } from '../../src/app/egress/check.ts'
import {
	alerts,
	commitYaml,
	egressDeps,
	egressYaml,
	FAST,
	net,
	resetEgress,
	rows,
	SEED_TARGETS,
} from './support/egress.ts'
import { useEdge } from './support/network.ts'

const edge = useEdge()

beforeEach(async () => {
	await edge.github.reset()
	await resetEgress()
	await commitYaml(
		edge,
		egressYaml({ targets: SEED_TARGETS, expect: [{ target: 'labelfish-db', nodes: 'all' }] }),
	)
})

/** A good check first, so the nodes are known and the db cell of the cut-off node is failing. */
async function baseline() {
	const { deps } = egressDeps()
	await checkEgress(deps, FAST)
	await checkEgress(deps, FAST)
	expect(await rows('SELECT node, target FROM egress_outages WHERE ended_at IS NULL')).toEqual([
		{ node: net.cutOffNode, target: 'labelfish-db' },
	])
}

const FAULTS: {
	name: string
	env: () => Record<string, string>
	code: string
	message: RegExp
}[] = [
	{
		name: 'the agent is down (connection refused)',
		env: () => ({ AGENT_URL: net.impostors.refused }),
		code: 'unreachable',
		message: /^the agent could not be reached/,
	},
	{
		name: 'an HTML page answers (a login page in front of the agent)',
		env: () => ({ AGENT_URL: net.impostors.html }),
		code: 'html',
		message: /HTML page \(HTTP 200\)/,
	},
	{
		name: "the tunnel's 502 error page answers",
		env: () => ({ AGENT_URL: net.impostors.tunnelError }),
		code: 'html',
		message: /HTML page \(HTTP 502\)/,
	},
	{
		name: 'garbage JSON answers',
		env: () => ({ AGENT_URL: net.impostors.garbage }),
		code: 'not-json',
		message: /^the answer is not JSON$/,
	},
	{
		name: 'a JSON array answers',
		env: () => ({ AGENT_URL: net.impostors.array }),
		code: 'invalid',
		message: /does not follow the agent protocol/,
	},
	{
		name: 'well-formed JSON with a negative latency answers',
		env: () => ({ AGENT_URL: net.impostors.invalid }),
		code: 'invalid',
		message: /nodes\.0\.results\.0\.latencyMs/,
	},
	{
		name: 'a valid answer to another request arrives (cache or replay)',
		env: () => ({ AGENT_URL: net.impostors.otherRequest }),
		code: 'invalid',
		message: /is for request "egress-0-cached", not this one/,
	},
	{
		name: 'a valid answer without the response signature arrives (no holder of the secret)',
		env: () => ({ AGENT_URL: net.impostors.unsigned }),
		code: 'unauthorized',
		message: /not signed for this request by an agent holding AGENT_SECRET/,
	},
	{
		name: 'a signed answer recorded for another request is played back',
		env: () => ({ AGENT_URL: net.impostors.replayedAnswer }),
		code: 'unauthorized',
		message: /not signed for this request by an agent holding AGENT_SECRET/,
	},
	{
		name: 'the agent answers 500',
		env: () => ({ AGENT_URL: net.impostors.serverError }),
		code: 'bad-status',
		message: /HTTP 500 \(internal: probe pool crashed\)/,
	},
	{
		name: 'the agent refuses the signature (401, AGENT_SECRET differs)',
		env: () => ({ AGENT_SECRET: 'not-the-agent-secret-0123456789abcdef' }),
		code: 'unauthorized',
		message:
			/^the agent answered 401 \(unauthorized: signature does not match.*AGENT_SECRET differs/,
	},
	{
		name: 'the answer is over the size cap',
		env: () => ({ AGENT_URL: net.impostors.huge }),
		code: 'too-large',
		message: /larger than 1048576 bytes/,
	},
	{
		name: 'the agent never answers (timeout)',
		env: () => ({ AGENT_URL: net.impostors.slow }),
		code: 'timeout',
		message: /no complete answer within 500 ms/,
	},
]

describe('a check whose agent call fails is unknown, never failing', () => {
	for (const fault of FAULTS) {
		it(`${fault.name} → agent failure "${fault.code}"`, async () => {
			await baseline()
			const tracksBefore = await rows(
				"SELECT node, target, state, since FROM egress_tracks WHERE kind = 'cell' ORDER BY node, target",
			)
			const { deps } = egressDeps(fault.env())
			const started = Date.now()
			const result = await checkEgress(deps, { probeTimeoutMs: 200, agentGraceMs: 300 })
			expect(Date.now() - started).toBeLessThan(3000)
			expect(result).toMatchObject({
				outcome: 'ok',
				detail: `agent failed (${fault.code}): every cell unknown`,
			})
			const [check] = await rows<{
				id: number
				status: string
				agent_error: string
				agent_message: string
			}>('SELECT * FROM egress_checks ORDER BY id DESC LIMIT 1')
			expect(check).toMatchObject({ status: 'agent_failed', agent_error: fault.code })
			expect(check?.agent_message).toMatch(fault.message)
			// Nothing about any target was concluded.
			const samples = await rows<{ observed: string; unknown_reason: string }>(
				'SELECT observed, unknown_reason FROM egress_samples WHERE check_id = ?',
				check?.id,
			)
			expect(samples).toHaveLength(6)
			for (const s of samples) {
				expect(s).toEqual({ observed: 'unknown', unknown_reason: 'agent-unreachable' })
			}
			expect(
				await rows(
					"SELECT node, target, state, since FROM egress_tracks WHERE kind = 'cell' ORDER BY node, target",
				),
			).toEqual(tracksBefore)
			// The open window stays open: the outage is neither over nor worse.
			expect(
				await rows<{ failing_samples: number; ended_at: null }>(
					'SELECT failing_samples, ended_at FROM egress_outages',
				),
			).toEqual([{ failing_samples: 2, ended_at: null }])
			// One failed call is not yet an agent outage (damping).
			expect(
				await rows("SELECT state, candidate, streak FROM egress_tracks WHERE kind = 'agent'"),
			).toEqual([{ state: 'ok', candidate: 'failing', streak: 1 }])
		}, 20_000)
	}

	it('keeps the timeout of the agent call at probe timeout + grace', async () => {
		const { deps } = egressDeps({ AGENT_URL: net.impostors.slow })
		const started = Date.now()
		await checkEgress(deps, { probeTimeoutMs: 400, agentGraceMs: 600 })
		const took = Date.now() - started
		expect(took).toBeGreaterThanOrEqual(1000)
		expect(took).toBeLessThan(2500)
	})
})

describe('the agent track', () => {
	it('alerts "agent unreachable" once, after two failed calls, and "answers again" after two good ones', async () => {
		const good = egressDeps()
		const down = egressDeps({ AGENT_URL: net.impostors.refused })
		down.deps.jobs = good.deps.jobs // one queue, in order
		const sent = () => alerts(good.sent)
		await checkEgress(good.deps, FAST)
		await checkEgress(good.deps, FAST)
		const baselineAlerts = sent().length // the cut-off node's db cell
		await checkEgress(down.deps, FAST)
		expect(sent()).toHaveLength(baselineAlerts)
		await checkEgress(down.deps, FAST)
		const [unreachable] = sent().slice(baselineAlerts)
		expect(unreachable).toMatch(
			/^tidegate egress: 1 failing\n✗ the egress agent is unreachable \(unreachable: the agent could not be reached/,
		)
		expect(unreachable).toContain('every node × target is unknown until it answers')
		expect(unreachable).toContain('Details: https://tidegate.test/api/egress')
		await checkEgress(down.deps, FAST)
		expect(sent()).toHaveLength(baselineAlerts + 1) // still down: no news
		await checkEgress(good.deps, FAST)
		expect(sent()).toHaveLength(baselineAlerts + 1)
		await checkEgress(good.deps, FAST)
		const [back] = sent().slice(baselineAlerts + 1)
		expect(back).toMatch(
			/^tidegate egress: 1 recovered\n✓ the egress agent answers again after \d+ s/,
		)
		// The database cell stayed failing throughout, and its window never closed.
		expect(await rows('SELECT node, ended_at FROM egress_outages')).toEqual([
			{ node: net.cutOffNode, ended_at: null },
		])
	}, 30_000)
})
