/**
 * The Cloudflare API misbehaving under a reconcile (docs/reliability.md, the "Cloudflare API" fault classes): 429 storms with and
 * without Retry-After, 5xx and HTML error pages, `success: false`, 4xx validation errors, revoked
 * tokens, garbage bodies, connection resets and timeouts mid-reconcile, hand edits between read
 * and write, and a Worker invocation that dies between its two PUTs. Each case checks what was
 * written (nothing it should not, no half-applied state left behind), that the run is accounted
 * for (applied, failed with a reason, or dead-lettered with one), and that it converges.
 */
import { env } from 'cloudflare:workers'
import { HttpResponse, http } from 'msw'
import { beforeEach, describe, expect, it } from 'vitest'
import { useEdge } from '../integration/support/network.ts'
import { DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID } from '../standins/cloudflare/seed.ts'
import {
	capture,
	capturedEnv,
	changedYaml,
	commit,
	cronTick,
	DRIFT_CRON,
	desiredYaml,
	expectConverged,
	expectLiveIs,
	expectRunAccounted,
	FOREIGN,
	live,
	play,
	playWatchingFirstFailure,
	queuedRun,
	reconcileNow,
	resetWorld,
	runRow,
	writeLog,
} from './support/world.ts'

const edge = useEdge()
const API = 'https://api.cloudflare.test/client/v4'
const TUNNEL_CONFIG = `${API}/accounts/:account/cfd_tunnel/:tunnel/configurations`
const DEFAULT_INCLUDE = `${API}/accounts/:account/devices/policy/include`

beforeEach(async () => {
	await resetWorld(edge)
})

/** Applies the base desired state, then commits a change; returns the new yaml. */
async function appliedThenChanged(): Promise<string> {
	await commit(edge, desiredYaml())
	expect((await reconcileNow()).status).toBe('applied')
	const next = changedYaml()
	await commit(edge, next)
	edge.cloudflare.clearRequests()
	return next
}

async function blockedUntil(): Promise<number | null> {
	const row = await env.DB.prepare(
		"SELECT value FROM settings WHERE key = 'cloudflare.blocked_until'",
	).first<{ value: string }>()
	return row ? Number(row.value) : null
}

/** The clock moves past Cloudflare's block (the suite does not wait minutes in real time). */
async function blockExpires(): Promise<void> {
	await env.DB.prepare(
		"UPDATE settings SET value = '0' WHERE key = 'cloudflare.blocked_until'",
	).run()
}

