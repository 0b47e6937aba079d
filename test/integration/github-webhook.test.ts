import { env, exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { verifyGitHubSignature } from '../../src/webhooks/github.ts'
import { githubDelivery, pushPayload, streamedDelivery } from './support/github.ts'

const send = (request: Request) => exports.default.fetch(request)

async function deliveryRow(id: string) {
	return env.DB.prepare(
		'SELECT status, reason, run_id FROM github_deliveries WHERE delivery_id = ?',
	)
		.bind(id)
		.first()
}

async function runCount() {
	return (await env.DB.prepare('SELECT COUNT(*) AS n FROM runs').first<{ n: number }>())?.n ?? 0
}

describe('POST /webhooks/github signature checks', () => {
	it("passes GitHub's published test vector", async () => {
		const body = new TextEncoder().encode('Hello, World!')
		const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'
		expect(await verifyGitHubSignature(header, body, ["It's a Secret to Everybody"])).toBe('valid')
		expect(await verifyGitHubSignature(header, body, ['another secret'])).toBe('mismatch')
	})

	it('accepts a push signed with the current secret: 202, recorded, queued', async () => {
		const id = crypto.randomUUID()
		const res = await send(await githubDelivery(pushPayload(), { deliveryId: id }))
		expect(res.status).toBe(202)
		const body = await res.json<{ deliveryId: string; status: string; runId: number }>()
		expect(body).toMatchObject({ deliveryId: id, status: 'queued' })
		expect(await deliveryRow(id)).toMatchObject({ status: 'queued', run_id: body.runId })
		const run = await env.DB.prepare('SELECT trigger, status, delivery_id FROM runs WHERE id = ?')
			.bind(body.runId)
			.first()
		expect(run).toEqual({ trigger: 'push', status: 'queued', delivery_id: id })
	})

	it('accepts the previous secret while it is set (rotation without downtime)', async () => {
		const res = await send(
			await githubDelivery(pushPayload(), {
				secret: 'test-github-webhook-secret-old-0123456789abcdef',
			}),
		)
		expect(res.status).toBe(202)
	})

	const refusals: [string, () => Promise<Request>, number, RegExp][] = [
		[
			'a wrong secret',
			() => githubDelivery(pushPayload(), { secret: 'wrong' }),
			401,
			/does not match/,
		],
		[
			'no signature header',
			() => githubDelivery(pushPayload(), { signature: null }),
			401,
			/missing X-Hub-Signature-256/,
		],
		[
			'only the legacy sha1 header',
			() =>
				githubDelivery(pushPayload(), {
					signature: null,
					headers: { 'x-hub-signature': 'sha1=0000' },
				}),
			401,
			/missing/,
		],
		[
			'an empty sha256=',
			() => githubDelivery(pushPayload(), { signature: 'sha256=' }),
			401,
			/malformed/,
		],
		[
			'uppercase hex',
			async () => {
				const good = (await githubDelivery(pushPayload())).headers.get('x-hub-signature-256') ?? ''
				return githubDelivery(pushPayload(), {
					signature: good.toUpperCase().replace('SHA256', 'sha256'),
				})
			},
			401,
			/malformed/,
		],
		[
			'odd-length hex',
			() => githubDelivery(pushPayload(), { signature: `sha256=${'a'.repeat(63)}` }),
			401,
			/malformed/,
		],
		[
			'sha512=',
			() => githubDelivery(pushPayload(), { signature: `sha512=${'a'.repeat(128)}` }),
			401,
			/malformed/,
		],
		[
			'a leading space',
			() => githubDelivery(pushPayload(), { signature: ` sha256=${'a'.repeat(64)}` }),
			401,
			/malformed|does not match/,
		],
	]
	for (const [name, build, status, message] of refusals) {
		it(`refuses ${name} with ${status} and records nothing`, async () => {
			const before = await runCount()
			const request = await build()
			const id = request.headers.get('x-github-delivery') ?? ''
			const res = await send(request)
			expect(res.status).toBe(status)
			const body = await res.json<{ error: { code: string; message: string } }>()
			expect(body.error.message).toMatch(message)
			expect(await deliveryRow(id)).toBeNull()
			expect(await runCount()).toBe(before)
		})
	}

	it('refuses a body tampered with after signing', async () => {
		const signed = await githubDelivery(pushPayload())
		const tampered = new Request(signed.url, {
			method: 'POST',
			headers: signed.headers,
			body: pushPayload({ after: 'c'.repeat(40) }),
		})
		expect((await send(tampered)).status).toBe(401)
	})

	it('refuses a signature computed over re-serialised JSON instead of the raw bytes', async () => {
		const raw = `{ "ref" : "refs/heads/main", ${pushPayload().slice(1)}`
		const reserialised = JSON.stringify(JSON.parse(raw))
		const signedOther = await githubDelivery(reserialised)
		const request = new Request(signedOther.url, {
			method: 'POST',
			headers: signedOther.headers,
			body: raw,
		})
		expect((await send(request)).status).toBe(401)
	})

	it('verifies payloads with emoji, escapes, CRLF and a BOM over the exact bytes', async () => {
		const message = 'fix 🚀 \u001b[31mred\u001b[0m\r\nline two'
		const body = `\uFEFF${pushPayload({ head_commit: { id: 'b'.repeat(40), message } })}`
		// The signature covers the BOM's bytes; the decoder then drops the BOM before JSON parsing.
		expect((await send(await githubDelivery(body))).status).toBe(202)
		const noBom = await send(
			await githubDelivery(pushPayload({ head_commit: { id: 'b'.repeat(40), message } })),
		)
		expect(noBom.status).toBe(202)
	})
})

describe('POST /webhooks/github request checks', () => {
	it('answers 413 for a body over 1 MiB before parsing it', async () => {
		const big = `{"padding":"${'x'.repeat(1024 * 1024)}"}`
		const res = await send(await githubDelivery(big))
		expect(res.status).toBe(413)
		expect((await res.json<{ error: { code: string } }>()).error.code).toBe('payload_too_large')
	})

	it('answers 413 for a chunked body over the cap without a Content-Length', async () => {
		const chunk = new TextEncoder().encode('x'.repeat(64 * 1024))
		let sent = 0
		const stream = new ReadableStream<Uint8Array>({
			pull(controller) {
				if (sent >= 20) {
					controller.close()
					return
				}
				sent++
				controller.enqueue(chunk)
			},
		})
		const res = await send(await streamedDelivery(stream))
		expect(res.status).toBe(413)
		expect(sent).toBeLessThan(20)
	})

	it('answers 415 for a form-encoded delivery', async () => {
		const res = await send(
			await githubDelivery(`payload=${encodeURIComponent(pushPayload())}`, {
				contentType: 'application/x-www-form-urlencoded',
			}),
		)
		expect(res.status).toBe(415)
	})

	it('answers 400 when X-GitHub-Delivery is missing', async () => {
		const signed = await githubDelivery(pushPayload())
		const headers = new Headers(signed.headers)
		headers.delete('x-github-delivery')
		expect(
			(await send(new Request(signed.url, { method: 'POST', headers, body: pushPayload() })))
				.status,
		).toBe(400)
	})

	it('answers 400 with a clear message for invalid JSON after a valid signature', async () => {
		const res = await send(await githubDelivery('{"ref": "refs/heads/main",'))
		expect(res.status).toBe(400)
		expect((await res.json<{ error: { message: string } }>()).error.message).toMatch(
			/not valid JSON/,
		)
	})

	for (const [name, payload] of [
		['a top-level array', '[]'],
		['null', 'null'],
		['a push without after', JSON.stringify({ ...JSON.parse(pushPayload()), after: undefined })],
		[
			'a push without repository',
			JSON.stringify({ ...JSON.parse(pushPayload()), repository: undefined }),
		],
	] as const) {
		it(`answers 400 for ${name}`, async () => {
			const res = await send(await githubDelivery(payload))
			expect(res.status).toBe(400)
			expect((await res.json<{ error: { message: string } }>()).error.message).toMatch(
				/invalid push payload/,
			)
		})
	}

	it('answers 404 for GET and for a trailing slash', async () => {
		expect((await send(new Request('https://tidegate.test/webhooks/github'))).status).toBe(404)
		const signed = await githubDelivery(pushPayload())
		expect(
			(
				await send(
					new Request('https://tidegate.test/webhooks/github/', {
						method: 'POST',
						headers: signed.headers,
						body: pushPayload(),
					}),
				)
			).status,
		).toBe(404)
	})
})

describe('POST /webhooks/github idempotency and filtering', () => {
	it('answers a repeated delivery id with 200 duplicate and queues nothing', async () => {
		const id = crypto.randomUUID()
		expect((await send(await githubDelivery(pushPayload(), { deliveryId: id }))).status).toBe(202)
		const runs = await runCount()
		const again = await send(await githubDelivery(pushPayload(), { deliveryId: id }))
		expect(again.status).toBe(200)
		expect(await again.json()).toMatchObject({ duplicate: true })
		expect(await runCount()).toBe(runs)
	})

	it('answers ping with 200 and queues nothing', async () => {
		const runs = await runCount()
		const res = await send(
			await githubDelivery(JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 4242 }), {
				event: 'ping',
			}),
		)
		expect(res.status).toBe(200)
		expect(await runCount()).toBe(runs)
	})

	const ignored: [string, string, string, RegExp][] = [
		['another event', 'issues', JSON.stringify({ action: 'opened' }), /not one tidegate acts on/],
		[
			'another repository',
			'push',
			pushPayload({ repository: { full_name: 'someone/else' } }),
			/not the tracked repository/,
		],
		[
			'another branch',
			'push',
			pushPayload({ ref: 'refs/heads/feature' }),
			/not the tracked branch/,
		],
		['a tag', 'push', pushPayload({ ref: 'refs/tags/v1' }), /not the tracked branch/],
		[
			'a branch deletion',
			'push',
			pushPayload({ deleted: true, after: '0'.repeat(40), commits: [], head_commit: null }),
			/deleted/,
		],
		[
			'a push that does not touch tidegate.yaml',
			'push',
			pushPayload({
				commits: [{ id: 'b'.repeat(40), added: ['README.md'], modified: [], removed: [] }],
			}),
			/not changed/,
		],
	]
	for (const [name, event, payload, reason] of ignored) {
		it(`records ${name} as ignored (200) and queues nothing`, async () => {
			const runs = await runCount()
			const id = crypto.randomUUID()
			const res = await send(await githubDelivery(payload, { event, deliveryId: id }))
			expect(res.status).toBe(200)
			expect((await res.json<{ reason: string }>()).reason).toMatch(reason)
			expect(await deliveryRow(id)).toMatchObject({ status: 'ignored' })
			expect(await runCount()).toBe(runs)
		})
	}

	it('queues a push with no commit list (GitHub omits it for huge pushes): the file may have changed', async () => {
		const res = await send(await githubDelivery(pushPayload({ commits: [] })))
		expect(res.status).toBe(202)
	})
})
