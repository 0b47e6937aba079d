/**
 * Bad input at the webhook doors (docs/reliability.md, the "GitHub intake" and "Flux intake" fault classes): forged, malformed, oversized,
 * mistyped and misdirected deliveries to `POST /webhooks/github` and `POST /webhooks/flux` of the
 * real Worker. A refused delivery leaves no trace (no delivery row, no run, no queue message, no
 * Cloudflare call); an accepted one is accounted for; nothing answers 5xx except the Worker's
 * own faults (a missing secret).
 */
import { createExecutionContext } from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import worker from '../../workers/index.ts'
import { fluxDelivery, fluxEvent, sendFlux } from '../integration/support/flux.ts'
import { githubDelivery, pushPayload, streamedDelivery } from '../integration/support/github.ts'
import { useEdge } from '../integration/support/network.ts'
import {
	allRuns,
	capture,
	capturedEnv,
	changedYaml,
	commit,
	desiredYaml,
	expectAccounted,
	expectLiveIs,
	play,
	resetWorld,
	runRow,
	sendPush,
} from './support/world.ts'

const edge = useEdge()

beforeEach(async () => {
	await resetWorld(edge)
	await env.DB.prepare('DELETE FROM flux_events').run()
})

async function deliveryCount(): Promise<number> {
	return (
		(await env.DB.prepare('SELECT COUNT(*) AS n FROM github_deliveries').first<{ n: number }>())
			?.n ?? 0
	)
}

/** Sends a request to the Worker with its queue captured; returns the status and what was queued. */
async function send(request: Request, overrides: Partial<Env> = {}) {
	const { queue, sent } = capture()
	const response = await worker.fetch(
		request,
		{ ...capturedEnv(queue), ...overrides } as Env,
		createExecutionContext(),
	)
	return { status: response.status, body: await response.text(), sent }
}

/** An accepted delivery: the queue plays what it was sent, then the delivery is accounted for. */
async function expectAcceptedAndAccounted(result: Awaited<ReturnType<typeof send>>) {
	for (const message of result.sent) {
		if (message.kind === 'reconcile') {
			await play(message)
		}
	}
	await expectAccounted([JSON.parse(result.body).deliveryId])
}

/** A refusal: the status, and no trace anywhere. */
async function expectRefused(
	request: Request,
	status: number | RegExp,
	overrides: Partial<Env> = {},
) {
	const result = await send(request, overrides)
	if (typeof status === 'number') {
		expect(result.status, result.body).toBe(status)
	} else {
		expect(String(result.status)).toMatch(status)
	}
	expect(JSON.parse(result.body)).toMatchObject({ error: { code: expect.any(String) } })
	expect(result.sent).toEqual([])
	expect(await deliveryCount()).toBe(0)
	expect(await allRuns()).toEqual([])
	expect(edge.cloudflare.requests).toEqual([])
	return result
}

const signedWith = async (signature: string | null, headers: Record<string, string> = {}) =>
	githubDelivery(pushPayload(), { signature, headers })

const withBody = async (body: string, options: Parameters<typeof githubDelivery>[1] = {}) =>
	githubDelivery(body, options)

