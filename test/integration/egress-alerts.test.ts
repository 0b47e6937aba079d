/**
 * Egress alerts on confirmed transitions only, with the damping policy of
 * src/domain/egress/tracking.ts (2 agreeing samples either way), against real agents.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { HttpResponse, http } from 'msw'
import { beforeEach, describe, expect, it } from 'vitest'
import { checkEgress } from '../../src/app/egress/check.ts'
import { jobMessageSchema } from '../../src/contracts/queue.ts'
import worker from '../../workers/index.ts'
import {
	alerts,
	commitYaml,
	egressDeps,
	egressYaml,
	FAST,
	net,
	resetEgress,
	SEED_TARGETS,
} from './support/egress.ts'
import { useEdge } from './support/network.ts'

const ALERT_URL = 'https://alerts.test/hook/T000/B000'
const received: string[] = []
const edge = useEdge({
	handlers: [
		http.post(ALERT_URL, async ({ request }) => {
			received.push(((await request.json()) as { text: string }).text)
			return HttpResponse.text('ok')
		}),
	],
})

beforeEach(async () => {
	await edge.github.reset()
	await resetEgress()
	received.length = 0
})

const withAlerts = () => egressDeps({ ALERT_WEBHOOK_URL: ALERT_URL })
const api = (port: number) => egressYaml({ targets: [{ name: 'api', port, probe: 'http' }] })

describe('cell transitions', () => {
	it("alerts the seed's firewall case once, after the second failing sample, naming the node, its egress IP and both possible causes", async () => {
		await commitYaml(
			edge,
			egressYaml({ targets: SEED_TARGETS, expect: [{ target: 'labelfish-db', nodes: 'all' }] }),
		)
		const { deps, sent } = withAlerts()
		await checkEgress(deps, FAST)
		expect(alerts(sent)).toEqual([]) // a new cell is presumed ok: one failure is not enough
		await checkEgress(deps, FAST)
		const [text] = alerts(sent)
		expect(alerts(sent)).toHaveLength(1)
		expect(text).toMatch(
			new RegExp(
				`^tidegate egress: 1 failing\\n✗ node-c \\(egress 127\\.0\\.0\\.4\\) cannot reach labelfish-db \\(127\\.0\\.0\\.1:${net.ports.db} postgres\\) since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(since the first checks\\) — timeout in handshake`,
			),
		)
		expect(text).toContain(
			"node-c cannot reach it (timeout) while node-a, node-b can; the edge reaches it: a node-level firewall or route, or the target's IP allowlist missing 127.0.0.4 (node-c)",
		)
		await checkEgress(deps, FAST)
		await checkEgress(deps, FAST)
		expect(alerts(sent)).toHaveLength(1) // still failing: no news
	}, 20_000)

	it('sends one alert for a target failing on every node, and one when it recovers, with the outage length', async () => {
		const { deps, sent } = withAlerts()
		const tick = async (port: number) => {
			await commitYaml(edge, api(port))
			await checkEgress(deps, FAST)
		}
		await tick(net.ports.app)
		await tick(net.ports.app)
		expect(alerts(sent)).toEqual([]) // unknown → ok is silent
		await tick(net.ports.refused)
		await tick(net.ports.refused)
		const [down] = alerts(sent)
		expect(down?.split('\n')).toHaveLength(5) // head, 3 nodes, details link
		expect(down).toMatch(/^tidegate egress: 3 failing\n/)
		for (const node of net.nodes) {
			expect(down).toContain(
				`✗ ${node.name} (egress ${node.source}) cannot reach api (127.0.0.1:${net.ports.refused} http)`,
			)
		}
		expect(down).toContain('down everywhere: no node (refused) and not the edge (refused)')
		await tick(net.ports.app)
		expect(alerts(sent)).toHaveLength(1)
		await tick(net.ports.app)
		const back = alerts(sent)[1]
		expect(back).toMatch(/^tidegate egress: 3 recovered\n/)
		expect(back).toMatch(
			/✓ node-a \(egress 127\.0\.0\.2\) reaches api \(127\.0\.0\.1:\d+ http\) again after \d+ s out/,
		)
	}, 30_000)

	it('never alerts a target that flaps every other sample', async () => {
		const { deps, sent } = withAlerts()
		for (const port of [
			net.ports.app,
			net.ports.refused,
			net.ports.app,
			net.ports.refused,
			net.ports.app,
			net.ports.refused,
			net.ports.app,
		]) {
			await commitYaml(edge, api(port))
			await checkEgress(deps, FAST)
		}
		expect(alerts(sent)).toEqual([])
	}, 30_000)

	it('does not alert a node that egress.expect leaves out (a GPU node kept off the database)', async () => {
		await commitYaml(
			edge,
			egressYaml({
				targets: SEED_TARGETS,
				expect: [{ target: 'labelfish-db', nodes: ['node-a', 'node-b'] }],
			}),
		)
		const { deps, sent } = withAlerts()
		await checkEgress(deps, FAST)
		const result = await checkEgress(deps, FAST)
		expect(result.detail).toBe(
			'3 nodes × 2 targets: 5 ok, 1 failing, 0 unknown; expectations 1/1 met',
		)
		expect(alerts(sent)).toEqual([])
	}, 20_000)

	it('queues nothing without ALERT_WEBHOOK_URL, but still tracks the transition', async () => {
		await commitYaml(edge, egressYaml({ targets: SEED_TARGETS }))
		const { deps, sent } = egressDeps({ ALERT_WEBHOOK_URL: '' })
		await checkEgress(deps, FAST)
		const result = await checkEgress(deps, FAST)
		expect(result.alert).toMatch(/^tidegate egress: 1 failing/)
		expect(sent).toEqual([])
	}, 20_000)
})

describe('delivery', () => {
	it('reaches the Slack-compatible webhook through the JOBS queue', async () => {
		await commitYaml(edge, egressYaml({ targets: SEED_TARGETS }))
		const { deps, sent } = withAlerts()
		await checkEgress(deps, FAST)
		await checkEgress(deps, FAST)
		expect(sent).toHaveLength(1)
		const message = jobMessageSchema.parse(sent[0])
		expect(message).toMatchObject({ v: 1, kind: 'alert', source: 'egress' })
		const batch = createMessageBatch('tidegate-jobs', [
			{ id: 'alert-1', timestamp: new Date(), attempts: 1, body: message },
		])
		const ctx = createExecutionContext()
		await worker.queue(batch, { ...env, ALERT_WEBHOOK_URL: ALERT_URL } as Env, ctx)
		const result = await getQueueResult(batch, ctx)
		expect(result.explicitAcks).toEqual(['alert-1'])
		expect(received).toHaveLength(1)
		expect(received[0]).toMatch(
			/^tidegate egress: 1 failing\n✗ node-c \(egress 127\.0\.0\.4\) cannot reach labelfish-db/,
		)
	}, 20_000)
})
