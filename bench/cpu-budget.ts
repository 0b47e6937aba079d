/**
 * Benchmark (issue 9): estimated CPU per Worker invocation against the Workers Free plan's 10 ms
 * budget. The Worker's own handlers (workers/index.ts: Hono app, deps, adapters, domain) run in
 * this Node process — V8, as in workerd — with storage bindings replaced by no-op fakes, because
 * in production D1, KV and Queues run elsewhere and their time is not the Worker's CPU. Outside
 * APIs are the in-process stand-ins; the time spent inside them is measured and subtracted.
 *
 * - webhook: one signed push through `fetch` (verify, parse, dedupe claim, run row, two sends);
 * - drift cron: the `*\/5` scheduled tick (drift check + missed-delivery repair);
 * - reconcile: the queue invocation the cron queues, in sync (3 Cloudflare reads, file fetched
 *   from GitHub, YAML parsed, planned) and with one change (plus re-reads and 2 PUTs).
 *
 *   npx node bench/cpu-budget.ts
 */
import { createHmac } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { TUNNEL_TOKEN, ZERO_TRUST_TOKEN } from '../test/standins/cloudflare/seed.ts'
import { createCloudflareStandin } from '../test/standins/cloudflare/standin.ts'
import { createGitHubStandin } from '../test/standins/github/standin.ts'
import { round, summarise } from './lib/stats.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// Workers types (Env, D1Database, …) belong to the Worker program; Node sees only the shapes used.
type Env = Record<string, unknown>
type D1Database = unknown
type KVNamespace = unknown
type Queue = unknown
type ExecutionContext = unknown
type ScheduledController = { cron: string; scheduledTime: number; noRetry(): void }
type MessageBatch<_T> = unknown
/** The Worker's handlers as this benchmark calls them. */
interface WorkerHandlers {
	fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response>
	scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void>
	queue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void>
}

/** The Workers Free plan's CPU time per invocation. */
export const FREE_PLAN_CPU_MS = 10

/**
 * The Worker bundled for Node by esbuild (its JSX pages need a compiler), with `cloudflare:sockets`
 * (the edge prober, workerd only, never called on the measured paths) stubbed.
 */
async function loadWorker(dir: string): Promise<WorkerHandlers> {
	const outfile = join(dir, 'worker.mjs')
	await build({
		entryPoints: [join(ROOT, 'workers/index.ts')],
		bundle: true,
		format: 'esm',
		platform: 'node',
		conditions: ['workerd', 'worker'],
		outfile,
		logLevel: 'error',
		// CommonJS dependencies require Node built-ins at run time.
		banner: {
			js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
		},
		plugins: [
			{
				name: 'cloudflare-sockets-stub',
				setup(b) {
					b.onResolve({ filter: /^cloudflare:sockets$/ }, () => ({
						path: 'sockets',
						namespace: 'stub',
					}))
					b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
						contents: 'export function connect() { throw new Error("no sockets in Node") }',
					}))
				},
			},
		],
	})
	return ((await import(pathToFileURL(outfile).href)) as { default: WorkerHandlers }).default
}

/** A queued drift run as D1 returns it. */
function runRow(id: number) {
	return {
		id,
		trigger: 'drift',
		status: 'queued',
		dry_run: 0,
		force: 0,
		commit_sha: null,
		delivery_id: null,
		attempts: 0,
		summary: null,
		plan: null,
		warnings: null,
		api_calls: null,
		error_code: null,
		error_message: null,
		queued_at: Date.now(),
		started_at: null,
		finished_at: null,
		duration_ms: null,
	}
}

