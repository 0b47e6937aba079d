import { env, exports } from 'cloudflare:workers'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { HttpResponse, http } from 'msw'
import { beforeEach, describe, expect, it } from 'vitest'
import pkg from '../../package.json' with { type: 'json' }
import { generateOpenApiDocument } from '../../src/http/api/openapi-document.ts'
import { ERROR_CODES } from '../../src/http/errors.ts'
import { DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID } from '../standins/cloudflare/seed.ts'
import { useEdge } from './support/network.ts'

const TOKEN = 'test-admin-token-0123456789abcdef'
const bearer = { authorization: `Bearer ${TOKEN}` }
const basic = { authorization: `Basic ${btoa(`admin:${TOKEN}`)}` }
const ISSUER = 'https://oceanid.cloudflareaccess.test'

// The team's Access signing key, published as a JWKS the way Access does.
const access = await generateKeyPair('RS256')
// The same RSA key pair usable for RSA-PSS, published without `alg` (some identity providers do):
// only the pinned algorithm list keeps a PS256 token from verifying against it.
const pss = await generateKeyPair('PS256')
const jwks = {
	keys: [
		{ ...(await exportJWK(access.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' },
		{ ...(await exportJWK(pss.publicKey)), kid: 'no-alg', use: 'sig' },
	],
}
const edge = useEdge({
	handlers: [http.get(`${ISSUER}/cdn-cgi/access/certs`, () => HttpResponse.json(jwks))],
})

const api = (path: string, init: RequestInit = {}) =>
	exports.default.fetch(new Request(`https://tidegate.test${path}`, init))
const json = async <T>(res: Response) => (await res.json()) as T

async function accessJwt(
	overrides: {
		aud?: string
		iss?: string
		exp?: string | number
		key?: CryptoKey
		alg?: string
		kid?: string
	} = {},
) {
	return new SignJWT({ email: 'marie@oceanid.example' })
		.setProtectedHeader({ alg: overrides.alg ?? 'RS256', kid: overrides.kid ?? 'test-key' })
		.setIssuer(overrides.iss ?? ISSUER)
		.setAudience(overrides.aud ?? 'test-access-audience')
		.setIssuedAt()
		.setExpirationTime(overrides.exp ?? '5m')
		.sign(overrides.key ?? access.privateKey)
}

const YAML = `version: 1
owner: oceanid
tunnel:
  accountId: ${DEFAULT_ACCOUNT_ID}
  tunnelId: ${DEFAULT_TUNNEL_ID}
  ingress:
    - hostname: label.example.com
      service: http://label-studio-ls-app.apps.svc.cluster.local:8085
`

beforeEach(async () => {
	edge.cloudflare.reset()
	await edge.github.reset()
	await env.DB.prepare('DELETE FROM applications').run()
	await env.DB.prepare('DELETE FROM settings').run()
	await env.DB.prepare('DELETE FROM runs').run()
})

describe('admin authentication', () => {
	it('refuses an API call without credentials with a JSON 401', async () => {
		const res = await api('/api/status')
		expect(res.status).toBe(401)
		expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="tidegate"/)
		expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } })
	})

	it('gives a browser a sign-in page instead of a bare 401', async () => {
		const res = await api('/api/status', { headers: { accept: 'text/html' } })
		expect(res.status).toBe(401)
		const page = await res.text()
		expect(page).toContain('<h1>Sign in to tidegate</h1>')
		expect(page).toContain('ADMIN_TOKEN')
		expect(page).not.toContain(TOKEN)
	})

	it('refuses a wrong token', async () => {
		expect((await api('/api/status', { headers: { authorization: 'Bearer nope' } })).status).toBe(
			401,
		)
		expect(
			(await api('/api/status', { headers: { authorization: `Basic ${btoa('admin:nope')}` } }))
				.status,
		).toBe(401)
	})

	it('accepts the token as Bearer and as the Basic password', async () => {
		expect((await api('/api/status', { headers: bearer })).status).toBe(200)
		expect((await api('/api/status', { headers: basic })).status).toBe(200)
	})

	it('accepts ADMIN_TOKEN_PREVIOUS during a rotation, in both places', async () => {
		const previous = 'test-admin-token-old-0123456789abcdef'
		const headers = [
			{ authorization: `Bearer ${previous}` },
			{ authorization: `Basic ${btoa(`admin:${previous}`)}` },
		]
		for (const h of headers) {
			expect((await api('/api/status', { headers: h })).status).toBe(200)
		}
	})

	it('accepts a valid Cloudflare Access JWT, checked against the team JWKS', async () => {
		const res = await api('/api/status', {
			headers: { 'cf-access-jwt-assertion': await accessJwt() },
		})
		expect(res.status).toBe(200)
	})

	for (const [name, token] of [
		['another audience', () => accessJwt({ aud: 'someone-else' })],
		['another issuer', () => accessJwt({ iss: 'https://evil.cloudflareaccess.test' })],
		['an expired token', () => accessJwt({ exp: Math.floor(Date.now() / 1000) - 60 })],
		[
			'a token signed by another key',
			async () => accessJwt({ key: (await generateKeyPair('RS256')).privateKey }),
		],
		['garbage', async () => 'not.a.jwt'],
		[
			'another algorithm (PS256) on a published key without "alg": only RS256 is accepted',
			() => accessJwt({ alg: 'PS256', kid: 'no-alg', key: pss.privateKey }),
		],
		[
			'"alg": "none"',
			async () => {
				const [, body] = (await accessJwt()).split('.')
				return `${btoa(JSON.stringify({ alg: 'none', kid: 'test-key' })).replace(/=+$/, '')}.${body}.`
			},
		],
		[
			'HS256 keyed with the public key (algorithm confusion)',
			async () =>
				new SignJWT({ email: 'mallory@evil.example' })
					.setProtectedHeader({ alg: 'HS256', kid: 'test-key' })
					.setIssuer(ISSUER)
					.setAudience('test-access-audience')
					.setExpirationTime('5m')
					.sign(new TextEncoder().encode(JSON.stringify(jwks.keys[0]))),
		],
	] as const) {
		it(`refuses an Access JWT with ${name}`, async () => {
			const res = await api('/api/status', {
				headers: { 'cf-access-jwt-assertion': await token() },
			})
			expect(res.status).toBe(401)
		})
	}

	it('refuses a cross-origin state-changing request signed in with browser credentials (CSRF)', async () => {
		const res = await api('/api/suspend', {
			method: 'POST',
			headers: { ...basic, origin: 'https://evil.example', 'content-type': 'application/json' },
			body: '{}',
		})
		expect(res.status).toBe(403)
		expect(
			await env.DB.prepare("SELECT value FROM settings WHERE key = 'suspended'").first(),
		).toBeNull()
	})

	it('refuses a form post signed in with browser credentials (a cross-site form cannot send JSON)', async () => {
		const res = await api('/api/suspend', {
			method: 'POST',
			headers: { ...basic, 'content-type': 'application/x-www-form-urlencoded' },
			body: 'x=1',
		})
		expect(res.status).toBe(415)
	})

	it('lets a script with the Bearer token post without an Origin', async () => {
		const res = await api('/api/suspend', { method: 'POST', headers: bearer })
		expect(res.status).toBe(200)
		expect(await res.json()).toEqual({ suspended: true })
	})
})