describe('GitHub intake: forged and malformed signatures', () => {
	const cases: [string, () => Promise<Request>][] = [
		['no signature', () => signedWith(null)],
		[
			'only the legacy sha1 header',
			() => signedWith(null, { 'x-hub-signature': `sha1=${'0'.repeat(40)}` }),
		],
		['a wrong secret', () => githubDelivery(pushPayload(), { secret: 'not-the-secret' })],
		[
			'one body byte flipped after signing',
			async () => {
				const good = await githubDelivery(pushPayload())
				const text = pushPayload().replace('marie', 'marif')
				return new Request(good.url, { method: 'POST', headers: good.headers, body: text })
			},
		],
		['"sha256=" and nothing', () => signedWith('sha256=')],
		['odd-length hex', () => signedWith(`sha256=${'a'.repeat(63)}`)],
		['non-hex characters', () => signedWith(`sha256=${'g'.repeat(64)}`)],
		['uppercase hex', () => signedWith(`sha256=${'A'.repeat(64)}`)],
		['a trailing space', () => signedWith(`sha256=${'a'.repeat(64)} `)],
		['sha512=', () => signedWith(`sha512=${'a'.repeat(128)}`)],
		[
			'two signatures folded into one header',
			() => signedWith(`sha256=${'a'.repeat(64)}, sha256=${'b'.repeat(64)}`),
		],
	]
	for (const [name, build] of cases) {
		it(`${name} → 401, no trace`, async () => {
			await expectRefused(await build(), 401)
		})
	}

	it('a missing secret fails closed: 503, never accepted', async () => {
		await expectRefused(await githubDelivery(pushPayload()), 503, {
			GITHUB_WEBHOOK_SECRET: '',
			GITHUB_WEBHOOK_SECRET_PREVIOUS: '',
		} as Partial<Env>)
	})

	it('the previous secret is accepted during rotation; a third one is not', async () => {
		const old = await send(
			await githubDelivery(pushPayload(), {
				secret: 'test-github-webhook-secret-old-0123456789abcdef',
			}),
		)
		expect(old.status).toBe(202)
		await expectAcceptedAndAccounted(old)
		const { status } = await send(
			await githubDelivery(pushPayload(), {
				secret: 'test-github-webhook-secret-older-0123456789abcdef',
			}),
		)
		expect(status).toBe(401)
	})

	it("GitHub's published test vector is valid", async () => {
		const { verifyGitHubSignature } = await import('../../src/webhooks/github.ts')
		expect(
			await verifyGitHubSignature(
				'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
				new TextEncoder().encode('Hello, World!'),
				["It's a Secret to Everybody"],
			),
		).toBe('valid')
	})
})

describe('GitHub intake: bodies that are signed but wrong', () => {
	const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
	const cases: [string, string, number][] = [
		['invalid JSON', '{"ref": ', 400],
		['truncated JSON', pushPayload().slice(0, 200), 400],
		['a top-level array', '[]', 400],
		['null', 'null', 400],
		['100,000 levels of nesting', deep, 400],
		[
			'a push without repository',
			JSON.stringify({ ...JSON.parse(pushPayload()), repository: undefined }),
			400,
		],
		['a push without ref', JSON.stringify({ ...JSON.parse(pushPayload()), ref: undefined }), 400],
		[
			'a push without after',
			JSON.stringify({ ...JSON.parse(pushPayload()), after: undefined }),
			400,
		],
		['a push whose after is not a sha', pushPayload({ after: 'not-a-sha' }), 400],
		[
			'huge numbers',
			pushPayload().replace('{', '{"size":1e400,"distinct_size":123456789012345678901234567890,'),
			202,
		],
		[
			'duplicate keys (the last wins)',
			pushPayload().replace('{', '{"ref":"refs/heads/other",'),
			202,
		],
	]
	for (const [name, body, status] of cases) {
		it(`${name} → ${status}${status >= 400 ? ', no trace' : ', accounted for'}`, async () => {
			const request = await withBody(body)
			if (status >= 400) {
				await expectRefused(request, status)
				return
			}
			const result = await send(request)
			expect(result.status, result.body).toBe(status)
			await expectAcceptedAndAccounted(result)
		})
	}
})