/** A D1 that answers like an empty database, except that run 1 exists (queued). */
function fakeD1(): D1Database {
	let id = 0
	const statement = (sql: string) => {
		const api = {
			bind: (..._values: unknown[]) => api,
			first: async () => {
				if (/^\s*SELECT \* FROM runs WHERE id/i.test(sql)) {
					return runRow(1)
				}
				// INSERT … RETURNING: a run row (runs.create) that also serves as a claimed delivery.
				return /^\s*SELECT/i.test(sql) ? null : { ...runRow(++id), delivery_id: 'claimed' }
			},
			run: async () => ({ success: true, meta: { changes: 1 } }),
			all: async () => ({ results: [], success: true, meta: {} }),
			raw: async () => [],
		}
		return api
	}
	return {
		prepare: statement,
		// A batch answers each statement as `first` would (the claim and its run row both succeed).
		batch: async (list: { first(): Promise<unknown> }[]) =>
			Promise.all(
				list.map(async (s) => {
					const row = await s.first()
					return { results: row ? [row] : [], success: true, meta: {} }
				}),
			),
		exec: async () => ({ count: 0, duration: 0 }),
	} as unknown as D1Database
}

const kv = {
	get: async () => null,
	put: async () => {},
	delete: async () => {},
	list: async () => ({ keys: [], list_complete: true }),
} as unknown as KVNamespace
const queue = { send: async () => {}, sendBatch: async () => {} } as unknown as Queue

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
	const secret = 'bench-webhook-secret'
	const env = {
		DB: fakeD1(),
		CACHE: kv,
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
		ADMIN_TOKEN: 'bench-admin',
		AGENT_SECRET: 'bench-agent-secret-0123456789',
		CF_TUNNEL_API_TOKEN: TUNNEL_TOKEN,
		CF_ZERO_TRUST_API_TOKEN: ZERO_TRUST_TOKEN,
		FLUX_WEBHOOK_SECRET: 'bench-flux',
		GITHUB_TOKEN: 'bench',
		GITHUB_WEBHOOK_SECRET: secret,
	} as unknown as Env
	const dir = mkdtempSync(join(tmpdir(), 'tidegate-cpu-'))
	const worker = await loadWorker(dir)
	rmSync(dir, { recursive: true, force: true })
	const { benchPushPayload } = await import('./webhook-throughput.ts')
	const body = benchPushPayload()
	const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
	const ctx = {
		waitUntil: () => {},
		passThroughOnException: () => {},
		props: {},
	} as unknown as ExecutionContext
	const quietConsole = console.log
	const silence = () => {
		console.log = () => {}
		console.warn = () => {}
		console.info = () => {}
	}

	const measure = async (path: string, fn: () => Promise<unknown>, perBatch: number) => {
		silence()
		// A warm isolate, as most invocations meet: enough calls first for V8 to optimise the hot code.
		for (let i = 0; i < perBatch * 5; i++) {
			await fn()
		}
		const samples: number[] = []
		for (let r = 0; r < 7; r++) {
			insideStandins = 0
			const t0 = process.cpuUsage()
			for (let i = 0; i < perBatch; i++) {
				await fn()
			}
			const d = process.cpuUsage(t0)
			samples.push(((d.user + d.system) / 1000 - insideStandins) / perBatch)
		}
		console.log = quietConsole
		const s = summarise(samples)
		return {
			path,
			cpuMs: round(s.median, 3),
			spread: round(s.spread, 2),
			shareOfFreePlan: round(s.median / FREE_PLAN_CPU_MS, 3),
		}
	}
	const rows: CpuRow[] = []
	rows.push(
		await measure(
			'webhook: signed push → 202 (POST /webhooks/github)',
			async () => {
				const res = await worker.fetch(
					new Request('https://tidegate.bench/webhooks/github', {
						method: 'POST',
						headers: {
							'content-type': 'application/json',
							'x-github-event': 'push',
							'x-github-delivery': crypto.randomUUID(),
							'x-hub-signature-256': signature,
						},
						body,
					}),
					env,
					ctx,
				)
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
		await measure('reconcile queue invocation, in sync (examples/tidegate.yaml)', consume, 30),
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
	globalThis.fetch = realFetch
	return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	for (const row of await measureCpuBudget()) {
		console.log(
			`${row.path.padEnd(64)} ${row.cpuMs.toFixed(3).padStart(8)} ms CPU (${(row.shareOfFreePlan * 100).toFixed(0)}% of 10 ms; spread ${(row.spread * 100).toFixed(0)}%)`,
		)
	}
}
