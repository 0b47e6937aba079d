/**
 * Benchmark (docs/performance.md): estimated CPU per Worker invocation against the Workers Free plan's 10 ms
 * budget. The Worker's own handlers (workers/index.ts: Hono app, deps, adapters, domain) run in
 * this Node process — V8, as in workerd — with storage bindings replaced by no-op fakes, because
 * in production D1, KV and Queues run elsewhere and their time is not the Worker's CPU. Outside
 * APIs are the in-process stand-ins; the time spent inside them is measured and subtracted.
 *
 * - webhook: one signed push through `fetch` (verify, parse, dedupe claim, run row, two sends);
 * - drift cron: the `*\/5` scheduled tick (drift check + missed-delivery repair);
 * - reconcile: the queue invocation the cron queues on an unchanged head (KV keeps what the
 *   first run cached, as in production), in sync (3 Cloudflare reads, planned) and with one change
 *   (plus re-reads and 2 PUTs), with examples/tidegate.yaml and with a generated 100-rule file.
 *
 * `npm run bench` also runs this file against the baseline commit (bench/lib/baseline.ts).
 *
 *   npx node bench/cpu-budget.ts
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TUNNEL_TOKEN, ZERO_TRUST_TOKEN } from '../test/standins/cloudflare/seed.ts'
import { createCloudflareStandin } from '../test/standins/cloudflare/standin.ts'
import { createGitHubStandin } from '../test/standins/github/standin.ts'
import { printJsonResult } from './lib/baseline.ts'
import { round } from './lib/stats.ts'
import {
	cpuPerCall,
	type Env,
	fakeD1,
	loadWorker,
	type MessageBatch,
	memoryKv,
	noContext,
	pushRequest,
	pushSignature,
	queue,
	type ScheduledController,
} from './lib/worker.ts'
import { benchYaml } from './plan-cpu.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The Workers Free plan's CPU time per invocation. */
export const FREE_PLAN_CPU_MS = 10

/** One path's CPU per invocation. */
export interface CpuRow {
	path: string
	cpuMs: number
	spread: number
	shareOfFreePlan: number
}