describe('GitHub intake: requests that are not deliveries', () => {
	it('form-encoded → 415, no trace', async () => {
		await expectRefused(
			await withBody(`payload=${encodeURIComponent(pushPayload())}`, {
				contentType: 'application/x-www-form-urlencoded',
			}),
			415,
		)
	})

	it('one byte over the 1 MiB cap → 413 before parsing, no trace', async () => {
		const pad = 1024 * 1024 - '{"p":""}'.length + 1
		await expectRefused(await withBody(`{"p":"${'x'.repeat(pad)}"}`), 413)
	})

	it('a 25 MB body → 413 without reading it all, no trace', async () => {
		let pulled = 0
		const chunk = new Uint8Array(256 * 1024).fill(120)
		const stream = new ReadableStream<Uint8Array>({
			pull(controller) {
				if (pulled >= 100) {
					controller.close()
					return
				}
				pulled++
				controller.enqueue(chunk)
			},
		})
		await expectRefused(await streamedDelivery(stream), 413)
		expect(pulled).toBeLessThan(100)
	})

	it('a body that trickles in (slow drip) → 408 at the 5 s read deadline, the stream dropped, no trace', async () => {
		const body = pushPayload()
		let sent = 0
		let cancelled = false
		const stream = new ReadableStream<Uint8Array>({
			async pull(controller) {
				// One byte every 100 ms: the whole push would take minutes.
				await new Promise((resolve) => setTimeout(resolve, 100))
				controller.enqueue(new TextEncoder().encode(body.charAt(sent++)))
			},
			cancel() {
				cancelled = true
			},
		})
		const result = await expectRefused(await streamedDelivery(stream, body), 408)
		expect(JSON.parse(result.body)).toMatchObject({
			error: { code: 'request_timeout', message: 'the body took longer than 5 s to arrive' },
		})
		expect(cancelled).toBe(true)
		expect(sent).toBeLessThan(body.length)
	}, 15_000)

	it('a body that stops arriving (a stalled sender) → 408 at the same deadline, the stream dropped', async () => {
		let cancelled = false
		const stream = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('{"ref":'))
			},
			// Never another byte, never the end.
			pull: () => new Promise(() => {}),
			cancel() {
				cancelled = true
			},
		})
		await expectRefused(await streamedDelivery(stream), 408)
		expect(cancelled).toBe(true)
	}, 15_000)

	it('a declared Content-Length over the cap → 413', async () => {
		const signed = await githubDelivery(pushPayload())
		const headers = new Headers(signed.headers)
		headers.set('content-length', String(26 * 1024 * 1024))
		await expectRefused(
			new Request(signed.url, { method: 'POST', headers, body: pushPayload() }),
			413,
		)
	})

	it('a missing X-GitHub-Delivery → 400', async () => {
		const signed = await githubDelivery(pushPayload())
		const headers = new Headers(signed.headers)
		headers.delete('x-github-delivery')
		await expectRefused(
			new Request(signed.url, { method: 'POST', headers, body: pushPayload() }),
			400,
		)
	})

	for (const method of ['GET', 'PUT', 'DELETE']) {
		it(`${method} /webhooks/github → 404/405, no trace`, async () => {
			await expectRefused(
				new Request('https://tidegate.test/webhooks/github', { method }),
				/^40[45]$/,
			)
		})
	}

	it('a wrong path and a trailing slash → 404, no trace', async () => {
		const signed = await githubDelivery(pushPayload())
		for (const path of ['/webhooks/gitlab', '/webhooks/github/']) {
			await expectRefused(
				new Request(`https://tidegate.test${path}`, {
					method: 'POST',
					headers: signed.headers,
					body: pushPayload(),
				}),
				404,
			)
		}
	})
})

describe('GitHub intake: events and push shapes', () => {
	it('ping → 200 and nothing queued', async () => {
		const result = await send(
			await githubDelivery(JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }), {
				event: 'ping',
			}),
		)
		expect(result.status).toBe(200)
		expect(result.sent).toEqual([])
	})

	it('an event tidegate does not act on → 200 ignored with a reason', async () => {
		const result = await send(await githubDelivery('{"action":"opened"}', { event: 'issues' }))
		expect(result.status).toBe(200)
		expect(result.sent).toEqual([])
		await expectAccounted([JSON.parse(result.body).deliveryId])
	})

	const shapes: [string, Record<string, unknown>][] = [
		['forced: true', { forced: true }],
		['created: true (a new branch head)', { created: true, before: '0'.repeat(40) }],
		['no commits listed (GitHub omits them for very large pushes)', { commits: [] }],
		[
			'2,049 commits',
			{
				commits: Array.from({ length: 2049 }, (_, i) => ({
					id: i.toString(16).padStart(40, '0'),
					added: [],
					removed: [],
					modified: i === 2048 ? ['tidegate.yaml'] : ['README.md'],
				})),
			},
		],
	]
	for (const [name, overrides] of shapes) {
		it(`a push with ${name} → 202, one reconcile queued`, async () => {
			const result = await send(await githubDelivery(pushPayload(overrides)))
			expect(result.status, result.body).toBe(202)
			expect(result.sent.filter((m) => m.kind === 'reconcile')).toHaveLength(1)
			await expectAcceptedAndAccounted(result)
		})
	}

	it('a push that leaves tidegate.yaml alone → 200 ignored, no run; Flux is still told and the pre-flight check still queued', async () => {
		const commits = [{ id: 'b'.repeat(40), added: ['apps/new.yaml'], removed: [], modified: [] }]
		const result = await send(await githubDelivery(pushPayload({ commits })))
		expect(result.status, result.body).toBe(200)
		expect(JSON.parse(result.body)).toMatchObject({ status: 'ignored' })
		expect(result.sent.map((m) => m.kind)).toEqual(['flux.receiver', 'preflight'])
		expect(await allRuns()).toEqual([])
		await expectAccounted([JSON.parse(result.body).deliveryId])
	})
})

