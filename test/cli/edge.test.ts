/**
 * `tidegate plan` and `tidegate apply` against the Cloudflare API stand-in served on loopback:
 * the same edge-sync core as the Worker, driven by the real bin.
 */

import { readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
	DEFAULT_ACCOUNT_ID,
	DEFAULT_TUNNEL_ID,
	DEFAULT_ZONE_ID,
	DNS_TOKEN,
} from '../standins/cloudflare/seed.ts'
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
	CF_DNS_API_TOKEN: DNS_TOKEN,
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
		expect(run.stdout).toContain(
			'  + label.example.com CNAME 6ff4dfd7-2b77-4a4f-84d9-3241bea658dc.cfargotunnel.com (proxied)',
		)
		expect(run.stdout).toContain(
			'  + 10.43.0.0/16 → tunnel 6ff4dfd7-2b77-4a4f-84d9-3241bea658dc "K8s Service Network - oceanid"',
		)
		expect(run.stdout).toMatch(/3 other teams' kept as they are/)
		expect(run.stdout).toMatch(/10 changes pending; run `tidegate apply` to write them/)
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

	it('exits 1 when Cloudflare asks to wait longer than the command waits in all', async () => {
		server.standin.addFault({ kind: 'rate-limit', path: '**', retryAfter: 61 })
		const run = await tidegate(['plan', EXAMPLE], env())
		expect(run.status).toBe(1)
		expect(run.stderr).toMatch(
			/Cloudflare asks to wait 61 s \(429\); that is past the 60 s this command waits in all, so it stops/,
		)
		expect(server.standin.requests).toHaveLength(1)
		noStack(run)
	})

	it('refuses a list Cloudflare answers as null, writing nothing (never "an empty list")', async () => {
		server.standin.addFault({
			kind: 'body',
			method: 'GET',
			path: 'accounts/*/devices/policy/include',
			body: { success: true, errors: [], messages: [], result: null },
		})
		const run = await tidegate(['apply', EXAMPLE], env())
		expect(run.status).toBe(1)
		expect(run.stdout).toMatch(
			/REFUSED \(unreadable\): the default device profile's split-tunnel list could not be read/,
		)
		expect(run.stdout).not.toMatch(/other teams' kept/)
		expect(server.standin.writes()).toEqual([])
		expect(server.standin.profile(DEFAULT_ACCOUNT_ID).list).toHaveLength(3)
	})
})

describe('tidegate apply', () => {
	it('applies once, then a second apply is in sync and writes nothing', async () => {
		const first = await tidegate(['apply', EXAMPLE], env())
		expect(first.status).toBe(0)
		expect(first.stdout).toMatch(/applied: 10 changes in 7 writes/)
		const ingress = server.standin.tunnel(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID)?.config?.ingress
		expect(ingress?.map((r) => r.hostname ?? '(catch-all)')).toEqual([
			'label.example.com',
			'agent.example.com',
			'(catch-all)',
		])
		expect(
			server.standin
				.records(DEFAULT_ZONE_ID)
				.filter((r) => r.type === 'CNAME')
				.map((r) => [r.name, r.content, r.proxied, r.comment]),
		).toEqual([
			[
				'label.example.com',
				`${DEFAULT_TUNNEL_ID}.cfargotunnel.com`,
				true,
				'tidegate ingress - oceanid',
			],
			[
				'agent.example.com',
				`${DEFAULT_TUNNEL_ID}.cfargotunnel.com`,
				true,
				'tidegate ingress - oceanid',
			],
		])
		expect(
			server.standin
				.routes(DEFAULT_ACCOUNT_ID)
				.filter((r) => r.tunnel_id === DEFAULT_TUNNEL_ID)
				.map((r) => r.network),
		).toEqual(['10.42.0.0/16', '10.43.0.0/16', '192.168.2.0/24'])
		const writes = server.standin.writes().length
		const second = await tidegate(['apply', EXAMPLE], env())
		expect(second.status).toBe(0)
		expect(second.stdout).toMatch(/in sync: nothing to change \(8 API reads\)/)
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

describe('tidegate apply keeps what the CLI cannot prove is its own', () => {
	it('never removes a protected entry, nor any entry it has no history of writing', async () => {
		const first = await tidegate(['apply', EXAMPLE], env())
		expect(first.status).toBe(0)
		// The protected kubectl CIDR leaves tidegate.yaml, and so does the GPU LAN.
		const file = join(tmpdir(), `tidegate-cli-${process.pid}.yaml`)
		writeFileSync(
			file,
			readExample()
				.replace(/ {4}- address: 10\.43\.0\.0\/16\n(?: {6}.*\n)+/, '')
				.replace(/ {4}- address: 192\.168\.2\.0\/24\n(?: {6}.*\n)+/, '')
				.replace(/ {4}- network: 10\.43\.0\.0\/16\n(?: {6}.*\n)+/, '')
				.replace(/ {4}- network: 192\.168\.2\.0\/24\n(?: {6}.*\n)+/, ''),
		)
		const run = await tidegate(['apply', file], env())
		expect(run.stdout).toMatch(
			/10\.43\.0\.0\/16 "K8s Service Network - oceanid" ends with "oceanid" but tidegate has no history here yet \(a first sync, or the CLI\): it is kept/,
		)
		const list = server.standin.profile(DEFAULT_ACCOUNT_ID).list
		expect(list).toContainEqual({
			address: '10.43.0.0/16',
			description: 'K8s Service Network - oceanid',
		})
		expect(list).toContainEqual({ address: '192.168.2.0/24', description: 'Calypso GPU - oceanid' })
	})

	it('waits out a 429 (its Retry-After) and converges', async () => {
		server.standin.addFault({ kind: 'rate-limit', path: '**', retryAfter: 1, times: 2 })
		const run = await tidegate(['apply', EXAMPLE], env())
		expect(run.stderr).toContain('tidegate: Cloudflare rate limit (429); waiting 1 s as it asks')
		expect(run.status).toBe(0)
		expect(run.stdout).toMatch(/applied: 10 changes/)
		const again = await tidegate(['plan', EXAMPLE], env())
		expect(again.status).toBe(0)
	})
})

function readExample(): string {
	return readFileSync(EXAMPLE, 'utf8')
}