/** Measures each path. */
export async function measureCpuBudget(): Promise<CpuRow[]> {
	const yaml = readFileSync(`${ROOT}/examples/tidegate.yaml`, 'utf8')
	const github = createGitHubStandin({ token: 'bench' })
	await github.push({ files: { 'tidegate.yaml': yaml }, delivery: 'skip' })
	const cloudflare = createCloudflareStandin()
	let insideStandins = 0
	const realFetch = globalThis.fetch
	globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
		const request = new Request(input, init)
		const host = new URL(request.url).host
		const t0 = performance.now()
		try {
			if (host === 'api.cloudflare.test') {
				return await cloudflare.fetch(request)
			}
			if (host === 'api.github.test') {
				return await github.fetch(request)
			}
			return new Response('{}', { status: 404 })
		} finally {
			insideStandins += performance.now() - t0
		}
	}) as typeof fetch
	const secret = 'bench-webhook-secret-0123456789abcdef'
	const env = {
		DB: fakeD1(),
		CACHE: memoryKv(),
		JOBS: queue,
		JOBS_DLQ: queue,
		CF_API_BASE_URL: 'https://api.cloudflare.test/client/v4',
		GITHUB_API_BASE_URL: 'https://api.github.test',
		GITHUB_REPOSITORY: 'oceanid/gitops',
		GITHUB_BRANCH: 'main',
		TIDEGATE_CONFIG_PATH: 'tidegate.yaml',
		AGENT_URL: '',
		ACCESS_TEAM_DOMAIN: '',
		ACCESS_AUD: '',
		FLUX_RECEIVER_URL: '',
		PUBLIC_URL: '',
		ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
		AGENT_SECRET: 'bench-agent-secret-0123456789abcdef',
		CF_TUNNEL_API_TOKEN: TUNNEL_TOKEN,
		CF_ZERO_TRUST_API_TOKEN: ZERO_TRUST_TOKEN,
		FLUX_WEBHOOK_SECRET: 'bench-flux-secret-0123456789abcdef',
		GITHUB_TOKEN: 'bench',
		GITHUB_WEBHOOK_SECRET: secret,
	} as unknown as Env
	const dir = mkdtempSync(join(tmpdir(), 'tidegate-cpu-'))
	const worker = await loadWorker(dir)
	rmSync(dir, { recursive: true, force: true })
	const { benchPushPayload } = await import('./webhook-throughput.ts')
	const body = benchPushPayload()
	const signature = pushSignature(body, secret)
	const ctx = noContext
	const measure = async (path: string, fn: () => Promise<unknown>, perBatch: number) => {
		const { cpuMs, spread } = await cpuPerCall(fn, perBatch, {
			reset: () => {
				insideStandins = 0
			},
			ms: () => insideStandins,
		})
		return {
			path,
			cpuMs: round(cpuMs, 3),
			spread,
			shareOfFreePlan: round(cpuMs / FREE_PLAN_CPU_MS, 3),
		}
	}
	const rows: CpuRow[] = []
	rows.push(
		await measure(
			'webhook: signed push → 202 (POST /webhooks/github)',
			async () => {
				const res = await worker.fetch(pushRequest(body, signature), env, ctx)
				if (res.status !== 202) {
					throw new Error(`webhook answered ${res.status}: ${await res.text()}`)
				}
			},
			200,
		),
	)
	rows.push(
		await measure(
			'drift cron tick (*/5: queue a drift run, repair deliveries)',
			() =>
				worker.scheduled(
					{
						cron: '*/5 * * * *',
						scheduledTime: Date.now(),
						noRetry: () => {},
					} as ScheduledController,
					env,
					ctx,
				),
			200,
		),
	)
	const consume = async () => {
		let outcome = ''
		const batch = {
			queue: 'tidegate-jobs',
			messages: [
				{
					id: 'm1',
					timestamp: new Date(),
					attempts: 1,
					body: {
						v: 1,
						kind: 'reconcile',
						runId: 1,
						trigger: 'drift',
						dryRun: false,
						force: false,
					},
					ack: () => {
						outcome = 'ack'
					},
					retry: () => {
						outcome = 'retry'
					},
				},
			],
			ackAll: () => {},
			retryAll: () => {},
		} as unknown as MessageBatch<unknown>
		await worker.queue(batch, env, ctx)
		if (outcome !== 'ack') {
			throw new Error(`reconcile ended with ${outcome}`)
		}
	}
	// First sync once, so the next runs are in sync.
	await consume()
	rows.push(
		await measure(
			'reconcile queue invocation, in sync (examples/tidegate.yaml, head unchanged)',
			consume,
			30,
		),
	)
	let flip = 0
	rows.push(
		await measure(
			'reconcile queue invocation, one change in each resource',
			async () => {
				flip++
				cloudflare.handEdit({
					kind: 'tunnel-config',
					accountId: '0123456789abcdef0123456789abcdef',
					tunnelId: '6ff4dfd7-2b77-4a4f-84d9-3241bea658dc',
					config: {
						ingress: [
							{ hostname: `edit${flip}.example.com`, service: 'http://x:80' },
							{ service: 'http_status:404' },
						],
					},
				})
				cloudflare.handEdit({
					kind: 'split-tunnel',
					accountId: '0123456789abcdef0123456789abcdef',
					list: (list) => list.slice(0, -1),
				})
				await consume()
			},
			30,
		),
	)
	// A team's file at 10×: a new head with 100 ingress rules and 100 include entries, synced once.
	await github.push({ files: { 'tidegate.yaml': benchYaml(100) }, delivery: 'skip' })
	await consume()
	rows.push(
		await measure(
			'reconcile queue invocation, in sync (100 rules + 100 entries, head unchanged)',
			consume,
			30,
		),
	)
	globalThis.fetch = realFetch
	return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const rows = await measureCpuBudget()
	for (const row of printJsonResult(rows) ? [] : rows) {
		console.log(
			`${row.path.padEnd(64)} ${row.cpuMs.toFixed(3).padStart(8)} ms CPU (${(row.shareOfFreePlan * 100).toFixed(0)}% of 10 ms; spread ${(row.spread * 100).toFixed(0)}%)`,
		)
	}
}