describe('runs', () => {
	it('pages runs newest first and filters them', async () => {
		for (const [trigger, status] of [
			['push', 'applied'],
			['drift', 'in_sync'],
			['drift', 'drift_reported'],
			['api', 'failed'],
			['push', 'refused'],
		]) {
			await env.DB.prepare('INSERT INTO runs (trigger, status, queued_at) VALUES (?, ?, 1)')
				.bind(trigger, status)
				.run()
		}
		const first = await json<{ items: { id: number; status: string }[]; nextCursor: string }>(
			await api('/api/runs?limit=2', { headers: bearer }),
		)
		expect(first.items.map((r) => r.status)).toEqual(['refused', 'failed'])
		const second = await json<{ items: { status: string }[]; nextCursor: string | null }>(
			await api(`/api/runs?limit=2&cursor=${first.nextCursor}`, { headers: bearer }),
		)
		expect(second.items.map((r) => r.status)).toEqual(['drift_reported', 'in_sync'])
		const drift = await json<{ items: { status: string }[] }>(
			await api('/api/runs?trigger=drift', { headers: bearer }),
		)
		expect(drift.items.map((r) => r.status)).toEqual(['drift_reported', 'in_sync'])
		const failed = await json<{ items: unknown[]; nextCursor: null }>(
			await api('/api/runs?status=failed', { headers: bearer }),
		)
		expect(failed.items).toHaveLength(1)
		expect(failed.nextCursor).toBeNull()
	})

	it('answers bad filters with a 400 envelope', async () => {
		for (const query of ['limit=0', 'limit=abc', 'status=bogus', 'cursor=x', 'commit=abc']) {
			const res = await api(`/api/runs?${query}`, { headers: bearer })
			expect(res.status, query).toBe(400)
			expect(await res.json()).toMatchObject({ error: { code: 'bad_request' } })
		}
	})

	it('answers an unknown run with 404', async () => {
		const res = await api('/api/runs/999999', { headers: bearer })
		expect(res.status).toBe(404)
		expect(await res.json()).toMatchObject({
			error: { code: 'not_found', message: 'run 999999 does not exist' },
		})
	})
})

