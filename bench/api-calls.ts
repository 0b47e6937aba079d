/**
 * Benchmark (docs/performance.md): Cloudflare API calls per reconcile — in sync (reads only), one change (at
 * most one PUT per resource), a full rewrite — by running the Worker's own edge-sync core
 * (`planSync` + `applySync`, src/app/edge/sync.ts) against the Cloudflare stand-in in-process,
 * with the official SDK clients the Worker builds. Also the largest config against the free
 * plan's 50-subrequest budget (a reconcile adds GitHub reads, D1 and queue calls on top).
 *
 *   npx node bench/api-calls.ts
 */
import { fileURLToPath } from 'node:url'
import { cloudflareEdgeApis } from '../src/adapters/cloudflare/edge-apis.ts'
import { createCallLog } from '../src/adapters/recording-fetch.ts'
import { applySync, type EdgeSyncDeps, planSync } from '../src/app/edge/sync.ts'
import { loadDesiredState } from '../src/domain/desired-state/load.ts'
import { memoryApplications } from '../test/helpers/memory-applications.ts'
import { TUNNEL_TOKEN, ZERO_TRUST_TOKEN } from '../test/standins/cloudflare/seed.ts'
import { createCloudflareStandin } from '../test/standins/cloudflare/standin.ts'
import { benchYaml } from './plan-cpu.ts'

/** Calls of one reconcile. */
export interface ReconcileCalls {
	scenario: string
	size: number
	gets: number
	puts: number
	total: number
	/** PUTs per resource (never more than one each). */
	putsByResource: Record<string, number>
	status: string
}

/** Measures the three scenarios at each size. */
export async function measureApiCalls(sizes = [10, 100, 1000]): Promise<ReconcileCalls[]> {
	const rows: ReconcileCalls[] = []
	for (const size of sizes) {
		const standin = createCloudflareStandin()
		const fetchStandin: typeof fetch = async (input, init) =>
			standin.fetch(new Request(input, init))
		const calls = createCallLog()
		const baseURL = 'https://api.cloudflare.test/client/v4'
		const apis = cloudflareEdgeApis({
			baseURL,
			tunnelToken: TUNNEL_TOKEN,
			zeroTrustToken: ZERO_TRUST_TOKEN,
			// DNS records are written one per hostname: measured apart (bench/README), not here.
			dnsToken: undefined,
			calls,
			fetch: fetchStandin,
		})
		const deps: EdgeSyncDeps = {
			now: () => Date.now(),
			sleep: async () => {},
			convergence: { windowMs: 0, pollMs: 0 },
			applications: memoryApplications(),
			pinnedOwner: undefined,
			tunnelApi: apis.tunnelApi,
			splitTunnelApi: apis.splitTunnelApi,
			dnsApi: undefined,
			routesApi: apis.routesApi,
		}
		const reconcile = async (scenario: string, text: string) => {
			const loaded = loadDesiredState(text)
			if (!loaded.ok) {
				throw new Error('invalid bench yaml')
			}
			standin.clearRequests()
			const planned = await planSync(deps, loaded.value.state, true)
			if (!planned.ok) {
				throw new Error(planned.error.message)
			}
			let status = planned.value.plan.inSync ? 'in_sync' : 'planned'
			if (!planned.value.plan.inSync) {
				const applied = await applySync(deps, planned.value, { runId: 1, commitSha: null })
				status = applied.result.ok ? 'applied' : `failed: ${JSON.stringify(applied.result.error)}`
			}
			const requests = standin.requests
			const putsByResource: Record<string, number> = {}
			for (const r of requests.filter((r) => r.method !== 'GET')) {
				const resource = r.path.includes('/cfd_tunnel/')
					? 'tunnel'
					: r.path.includes('/teamnet/')
						? 'routes'
						: 'split-tunnel'
				putsByResource[resource] = (putsByResource[resource] ?? 0) + 1
			}
			rows.push({
				scenario,
				size,
				gets: requests.filter((r) => r.method === 'GET').length,
				puts: requests.filter((r) => r.method !== 'GET').length,
				total: requests.length,
				putsByResource,
				status,
			})
		}
		await reconcile('full rewrite (first sync)', benchYaml(size))
		await reconcile('in sync', benchYaml(size))
		await reconcile('one change in each resource', benchYaml(size, 1))
	}
	return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	for (const r of await measureApiCalls()) {
		console.log(
			`${String(r.size).padStart(5)} ${r.scenario.padEnd(26)} ${r.gets} GET + ${r.puts} PUT = ${r.total} calls ${JSON.stringify(r.putsByResource)} (${r.status})`,
		)
	}
}
