/**
 * `tidegate plan` and `tidegate apply` against the Cloudflare API stand-in served on loopback:
 * the same edge-sync core as the Worker, driven by the real bin.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID } from '../standins/cloudflare/seed.ts'
import { serveCloudflareStandin } from '../standins/cloudflare/server.ts'
import { type Run, tidegate } from './support/run.ts'

let server: Awaited<ReturnType<typeof serveCloudflareStandin>>

beforeAll(async () => {
	server = await serveCloudflareStandin({ port: 0 })
})
afterAll(() => server.close())
beforeEach(() => server.standin.reset())

const env = (overrides: Record<string, string | undefined> = {}) => ({
	...process.env,
	CF_API_BASE_URL: server.apiBaseUrl,
	CF_TUNNEL_API_TOKEN: 'test-tunnel-token',
	CF_ZERO_TRUST_API_TOKEN: 'test-zero-trust-token',
	...overrides,
})

const EXAMPLE = 'examples/tidegate.yaml'

function noStack(run: Run) {
	expect(run.stderr).not.toMatch(/^\s+at .+[:(]/m)
}

describe('tidegate plan', () => {
	it('prints the diff and exits 2 when changes are pending, writing nothing', async () => {
		const run = await tidegate(['plan', EXAMPLE], env())
		expect(run.status).toBe(2)
		expect(run.stdout).toContain(`tunnel ${DEFAULT_TUNNEL_ID} ingress`)
		expect(run.stdout).toContain(
			'  + label.example.com → http://label-studio-ls-app.apps.svc.cluster.local:8085',
		)
		expect(run.stdout).toContain('  + 10.42.0.0/16 "K8s Pod Network - oceanid"')
		expect(run.stdout).toMatch(/3 other teams' kept as they are/)
		expect(run.stdout).toMatch(/6 changes pending; run `tidegate apply` to write them/)
		expect(server.standin.writes()).toEqual([])
	})

	it('exits 1 naming the missing token', async () => {
		const run = await tidegate(['plan', EXAMPLE], env({ CF_TUNNEL_API_TOKEN: '' }))
		expect(run.status).toBe(1)
		expect(run.stderr).toBe(
			'tidegate: CF_TUNNEL_API_TOKEN is not set; it is needed for the tunnel configuration\n',
		)
	})

	it('exits 1 with located errors for an invalid file, without calling Cloudflare', async () => {
		const run = await tidegate(['plan', 'test/fixtures/desired-state/invalid.yaml'], env())
		expect(run.status).toBe(1)
		expect(run.stdout).toMatch(/invalid\.yaml:12:17 tunnel\.ingress\[2\]\.hostname/)
		expect(server.standin.requests).toEqual([])
	})

	it('exits 1 on a rate limit, saying so', async () => {
		server.standin.addFault({ kind: 'rate-limit', path: '**', retryAfter: 60 })
		const run = await tidegate(['plan', EXAMPLE], env())
		expect(run.status).toBe(1)
		expect(run.stderr).toMatch(
			/Cloudflare rate limit \(429\) for CF_TUNNEL_API_TOKEN; retrying after 60 s/,
		)
		noStack(run)
	})
})

describe('tidegate apply', () => {
	it('applies once, then a second apply is in sync and writes nothing', async () => {
		const first = await tidegate(['apply', EXAMPLE], env())
		expect(first.status).toBe(0)
		expect(first.stdout).toMatch(/applied: 6 changes in 2 writes/)
		const ingress = server.standin.tunnel(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID)?.config?.ingress
		expect(ingress?.map((r) => r.hostname ?? '(catch-all)')).toEqual([
			'label.example.com',
			'k3s.example.com',
			'agent.example.com',
			'(catch-all)',
		])
		const writes = server.standin.writes().length
		const second = await tidegate(['apply', EXAMPLE], env())
		expect(second.status).toBe(0)
		expect(second.stdout).toMatch(/in sync: nothing to change \(3 API reads\)/)
		expect(server.standin.writes()).toHaveLength(writes)
		const plan = await tidegate(['plan', EXAMPLE], env())
		expect(plan.status).toBe(0)
	})

	it('refuses, exit 1, when the plan would remove more than sync.maxDeletions without --force', async () => {
		server.standin.handEdit({
			kind: 'tunnel-config',
			accountId: DEFAULT_ACCOUNT_ID,
			tunnelId: DEFAULT_TUNNEL_ID,
			config: {
				ingress: [
					...Array.from({ length: 6 }, (_, i) => ({
						hostname: `old${i}.example.com`,
						service: 'http://old:80',
					})),
					{ service: 'http_status:404' },
				],
			},
		})
		const refused = await tidegate(['apply', EXAMPLE], env())
		expect(refused.status).toBe(1)
		expect(refused.stdout).toMatch(
			/REFUSED \(max-deletions\): the plan removes 6 tunnel ingress rules/,
		)
		expect(server.standin.writes()).toEqual([])
		const forced = await tidegate(['apply', EXAMPLE, '--force'], env())
		expect(forced.status).toBe(0)
	})

	it('takes --force only on apply', async () => {
		const run = await tidegate(['plan', EXAMPLE, '--force'], env())
		expect(run.status).toBe(64)
		expect(run.stderr).toMatch(/^tidegate plan: unknown option --force/)
	})
})