describe('reconcile control', () => {
	it('answers a dry run with its plan, writing nothing', async () => {
		await edge.github.push({ files: { 'tidegate.yaml': YAML }, delivery: 'skip' })
		const res = await api('/api/reconcile', {
			method: 'POST',
			headers: { ...bearer, 'content-type': 'application/json' },
			body: JSON.stringify({ dryRun: true }),
		})
		expect(res.status).toBe(200)
		const run = await json<{
			status: string
			summary: string
			plan: { resources: { changes: unknown[] }[] }
		}>(res)
		expect(run.status).toBe('planned')
		expect(run.summary).toBe('dry run: tunnel: 1 added; DNS: 1 added')
		expect(run.plan.resources[0]?.changes).toHaveLength(1)
		expect(edge.cloudflare.writes()).toEqual([])
	})

	it('queues a real reconcile and answers 202 with the run to follow, running nothing in the request', async () => {
		await edge.github.push({ files: { 'tidegate.yaml': YAML }, delivery: 'skip' })
		const res = await api('/api/reconcile', { method: 'POST', headers: bearer })
		expect(res.status).toBe(202)
		const body = await json<{ runId: number; run: string; status: string }>(res)
		expect(body).toMatchObject({ status: 'queued', run: `/api/runs/${body.runId}` })
		expect(res.headers.get('location')).toBe(body.run)
		// Answered before the consumer ran: the run was still queued and nothing reached Cloudflare.
		expect(edge.cloudflare.writes()).toEqual([])
	})

	it('queues a rollback the same way', async () => {
		const res = await api('/api/rollback', { method: 'POST', headers: bearer })
		expect(res.status).toBe(202)
		const body = await json<{ runId: number; run: string }>(res)
		expect(res.headers.get('location')).toBe(`/api/runs/${body.runId}`)
	})

	it('refuses a body that is not the documented shape', async () => {
		const res = await api('/api/reconcile', {
			method: 'POST',
			headers: { ...bearer, 'content-type': 'application/json' },
			body: JSON.stringify({ dryRun: 'yes' }),
		})
		expect(res.status).toBe(400)
	})

	it('suspends and resumes', async () => {
		await api('/api/suspend', { method: 'POST', headers: bearer })
		const status = await json<{ suspended: boolean }>(await api('/api/status', { headers: bearer }))
		expect(status.suspended).toBe(true)
		const resumed = await api('/api/resume', { method: 'POST', headers: bearer })
		expect(resumed.status).toBe(202)
		const body = await json<{ runId: number }>(resumed)
		expect(body).toMatchObject({
			suspended: false,
			status: 'queued',
			run: `/api/runs/${body.runId}`,
		})
		expect(resumed.headers.get('location')).toBe(`/api/runs/${body.runId}`)
	})
})

describe('status and OpenAPI', () => {
	it('reports each resource in sync after an apply, and what is configured', async () => {
		await edge.github.push({ files: { 'tidegate.yaml': YAML }, delivery: 'skip' })
		const queued = await json<{ runId: number }>(
			await api('/api/reconcile', { method: 'POST', headers: bearer }),
		)
		const until = Date.now() + 10_000
		let status:
			| { resources: { kind: string; state: string }[]; lastRun: { id: number } | null }
			| undefined
		while (Date.now() < until) {
			status = await json(await api('/api/status', { headers: bearer }))
			if (status?.lastRun?.id === queued.runId) {
				break
			}
			await new Promise((r) => setTimeout(r, 50))
		}
		expect(status?.resources).toEqual([
			expect.objectContaining({ kind: 'tunnel', state: 'in_sync', connectors: 2 }),
			expect.objectContaining({ kind: 'dns', state: 'in_sync', managed: true }),
		])
		expect(status).toMatchObject({ health: { state: 'ok', problems: [] } })
	})

	it('says the health is unknown before the first reconcile, with the reason', async () => {
		const status = await json<{ health: unknown; resources: unknown[] }>(
			await api('/api/status', { headers: bearer }),
		)
		expect(status.resources).toEqual([])
		expect(status.health).toEqual({ state: 'unknown', problems: ['No reconcile has run yet.'] })
	})

	it('publishes an OpenAPI document generated from the route schemas', async () => {
		const doc = await json<{
			openapi: string
			paths: Record<string, unknown>
			components: {
				schemas: { Error: { properties: { error: { properties: { code: { enum: string[] } } } } } }
			}
		}>(await api('/api/openapi.json', { headers: bearer }))
		// One enum of error codes, the same the Worker answers with.
		expect(doc.components.schemas.Error.properties.error.properties.code.enum).toEqual(ERROR_CODES)
		expect(doc.openapi).toBe('3.0.3')
		expect(Object.keys(doc.paths)).toEqual(
			expect.arrayContaining([
				'/status',
				'/runs',
				'/runs/{id}',
				'/reconcile',
				'/suspend',
				'/resume',
				'/rollback',
			]),
		)
	})

	it('serves the document the routes describe now (npm run openapi writes it)', async () => {
		const served = await json(await api('/api/openapi.json', { headers: bearer }))
		expect(served, 'src/http/api/openapi.json is out of date: run `npm run openapi`').toEqual(
			generateOpenApiDocument(pkg.version),
		)
	})
})
