// Every answer's security headers (src/http/security-headers.ts): clickjacking, sniffing, caching,
// and a CSP whose nonce is the one the page's inline script and style carry.
import { env, exports } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/http/app.ts'
import { buildDeps } from '../../workers/deps.ts'
import { desiredYaml } from './support/desired.ts'
import { useEdge } from './support/network.ts'

const edge = useEdge()
const ADMIN = 'test-admin-token-0123456789abcdef'
const basic = { authorization: `Basic ${btoa(`admin:${ADMIN}`)}` }
const get = (path: string, headers: Record<string, string> = basic) =>
	exports.default.fetch(new Request(`https://tidegate.test${path}`, { headers }))

let runId = 0
beforeAll(async () => {
	await edge.github.push({ files: { 'tidegate.yaml': desiredYaml() }, delivery: 'skip' })
	const res = await exports.default.fetch(
		new Request('https://tidegate.test/api/reconcile', {
			method: 'POST',
			headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
			body: '{"dryRun":true}',
		}),
	)
	runId = (await res.json<{ id: number }>()).id
	expect(
		await env.DB.prepare('SELECT id FROM runs WHERE id = ?').bind(runId).first(),
	).not.toBeNull()
})

/** The directives of a CSP header, by name. */
function csp(header: string | null): Map<string, string[]> {
	return new Map(
		(header ?? '')
			.split(';')
			.map((d) => d.trim().split(/\s+/))
			.filter((parts) => parts[0])
			.map(([name, ...values]) => [name as string, values]),
	)
}

function expectNoStoreNoSniff(res: Response): void {
	expect(res.headers.get('cache-control')).toBe('no-store')
	expect(res.headers.get('x-content-type-options')).toBe('nosniff')
}

describe('HTML answers', () => {
	for (const path of ['/', '/runs/:id']) {
		it(`${path} cannot be framed, is not cached or sniffed, and runs only its own nonce'd script and style`, async () => {
			const res = await get(path.replace(':id', String(runId)))
			expect(res.status).toBe(200)
			expect(res.headers.get('content-type')).toContain('text/html')
			expectNoStoreNoSniff(res)
			expect(res.headers.get('x-frame-options')).toBe('DENY')
			expect(res.headers.get('referrer-policy')).toBe('no-referrer')
			const policy = csp(res.headers.get('content-security-policy'))
			expect(policy.get('frame-ancestors')).toEqual(["'none'"])
			expect(policy.get('default-src')).toEqual(["'none'"])
			expect(policy.get('base-uri')).toEqual(["'none'"])
			expect(policy.get('form-action')).toEqual(["'none'"])
			const [scriptNonce] = policy.get('script-src') ?? []
			expect(scriptNonce).toMatch(/^'nonce-[A-Za-z0-9+/=]{22,}'$/)
			expect(policy.get('style-src')).toEqual([scriptNonce])
			const nonce = scriptNonce?.slice("'nonce-".length, -1)
			const html = await res.text()
			// Every inline block carries the nonce; nothing inline escapes the policy.
			const inline = [...html.matchAll(/<(script|style)\b([^>]*)>/g)]
			expect(inline.length).toBeGreaterThan(0)
			for (const [, , attributes] of inline) {
				expect(attributes).toBe(` nonce="${nonce}"`)
			}
			expect(html).not.toMatch(/\sstyle="/)
			expect(html).not.toMatch(/\son[a-z]+="/)
			expect(html).not.toMatch(/href="javascript:/i)
		})
	}

	it('draws a new nonce for every answer', async () => {
		const a = (await get('/')).headers.get('content-security-policy')
		const b = (await get('/')).headers.get('content-security-policy')
		expect(a).not.toBe(b)
	})

	it('the sign-in page carries the same headers', async () => {
		const res = await get('/', { accept: 'text/html' })
		expect(res.status).toBe(401)
		expectNoStoreNoSniff(res)
		expect(res.headers.get('x-frame-options')).toBe('DENY')
		expect(csp(res.headers.get('content-security-policy')).get('frame-ancestors')).toEqual([
			"'none'",
		])
	})
})

describe('JSON answers', () => {
	const cases: [string, () => Promise<Response>, number][] = [
		['the admin API', () => get('/api/status', { authorization: `Bearer ${ADMIN}` }), 200],
		['an admin API refusal', () => get('/api/status', {}), 401],
		['/healthz', () => get('/healthz', {}), 200],
		['an unknown route', () => get('/nope', {}), 404],
		[
			'a webhook refusal',
			() =>
				exports.default.fetch(
					new Request('https://tidegate.test/webhooks/github', {
						method: 'POST',
						headers: { 'content-type': 'application/json' },
						body: '{}',
					}),
				),
			400,
		],
	]
	for (const [name, send, status] of cases) {
		it(`${name} is no-store and nosniff, and an error carries the one envelope with its request id`, async () => {
			const res = await send()
			expect(res.status).toBe(status)
			expect(res.headers.get('content-type')).toContain('application/json')
			expectNoStoreNoSniff(res)
			if (status >= 400) {
				expect(await res.json()).toEqual({
					error: {
						code: expect.any(String),
						message: expect.any(String),
						requestId: expect.any(String),
					},
				})
			}
		})
	}

	it('uses the Cloudflare ray id as the request id when there is one', async () => {
		const res = await get('/nope', { 'cf-ray': '8f00aa11bb22cc33-AMS' })
		expect(await res.json()).toMatchObject({ error: { requestId: '8f00aa11bb22cc33-AMS' } })
	})

	it('our own fault answers 500 "internal error" with the request id; the detail goes to the log only', async () => {
		const app = createApp(async (c, next) => {
			const deps = buildDeps(env)
			deps.runs = {
				...deps.runs,
				list: async () => {
					throw new Error('D1_ERROR: no such table: runs_v2 (SELECT * FROM runs_v2 …)')
				},
			}
			c.set('deps', deps)
			await next()
		})
		const res = await app.fetch(
			new Request('https://tidegate.test/api/runs', {
				headers: { authorization: `Bearer ${ADMIN}` },
			}),
			env,
		)
		expect(res.status).toBe(500)
		const body = await res.text()
		expect(JSON.parse(body)).toEqual({
			error: { code: 'internal', message: 'internal error', requestId: expect.any(String) },
		})
		expect(body).not.toContain('runs_v2')
		expectNoStoreNoSniff(res)
	})

	it('validation errors of the admin API use the same envelope', async () => {
		const res = await get('/api/runs?limit=0', { authorization: `Bearer ${ADMIN}` })
		expect(res.status).toBe(400)
		expect(await res.json()).toEqual({
			error: {
				code: 'bad_request',
				message: expect.stringContaining('limit'),
				requestId: expect.any(String),
			},
		})
	})
})