describe('Cloudflare API: 429 storms', () => {
	for (const retryAfter of [120, undefined]) {
		it(`a storm ${retryAfter ? `with Retry-After: ${retryAfter}` : 'without Retry-After'}: one read in all, the block is kept and honoured, nothing written, then converges`, async () => {
			const yaml = await appliedThenChanged()
			const before = live(edge)
			edge.cloudflare.addFault({
				kind: 'rate-limit',
				path: '**',
				...(retryAfter !== undefined && { retryAfter }),
			})
			const started = Date.now()
			const { runId, message } = await queuedRun({ trigger: 'push' })
			const played = await play(message)
			// The first read meets the 429 and the run stops reading; every later delivery sees the
			// persisted block and calls nothing.
			expect(edge.cloudflare.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 429'])
			const wait = retryAfter ?? 300
			expect(played.delays[0]).toBe(wait)
			for (const delay of played.delays.slice(1)) {
				expect(delay).toBeGreaterThan(wait - 5)
				expect(delay).toBeLessThanOrEqual(wait)
			}
			expect(await blockedUntil()).toBeGreaterThanOrEqual(started + wait * 1000)
			// The cron tick during the block queues its drift run, which also calls nothing.
			const { queue, sent } = capture()
			await cronTick(DRIFT_CRON, capturedEnv(queue))
			const drift = sent.find((m) => m.kind === 'reconcile')
			expect(drift).toBeDefined()
			const driftPlayed = await play(drift, { between: () => undefined })
			expect(driftPlayed.delays.every((d) => d > wait - 5)).toBe(true)
			expect(edge.cloudflare.requests).toHaveLength(1)
			expect(edge.cloudflare.writes()).toEqual([])
			expect(live(edge)).toEqual(before)
			// Retries spent: dead-lettered, with the cause in the reason.
			expect(played.deadLettered).toBe(true)
			const run = await runRow(runId)
			expect(run.status).toBe('dead')
			await expectRunAccounted(run)
			const letter = await env.DB.prepare(
				"SELECT reason FROM dead_letters WHERE json_extract(body, '$.runId') = ?",
			)
				.bind(runId)
				.first<{ reason: string }>()
			expect(letter?.reason).toMatch(/rate-limited|rate limit/)
			// The storm passes and the block expires: the next reconcile converges.
			edge.cloudflare.clearFaults()
			await blockExpires()
			expect((await reconcileNow({ trigger: 'drift' })).status).toBe('applied')
			await expectConverged(edge, yaml)
		})
	}

	it('a single 429 on the second PUT leaves the tunnel applied; the retry writes only the rest', async () => {
		const yaml = await appliedThenChanged()
		edge.cloudflare.addFault({
			kind: 'rate-limit',
			method: 'PUT',
			path: 'accounts/*/devices/policy/include',
			retryAfter: 30,
			times: 1,
		})
		const { runId, message } = await queuedRun({ trigger: 'push' })
		const played = await play(message, { between: blockExpires })
		expect(played.delays).toEqual([30])
		expect(writeLog(edge)).toEqual([
			'PUT tunnel 200',
			'PUT split-tunnel 429',
			'PUT split-tunnel 200',
		])
		expect((await runRow(runId)).status).toBe('applied')
		await expectConverged(edge, yaml)
	})
})

describe('Cloudflare API: 5xx and HTML error pages', () => {
	const json = [500, 502, 503, 504].map((status) => ({
		name: `JSON ${status} on the first read`,
		fault: { kind: 'status' as const, status, method: 'GET', path: 'accounts/*/cfd_tunnel/**' },
	}))
	const html = [502, 503, 504, 520, 521, 522, 523, 524].map((status) => ({
		name: `HTML ${status} page on the tunnel PUT`,
		fault: { kind: 'html' as const, status, method: 'PUT', path: 'accounts/*/cfd_tunnel/**' },
	}))
	for (const { name, fault } of [...json, ...html]) {
		it(`${name}: retried with backoff, nothing half-written, converges`, async () => {
			const yaml = await appliedThenChanged()
			const before = live(edge)
			edge.cloudflare.addFault({ ...fault, times: 1 })
			const { runId, message } = await queuedRun({ trigger: 'push' })
			const played = await playWatchingFirstFailure(edge, message)
			expect(played.delays).toEqual([10])
			// The failed attempt wrote nothing: the fault hit the read, or the first PUT.
			expect(played.afterFirst).toEqual(before)
			expect(writeLog(edge).filter((w) => w.endsWith(' 200'))).toEqual([
				'PUT tunnel 200',
				'PUT split-tunnel 200',
			])
			expect((await runRow(runId)).status).toBe('applied')
			await expectConverged(edge, yaml)
		})
	}

	it('a 503 that lasts: backoff 10, 20, 40, 80, 160, 320 s over six deliveries, then the dead-letter queue with the cause', async () => {
		const yaml = await appliedThenChanged()
		edge.cloudflare.addFault({ kind: 'status', status: 503, method: 'GET', path: '**' })
		const { runId, message } = await queuedRun({ trigger: 'push' })
		const played = await play(message)
		expect(played.delays).toEqual([10, 20, 40, 80, 160, 320])
		expect(played.deadLettered).toBe(true)
		expect(edge.cloudflare.writes()).toEqual([])
		const run = await runRow(runId)
		expect(run.status).toBe('dead')
		expect(run.error_message).toMatch(/Cloudflare answered 503/)
		const letter = await env.DB.prepare(
			"SELECT reason FROM dead_letters WHERE json_extract(body, '$.runId') = ?",
		)
			.bind(runId)
			.first<{ reason: string }>()
		expect(letter?.reason).toMatch(/retries exhausted.*Cloudflare answered 503/)
		edge.cloudflare.clearFaults()
		expect((await reconcileNow({ trigger: 'drift' })).status).toBe('applied')
		await expectConverged(edge, yaml)
	})
})

describe('Cloudflare API: success:false, 4xx and unreadable answers', () => {
	it('200 with "success": false on the tunnel PUT fails the run without a retry, writing nothing', async () => {
		const yaml = await appliedThenChanged()
		const before = live(edge)
		edge.cloudflare.addFault({
			kind: 'success-false',
			method: 'PUT',
			path: 'accounts/*/cfd_tunnel/**',
			times: 1,
		})
		const { runId, message } = await queuedRun({ trigger: 'push' })
		const played = await play(message)
		expect(played.delays).toEqual([])
		const run = await runRow(runId)
		expect(run).toMatchObject({ status: 'failed', error_code: 'cloudflare_rejected' })
		await expectRunAccounted(run)
		expect(live(edge)).toEqual(before)
		expect((await reconcileNow({ trigger: 'drift' })).status).toBe('applied')
		await expectConverged(edge, yaml)
	})

	it('200 with "success": false on a read is not an empty state: nothing is written', async () => {
		await commit(edge, desiredYaml())
		edge.cloudflare.addFault({
			kind: 'success-false',
			method: 'GET',
			path: 'accounts/*/devices/policy/include',
			times: 1,
		})
		const run = await reconcileNow({ trigger: 'push' })
		expect(run.status).toMatch(/failed|refused/)
		expect(edge.cloudflare.writes().filter((w) => w.path.includes('/devices/'))).toEqual([])
		expect(live(edge).include).toEqual(FOREIGN)
		await expectRunAccounted(run)
		expect((await reconcileNow({ trigger: 'drift' })).status).toBe('applied')
		await expectConverged(edge, desiredYaml())
	})

	it("Cloudflare's catch-all validation error (400, code 1056) is marked invalid and not retried", async () => {
		const yaml = await appliedThenChanged()
		edge.cloudflare.addFault({
			kind: 'status',
			status: 400,
			code: 1056,
			message:
				'Bad Configuration: Validation failed: The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)',
			method: 'PUT',
			path: 'accounts/*/cfd_tunnel/**',
			times: 1,
		})
		const { runId, message } = await queuedRun({ trigger: 'push' })
		expect((await play(message)).delays).toEqual([])
		const run = await runRow(runId)
		expect(run).toMatchObject({ status: 'failed', error_code: 'cloudflare_rejected' })
		expect(run.error_message).toMatch(/1056 Bad Configuration/)
		expect((await reconcileNow()).status).toBe('applied')
		await expectConverged(edge, yaml)
	})

	for (const status of [401, 403]) {
		it(`a revoked token (${status}) fails at once, names the token, no retry loop`, async () => {
			await appliedThenChanged()
			edge.cloudflare.addFault({
				kind: 'status',
				status,
				code: 10000,
				message: 'Authentication error',
				path: 'accounts/*/cfd_tunnel/**',
			})
			const { runId, message } = await queuedRun({ trigger: 'push' })
			expect((await play(message)).delays).toEqual([])
			const run = await runRow(runId)
			expect(run).toMatchObject({ status: 'failed', error_code: 'cloudflare_auth' })
			expect(run.error_message).toMatch(/CF_TUNNEL_API_TOKEN was refused/)
			expect(edge.cloudflare.requests.filter((r) => r.scope === 'tunnel')).toHaveLength(1)
			expect(edge.cloudflare.writes()).toEqual([])
		})
	}

	for (const [name, body] of [
		['truncated JSON', '{"success":true,"errors":[],"result":{"config":{"ingress":['],
		['garbage', '\u0000\u0001not json at all'],
		['JSON without the envelope', '{"ingress":[]}'],
	] as const) {
		it(`a read answered 200 with ${name} is retried, never taken as an empty tunnel`, async () => {
			const yaml = await appliedThenChanged()
			const before = live(edge)
			let served = 0
			edge.use(
				http.get(TUNNEL_CONFIG, () => {
					served++
					return served === 1
						? new HttpResponse(body, {
								status: 200,
								headers: { 'content-type': 'application/json' },
							})
						: undefined
				}),
			)
			const { runId, message } = await queuedRun({ trigger: 'push' })
			const played = await playWatchingFirstFailure(edge, message)
			expect(played.delays).toEqual([10])
			expect(played.afterFirst).toEqual(before)
			expect((await runRow(runId)).status).toBe('applied')
			await expectConverged(edge, yaml)
		})
	}

	it('a live include list someone wiped is refused, not written over, until a person forces it', async () => {
		const yaml = desiredYaml()
		await commit(edge, yaml)
		await reconcileNow()
		edge.cloudflare.handEdit({ kind: 'split-tunnel', accountId: DEFAULT_ACCOUNT_ID, list: [] })
		edge.cloudflare.handEdit({
			kind: 'tunnel-config',
			accountId: DEFAULT_ACCOUNT_ID,
			tunnelId: DEFAULT_TUNNEL_ID,
			config: { ingress: [{ service: 'http_status:404' }] },
		})
		edge.cloudflare.clearRequests()
		// Every other team's entry vanished at once: a wrong answer is likelier than a mass deletion.
		const drift = await reconcileNow({ trigger: 'drift' })
		expect(drift.status).toBe('refused')
		expect(drift.summary).toMatch(
			/^refused: 3 of the 3 other teams' split-tunnel include entries seen at tidegate's last write are missing/,
		)
		expect(edge.cloudflare.writes()).toEqual([])
		// A person looked and forces it: tidegate restores its own entries (and the tunnel) only.
		const forced = await reconcileNow({ trigger: 'api', force: true })
		expect(forced.status).toBe('applied')
		const plan = JSON.parse(forced.plan ?? '{}') as {
			resources: { changes: { action: string; cause: string }[] }[]
		}
		expect(plan.resources.flatMap((r) => r.changes.map((c) => `${c.action}:${c.cause}`))).toEqual(
			Array(5).fill('add:hand-edit'),
		)
		await expectConverged(edge, yaml, [])
	})
})

describe('Cloudflare API: timeouts and connection resets mid-reconcile', () => {
	it('the connection drops after Cloudflare applied the tunnel PUT: the retry re-reads and does not write it again', async () => {
		const yaml = await appliedThenChanged()
		let dropped = false
		edge.use(
			http.put(TUNNEL_CONFIG, async ({ request }) => {
				if (dropped) {
					return undefined
				}
				dropped = true
				await edge.cloudflare.fetch(request as unknown as Request)
				return HttpResponse.error()
			}),
		)
		const { runId, message } = await queuedRun({ trigger: 'push' })
		const played = await play(message)
		expect(played.delays).toEqual([10])
		// One tunnel write (applied, answer lost), then only the split tunnel on the retry.
		expect(writeLog(edge)).toEqual(['PUT tunnel 200', 'PUT split-tunnel 200'])
		const run = await runRow(runId)
		expect(run.status).toBe('applied')
		await expectConverged(edge, yaml)
	})

	it('the connection drops on a read: nothing written, retried, converges', async () => {
		const yaml = await appliedThenChanged()
		let dropped = false
		edge.use(
			http.get(DEFAULT_INCLUDE, () => {
				if (dropped) {
					return undefined
				}
				dropped = true
				return HttpResponse.error()
			}),
		)
		const { runId, message } = await queuedRun({ trigger: 'push' })
		const before = live(edge)
		const played = await playWatchingFirstFailure(edge, message)
		expect(played.delays).toEqual([10])
		expect(played.afterFirst).toEqual(before)
		expect((await runRow(runId)).status).toBe('applied')
		await expectConverged(edge, yaml)
	})

	it('a slow answer (the stand-in waits before answering) does not change the outcome', async () => {
		const yaml = await appliedThenChanged()
		edge.cloudflare.addFault({ kind: 'delay', ms: 300, method: 'PUT', path: '**', times: 2 })
		const run = await reconcileNow({ trigger: 'push' })
		expect(run.status).toBe('applied')
		await expectConverged(edge, yaml)
	})
})

describe('Cloudflare API: a hand edit between read and write', () => {
	it('the tunnel version moves between plan and PUT: re-planned against the edit, converges', async () => {
		const yaml = await appliedThenChanged()
		edge.cloudflare.addFault({
			kind: 'hand-edit',
			method: 'GET',
			path: 'accounts/*/devices/policy',
			times: 1,
			edit: {
				kind: 'tunnel-config',
				accountId: DEFAULT_ACCOUNT_ID,
				tunnelId: DEFAULT_TUNNEL_ID,
				config: {
					ingress: [
						{ hostname: 'debug.example.com', service: 'http://debug:80' },
						{ service: 'http_status:404' },
					],
				},
			},
		})
		const run = await reconcileNow({ trigger: 'push' })
		expect(run.status).toBe('applied')
		expect(run.warnings).toMatch(/between plan and write/)
		expect(writeLog(edge)).toEqual(['PUT tunnel 200', 'PUT split-tunnel 200'])
		await expectConverged(edge, yaml)
	})

	it("another team adds an entry between tidegate's read and its PUT: their entry survives", async () => {
		const yaml = await appliedThenChanged()
		const theirs = { address: '10.99.0.0/16', description: 'Data team VPC - data' }
		// Fires after the tunnel PUT (the connector check), before the split tunnel's re-read.
		edge.cloudflare.addFault({
			kind: 'hand-edit',
			method: 'GET',
			path: 'accounts/*/cfd_tunnel/*/connections',
			times: 1,
			edit: {
				kind: 'split-tunnel',
				accountId: DEFAULT_ACCOUNT_ID,
				list: (list) => [...list, theirs],
			},
		})
		const run = await reconcileNow({ trigger: 'push' })
		expect(run.status).toBe('applied')
		expect(run.warnings).toMatch(/split-tunnel list changed between plan and write/)
		expect(live(edge).include).toContainEqual(theirs)
		await expectConverged(edge, yaml, [...FOREIGN, theirs])
	})

	it('someone removes one of tidegate’s entries between read and PUT: it is put back', async () => {
		const yaml = await appliedThenChanged()
		edge.cloudflare.addFault({
			kind: 'hand-edit',
			method: 'GET',
			path: 'accounts/*/cfd_tunnel/*/connections',
			times: 1,
			edit: {
				kind: 'split-tunnel',
				accountId: DEFAULT_ACCOUNT_ID,
				list: (list) => list.filter((e) => !('address' in e && e.address === '10.42.0.0/16')),
			},
		})
		const run = await reconcileNow({ trigger: 'push' })
		expect(run.status).toBe('applied')
		await expectConverged(edge, yaml)
	})
})

describe('Killed between the two PUTs', () => {
	it('the split-tunnel PUT fails after the tunnel PUT succeeded: the retry converges without rewriting the tunnel', async () => {
		const yaml = await appliedThenChanged()
		edge.cloudflare.addFault({
			kind: 'status',
			status: 503,
			method: 'PUT',
			path: 'accounts/*/devices/policy/include',
			times: 1,
		})
		const { runId, message } = await queuedRun({ trigger: 'push' })
		let halfway: ReturnType<typeof live> | undefined
		const played = await play(message, {
			between: () => {
				halfway = live(edge)
			},
		})
		expect(played.delays).toEqual([10])
		// Half-applied between the deliveries: the new tunnel, the old include list…
		expect(halfway?.ingress[0]?.service).toMatch(/:8086$/)
		expect(halfway?.include.some((e) => 'address' in e && e.address === '192.168.2.0/24')).toBe(
			true,
		)
		// …and the retry finishes it with one more write.
		expect(writeLog(edge)).toEqual([
			'PUT tunnel 200',
			'PUT split-tunnel 503',
			'PUT split-tunnel 200',
		])
		expect((await runRow(runId)).status).toBe('applied')
		await expectConverged(edge, yaml)
	})

	it('the invocation dies right after the tunnel PUT (before recording it): the redelivery converges', async () => {
		const yaml = await appliedThenChanged()
		// The crash: D1 is unusable the moment the tunnel PUT is answered, so the Worker throws.
		let crashed = false
		edge.use(
			http.put(TUNNEL_CONFIG, async ({ request }) => {
				const response = await edge.cloudflare.fetch(request as unknown as Request)
				if (!crashed) {
					crashed = true
					await env.DB.prepare('ALTER TABLE applications RENAME TO applications_gone').run()
				}
				return response
			}),
		)
		const { runId, message } = await queuedRun({ trigger: 'push' })
		const played = await play(message, {
			between: async () => {
				if ((await runRow(runId)).status === 'running') {
					// What a dead invocation leaves: the run `running`, the message unacknowledged.
					await env.DB.prepare('ALTER TABLE applications_gone RENAME TO applications').run()
				}
			},
		})
		expect(played.deliveries).toBe(2)
		expect(writeLog(edge)).toEqual(['PUT tunnel 200', 'PUT split-tunnel 200'])
		const run = await runRow(runId)
		expect(run.status).toBe('applied')
		await expectConverged(edge, yaml)
		expectLiveIs(edge, yaml)
	})
})