describe('Flux intake: forged, repeated and odd events', () => {
	const body = fluxEvent({ name: 'apps', metadata: { revision: 'main@sha1:0123' } })
	const refusals: [string, () => Promise<Request>, number | RegExp][] = [
		['no signature and no bearer', () => fluxDelivery(body, { signature: null }), 401],
		['a signature without "="', () => fluxDelivery(body, { signature: 'abcdef' }), 401],
		[
			'a signature with several "="',
			() => fluxDelivery(body, { signature: `sha256=${'a'.repeat(64)}=x` }),
			401,
		],
		['md5=', () => fluxDelivery(body, { signature: `md5=${'a'.repeat(32)}` }), 401],
		[
			'sha1= (not allow-listed)',
			() => fluxDelivery(body, { signature: `sha1=${'a'.repeat(40)}` }),
			401,
		],
		['a wrong secret', () => fluxDelivery(body, { secret: 'wrong' }), 401],
		['a wrong bearer', () => fluxDelivery(body, { authorization: 'Bearer wrong' }), 401],
		['a body over 1 MiB', () => fluxDelivery(`{"p":"${'x'.repeat(1024 * 1024)}"}`), 413],
	]
	for (const [name, build, status] of refusals) {
		it(`${name} → ${status}, nothing recorded`, async () => {
			const res = await exports.default.fetch(await build())
			expect(String(res.status)).toMatch(typeof status === 'number' ? String(status) : status)
			const n = await env.DB.prepare('SELECT COUNT(*) AS n FROM flux_events').first<{ n: number }>()
			expect(n?.n).toBe(0)
			expect(edge.cloudflare.requests).toEqual([])
		})
	}

	it('the same event five times (RetryMax 4) has one effect', async () => {
		const statuses: number[] = []
		for (let i = 0; i < 5; i++) {
			statuses.push((await sendFlux(body)).status)
		}
		expect(statuses).toEqual([202, 200, 200, 200, 200])
		const n = await env.DB.prepare('SELECT COUNT(*) AS n FROM flux_events').first<{ n: number }>()
		expect(n?.n).toBe(1)
	})

	it('a stale event, an unknown severity and no revision are recorded without forcing a reconcile', async () => {
		for (const event of [
			fluxEvent({ name: 'old', at: '2020-01-01T00:00:00Z' }),
			fluxEvent({ name: 'odd', severity: 'fatal', reason: 'SomethingNew' }),
			fluxEvent({ name: 'bare', metadata: null }),
		]) {
			expect((await sendFlux(event)).status).toBe(202)
		}
		expect(await allRuns()).toEqual([])
		expect(edge.cloudflare.requests).toEqual([])
	})
})

