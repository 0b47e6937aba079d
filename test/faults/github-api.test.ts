/**
 * GitHub's API failing while a push is being applied (docs/reliability.md, "GitHub API: outages during a push"): the branch head,
 * the file or the commit statuses answer 5xx, rate limits, 401 or nothing at all. A failed read
 * is never an empty desired state: nothing is written to Cloudflare until the read succeeds; the
 * push's run retries and converges, or ends in the dead-letter queue with the cause.
 */
import { HttpResponse, http } from 'msw'
import { beforeEach, describe, expect, it } from 'vitest'
import { useEdge } from '../integration/support/network.ts'
import type { FaultSpec } from '../standins/github/faults.ts'
import {
	capture,
	capturedEnv,
	changedYaml,
	commit,
	desiredYaml,
	expectAccounted,
	expectConverged,
	live,
	play,
	playWatchingFirstFailure,
	reconcileNow,
	resetWorld,
	runRow,
	sendPush,
} from './support/world.ts'

const edge = useEdge()
const GITHUB = 'https://api.github.test'

beforeEach(async () => {
	await resetWorld(edge)
})

/** Applies the base state, commits a change and pushes it through the real intake (queue captured). */
async function pushChange() {
	await commit(edge, desiredYaml())
	await reconcileNow()
	const yaml = changedYaml()
	const sha = await commit(edge, yaml)
	edge.cloudflare.clearRequests()
	const { queue, sent } = capture()
	const onEnv = capturedEnv(queue)
	const pushed = await sendPush({ after: sha, onEnv })
	expect(pushed.status).toBe(202)
	const reconcile = sent.find((m) => m.kind === 'reconcile')
	const preflight = sent.find((m) => m.kind === 'preflight')
	if (reconcile?.kind !== 'reconcile' || !preflight) {
		throw new Error('the push queued no reconcile')
	}
	return { yaml, sha, deliveryId: pushed.deliveryId, reconcile, preflight }
}

const HEAD = '/repos/*/*/git/ref/heads/**'
const CONTENTS = '/repos/*/*/contents/**'
const STATUSES = '/repos/*/*/statuses/*'

describe('GitHub API: outages during a push', () => {
	const transient: { name: string; fault: FaultSpec; delays: number[] }[] = [
		{
			name: 'the branch head answers 500',
			fault: { kind: 'server-error', path: HEAD, times: 1 },
			delays: [10],
		},
		{
			name: 'the branch head answers 503 twice',
			fault: { kind: 'server-error', status: 503, path: HEAD, times: 2 },
			delays: [10, 20],
		},
		{
			name: 'the file answers 502',
			fault: { kind: 'server-error', status: 502, path: CONTENTS, times: 1 },
			delays: [10],
		},
		{
			name: 'a secondary rate limit (403, Retry-After: 60)',
			fault: { kind: 'secondary-rate-limit', path: HEAD, retryAfter: 60, times: 1 },
			delays: [60],
		},
		{
			name: 'the primary rate limit is spent (403, x-ratelimit-remaining: 0)',
			fault: { kind: 'primary-rate-limit', path: HEAD, resetAfter: 120, times: 1 },
			delays: [120],
		},
	]
	for (const { name, fault, delays } of transient) {
		it(`${name}: nothing written, retried, converges`, async () => {
			const { yaml, reconcile, deliveryId } = await pushChange()
			const applied = live(edge)
			edge.github.addFault(fault)
			const played = await playWatchingFirstFailure(edge, reconcile)
			// Backoff, or GitHub's own wait (a reset time may be a second closer by now).
			expect(played.delays).toHaveLength(delays.length)
			expect(played.delays[0]).toBeGreaterThanOrEqual((delays[0] ?? 0) - 2)
			expect(played.delays[0]).toBeLessThanOrEqual(delays[0] ?? 0)
			expect(played.delays.slice(1)).toEqual(delays.slice(1))
			expect(played.afterFirst).toEqual(applied)
			expect((await runRow(reconcile.runId)).status).toBe('applied')
			await expectAccounted([deliveryId])
			await expectConverged(edge, yaml)
		})
	}

	it('the network to GitHub fails (no answer at all): nothing written, retried, converges', async () => {
		const { yaml, reconcile, deliveryId } = await pushChange()
		const applied = live(edge)
		let failed = 0
		edge.use(
			http.get(`${GITHUB}/repos/:owner/:repo/git/ref/heads/:branch`, () => {
				if (failed > 0) {
					return undefined
				}
				failed++
				return HttpResponse.error()
			}),
		)
		const played = await playWatchingFirstFailure(edge, reconcile)
		expect(played.delays).toEqual([10])
		expect(played.afterFirst).toEqual(applied)
		await expectAccounted([deliveryId])
		await expectConverged(edge, yaml)
	})

	it('GitHub down for good: six deliveries, nothing written, dead-lettered with the cause; then converges', async () => {
		const { yaml, reconcile, deliveryId } = await pushChange()
		const applied = live(edge)
		edge.github.addFault({ kind: 'server-error', status: 503, path: '/repos/**', times: 'always' })
		const played = await play(reconcile)
		expect(played.deadLettered).toBe(true)
		expect(edge.cloudflare.writes()).toEqual([])
		expect(live(edge)).toEqual(applied)
		const run = await runRow(reconcile.runId)
		expect(run.status).toBe('dead')
		await expectAccounted([deliveryId])
		edge.github.clearFaults()
		expect((await reconcileNow({ trigger: 'drift' })).status).toBe('applied')
		await expectConverged(edge, yaml)
	})

	it('a revoked GitHub token (401) fails at once without a retry loop, writing nothing', async () => {
		const { reconcile, deliveryId } = await pushChange()
		edge.github.addFault({ kind: 'status', status: 401, path: HEAD, times: 'always' })
		const played = await play(reconcile)
		expect(played.delays).toEqual([])
		const run = await runRow(reconcile.runId)
		expect(run).toMatchObject({ status: 'failed', error_code: 'github_auth' })
		expect(edge.cloudflare.writes()).toEqual([])
		await expectAccounted([deliveryId])
	})

	it('commit statuses cannot be posted: the edge is still applied, once, and the run says so', async () => {
		const { yaml, sha, reconcile, deliveryId } = await pushChange()
		edge.github.addFault({ kind: 'server-error', path: STATUSES, times: 'always' })
		const played = await play(reconcile)
		expect(played.delays).toEqual([])
		expect((await runRow(reconcile.runId)).status).toBe('applied')
		expect(await edge.github.statuses({ ref: sha })).toEqual([])
		await expectAccounted([deliveryId])
		await expectConverged(edge, yaml)
	})

	it("the push's pre-flight check retries through the same outage and writes nothing to Cloudflare", async () => {
		const { preflight } = await pushChange()
		edge.github.addFault({ kind: 'server-error', path: CONTENTS, times: 1 })
		const played = await play(preflight)
		expect(played.delays).toEqual([10])
		expect(edge.cloudflare.writes()).toEqual([])
	})
})