describe('Floods: requests over an address budget are refused before any work', () => {
	// wrangler.toml: [[ratelimits]] INTAKE_LIMITER, 100 per 10-second window per address and door.
	const LIMIT = 100
	const WINDOW_MS = 10_000

	/** Starts in a fresh window when little of the current one is left, so a flood fits in one. */
	async function freshWindow(): Promise<void> {
		const left = WINDOW_MS - (Date.now() % WINDOW_MS)
		if (left < 4_000) {
			await new Promise((resolve) => setTimeout(resolve, left + 50))
		}
	}

	const from = async (address: string, request: Promise<Request> | Request) => {
		const r = await request
		const headers = new Headers(r.headers)
		headers.set('cf-connecting-ip', address)
		return new Request(r.url, { method: r.method, headers, body: r.body })
	}

	it('answers 429 with Retry-After once an address spent its budget; even a valid push from it then leaves no trace, while other addresses and /healthz are served', async () => {
		await freshWindow()
		const flooder = '203.0.113.9'
		const statuses: number[] = []
		for (let i = 0; i < LIMIT + 1; i++) {
			const forged = githubDelivery(pushPayload(), { secret: 'not-the-secret-0123456789abcdef0' })
			statuses.push((await send(await from(flooder, forged))).status)
		}
		expect(statuses.slice(0, LIMIT).every((s) => s === 401)).toBe(true)
		expect(statuses[LIMIT]).toBe(429)
		const limited = await exports.default.fetch(await from(flooder, githubDelivery(pushPayload())))
		expect(limited.status).toBe(429)
		expect(limited.headers.get('retry-after')).toBe('10')
		expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } })
		expect(await deliveryCount()).toBe(0)
		// The admin door has its own budget; another address is served; /healthz is never counted.
		const admin = await exports.default.fetch(
			await from(flooder, new Request('https://tidegate.test/api/status')),
		)
		expect(admin.status).toBe(401)
		const health = await exports.default.fetch(
			await from(flooder, new Request('https://tidegate.test/healthz')),
		)
		expect(health.status).toBe(200)
		const other = await send(await from('198.51.100.7', githubDelivery(pushPayload())))
		expect(other.status).toBe(202)
		await expectAcceptedAndAccounted(other)
	})

	it('does not count a loopback client (wrangler dev, npm start: never so behind Cloudflare)', async () => {
		await freshWindow()
		for (const address of ['127.0.0.1', '::1']) {
			for (let i = 0; i < LIMIT + 1; i++) {
				const res = await exports.default.fetch(
					await from(address, new Request('https://tidegate.test/api/status')),
				)
				expect(res.status).toBe(401)
			}
		}
	})

	it('counts an IPv6 client by its /64', async () => {
		await freshWindow()
		for (let i = 0; i < LIMIT; i++) {
			const res = await exports.default.fetch(
				await from(
					`2001:db8:7:8::${(i + 1).toString(16)}`,
					new Request('https://tidegate.test/api/status'),
				),
			)
			expect(res.status).toBe(401)
		}
		const sameNetwork = await exports.default.fetch(
			await from('2001:db8:7:8:ffff::1', new Request('https://tidegate.test/api/status')),
		)
		expect(sameNetwork.status).toBe(429)
		const nextNetwork = await exports.default.fetch(
			await from('2001:db8:7:9::1', new Request('https://tidegate.test/api/status')),
		)
		expect(nextNetwork.status).toBe(401)
	})
})

describe('Replays: a captured delivery sent again under a new X-GitHub-Delivery', () => {
	/** Sends a push body under a delivery id and plays what it queued; returns the answer. */
	async function deliverAndPlay(body: string, deliveryId = crypto.randomUUID()) {
		const { queue, sent } = capture()
		const answer = await sendPush({ body, deliveryId, onEnv: capturedEnv(queue) })
		for (const message of sent.filter((m) => m.kind === 'reconcile')) {
			await play(message)
		}
		return { ...answer, sent }
	}

	it('is a duplicate of the delivery that first carried the body: 200, nothing recorded or queued', async () => {
		const body = pushPayload({ after: await commit(edge, desiredYaml()) })
		const first = await deliverAndPlay(body)
		expect(first.status).toBe(202)
		const replay = await deliverAndPlay(body)
		expect(replay.status).toBe(200)
		expect(replay.json).toEqual({
			deliveryId: replay.deliveryId,
			duplicate: true,
			status: 'queued',
			replayOf: first.deliveryId,
		})
		expect(replay.sent).toEqual([])
		expect(await deliveryCount()).toBe(1)
		expect(await allRuns()).toHaveLength(1)
	})

	it('a replay that outlived the dedupe (its original pruned) still rolls nothing back: a push is only a hint', async () => {
		const old = pushPayload({ after: await commit(edge, desiredYaml()) })
		const first = await deliverAndPlay(old)
		const head = await commit(edge, changedYaml())
		await deliverAndPlay(pushPayload({ after: head }))
		expectLiveIs(edge, changedYaml())
		// Retention pruned the original delivery, so the old body is no longer known.
		await env.DB.prepare('DELETE FROM github_deliveries WHERE delivery_id = ?')
			.bind(first.deliveryId)
			.run()
		const writesBefore = edge.cloudflare.writes().length
		const replay = await deliverAndPlay(old)
		expect(replay.status).toBe(202)
		const run = await runRow(replay.json.runId as number)
		// The run reconciled the branch head, not the replayed commit: nothing changed.
		expect(run).toMatchObject({ status: 'in_sync', commit_sha: head })
		expect(edge.cloudflare.writes()).toHaveLength(writesBefore)
		expectLiveIs(edge, changedYaml())
	})
})
