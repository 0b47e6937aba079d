/**
 * Benchmark (docs/performance.md): webhook ingest throughput. One signed ~7 KB GitHub `push` delivery, a fresh
 * `X-GitHub-Delivery` on every request, loaded with autocannon against:
 *
 * - tidegate's `POST /webhooks/github` in workerd (Miniflare: the Worker as `wrangler deploy
 *   --dry-run` bundles it, D1 migrated, KV, queue producers): cap, HMAC verify, JSON + schema,
 *   D1 dedupe claim, run row, two queue sends, 202;
 * - @octokit/webhooks' Node middleware (verify + parse + a no-op handler) on node:http;
 * - a bare Hono route in the same workerd (read the body, answer 202): the runtime's floor;
 * - a storage floor in the same workerd: one D1 insert and one queue send per request, nothing
 *   else — the least an intake that dedupes in D1 and enqueues can cost on the local simulators.
 *
 * The workerd targets are loaded on their own sockets (Miniflare's `unsafeDirectSockets`), past
 * Miniflare's entry worker: that router is a local-only hop that production does not have, and it
 * costs as much CPU as the bare route itself.
 *
 * Each target gets RUNS timed runs of DURATION s (after a warm-up), interleaved, so drift hits all
 * alike. Also the CPU the serving process tree spent per request (Linux /proc), which for
 * tidegate includes local D1/queue work that runs outside the Worker in production.
 *
 *   npx node bench/webhook-throughput.ts
 *   BENCH_RUNS=5 BENCH_DURATION=10 BENCH_CONNECTIONS=20 npx node bench/webhook-throughput.ts
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { build } from 'esbuild'
import { convertV4MiniflareOptions, Miniflare } from 'miniflare'
import { printJsonResult } from './lib/baseline.ts'
import { machineCpu, round, type Summary, stealShare, summarise, treeCpuMs } from './lib/stats.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SECRET = 'bench-webhook-secret-0123456789abcdef'
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const DURATION = Number(process.env.BENCH_DURATION ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)

/** A push to the tracked branch touching tidegate.yaml, about 7 KB, fixed bytes. */
export function benchPushPayload(): string {
	const sha = (i: number) => i.toString(16).padStart(40, '0')
	const commits = Array.from({ length: 10 }, (_, i) => ({
		id: sha(i + 1),
		tree_id: sha(i + 100),
		distinct: true,
		message: `Route service ${i} through the tunnel\n\nSigned-off-by: Marie Curie <marie@example.com>`,
		timestamp: '2026-11-26T10:00:00Z',
		url: `https://github.com/oceanid/gitops/commit/${sha(i + 1)}`,
		author: { name: 'Marie Curie', email: 'marie@example.com', username: 'marie' },
		committer: { name: 'GitHub', email: 'noreply@github.com', username: 'web-flow' },
		added: [],
		removed: [],
		modified: ['tidegate.yaml', `clusters/tethys/apps/app-${i}.yaml`],
	}))
	const payload = {
		ref: 'refs/heads/main',
		before: sha(0),
		after: sha(10),
		created: false,
		deleted: false,
		forced: false,
		base_ref: null,
		compare: `https://github.com/oceanid/gitops/compare/${sha(0).slice(0, 12)}...${sha(10).slice(0, 12)}`,
		commits,
		head_commit: commits[commits.length - 1],
		repository: {
			id: 700000001,
			node_id: 'R_kgDOabcdef',
			name: 'gitops',
			full_name: 'oceanid/gitops',
			private: true,
			owner: { login: 'oceanid', id: 9000001, type: 'Organization' },
			html_url: 'https://github.com/oceanid/gitops',
			default_branch: 'main',
			pushed_at: 1795000000,
			created_at: 1790000000,
		},
		pusher: { name: 'marie', email: 'marie@example.com' },
		sender: { login: 'marie', id: 1000001, type: 'User' },
	}
	return JSON.stringify(payload)
}

/** One target's figures. */
export interface ThroughputRow {
	target: string
	requestsPerSecond: Summary
	latencyP50Ms: number
	latencyP99Ms: number
	/** CPU milliseconds per request of the serving process tree (median over runs). */
	cpuMsPerRequest: number
	non2xx: number
}

/** The whole comparison. */
export interface ThroughputResult {
	payloadBytes: number
	connections: number
	durationSeconds: number
	runs: number
	rows: ThroughputRow[]
	/** tidegate's median req/s ÷ octokit's (goal ≥ 1.0). */
	ratioToOctokit: number
	/** tidegate's median req/s ÷ the bare Hono route's. */
	ratioToBareHono: number
	/** The storage floor's median req/s ÷ octokit's: the best ratio any D1-deduping intake gets here. */
	floorToOctokit: number
	/** tidegate's median req/s ÷ the storage floor's. */
	ratioToFloor: number
	/** tidegate's GET /healthz in the same workerd: the Worker's framework and deps, no storage. */
	healthzPerSecond: number
	/** Share of the machine's CPU the hypervisor took during the timed runs (0 on a quiet machine). */
	steal: number
	/** In-process CPU of verify + parse alone, the part both implementations share. */
	verifyParse: { tidegateUs: number; octokitUs: number }
}

/**
 * Microseconds per delivery of signature check + JSON parse + schema, in this Node process:
 * tidegate's own functions (the Worker's code) against @octokit/webhooks' `verifyAndReceive`.
 */
export async function measureVerifyParse(
	body: string,
	signature: string,
): Promise<{ tidegateUs: number; octokitUs: number }> {
	// A computed specifier: the Worker's modules are type-checked by the Worker program, not here.
	const { verifyGitHubSignature, pushPayloadSchema } = (await import(
		String(new URL('../src/webhooks/github.ts', import.meta.url))
	)) as {
		verifyGitHubSignature(header: string, body: Uint8Array, secrets: string[]): Promise<string>
		pushPayloadSchema: { parse(value: unknown): unknown }
	}
	const { Webhooks } = await import('@octokit/webhooks')
	const webhooks = new Webhooks({ secret: SECRET })
	webhooks.on('push', () => {})
	const bytes = new TextEncoder().encode(body)
	const tidegate = async () => {
		if ((await verifyGitHubSignature(signature, bytes, [SECRET])) !== 'valid') {
			throw new Error('bench signature invalid')
		}
		pushPayloadSchema.parse(JSON.parse(new TextDecoder().decode(bytes)))
	}
	const octokit = () =>
		webhooks.verifyAndReceive({
			id: crypto.randomUUID(),
			name: 'push',
			payload: body,
			signature,
		})
	const batch = async (fn: () => Promise<unknown>, calls: number) => {
		const t0 = process.cpuUsage()
		for (let i = 0; i < calls; i++) {
			await fn()
		}
		const d = process.cpuUsage(t0)
		return (d.user + d.system) / calls
	}
	await batch(tidegate, 300)
	await batch(octokit, 300)
	// Interleaved batches, so a busy neighbour on this shared machine slows both sides alike.
	const samples = { tidegate: [] as number[], octokit: [] as number[] }
	for (let r = 0; r < 15; r++) {
		samples.tidegate.push(await batch(tidegate, 300))
		samples.octokit.push(await batch(octokit, 300))
	}
	return {
		tidegateUs: round(summarise(samples.tidegate).median, 1),
		octokitUs: round(summarise(samples.octokit).median, 1),
	}
}

function wrangler(args: string[]): void {
	const out = spawnSync(
		process.execPath,
		[join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), ...args],
		{
			cwd: ROOT,
			env: { ...process.env, CI: '1' },
			encoding: 'utf8',
		},
	)
	if (out.status !== 0) {
		throw new Error(`wrangler ${args.join(' ')} failed:\n${out.stdout}\n${out.stderr}`)
	}
}

async function migrate(mf: Miniflare): Promise<void> {
	const db = await mf.getD1Database('DB', 'tidegate')
	const dir = join(ROOT, 'migrations')
	for (const file of readdirSync(dir)
		.filter((f) => f.endsWith('.sql'))
		.sort()) {
		const sql = readFileSync(join(dir, file), 'utf8')
			.split('\n')
			.filter((line) => !line.trim().startsWith('--'))
			.join('\n')
		for (const statement of sql.split(/;\s*(?:\n|$)/)) {
			if (statement.trim() !== '') {
				await db.prepare(statement).run()
			}
		}
	}
}

async function startOctokit(): Promise<{ proc: ChildProcess; port: number }> {
	const proc = spawn(process.execPath, [join(ROOT, 'bench/workers/octokit-server.ts')], {
		cwd: ROOT,
		env: { ...process.env, WEBHOOK_SECRET: SECRET },
		stdio: ['ignore', 'pipe', 'inherit'],
	})
	const port = await new Promise<number>((resolve, reject) => {
		let out = ''
		proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
			out += chunk
			const match = /listening on (\d+)/.exec(out)
			if (match) {
				resolve(Number(match[1]))
			}
		})
		proc.on('exit', (code) => reject(new Error(`octokit server exited with ${code}`)))
	})
	return { proc, port }
}

async function workerdPid(): Promise<number> {
	const { descendants } = await import('./lib/stats.ts')
	for (const pid of await descendants(process.pid)) {
		let cmd = ''
		try {
			cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
		} catch {
			continue
		}
		if (cmd.includes('workerd')) {
			return pid
		}
	}
	throw new Error('no workerd process found')
}

/** Runs the comparison. */
export async function measureWebhookThroughput(): Promise<ThroughputResult> {
	const dir = mkdtempSync(join(tmpdir(), 'tidegate-webhook-bench-'))
	let healthzPerSecond = 0
	const body = benchPushPayload()
	const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`
	let mf: Miniflare | undefined
	let octokit: ChildProcess | undefined
	try {
		wrangler(['deploy', '--dry-run', '--outdir', join(dir, 'tidegate')])
		await build({
			entryPoints: [join(ROOT, 'bench/workers/bare-hono.ts')],
			bundle: true,
			format: 'esm',
			platform: 'neutral',
			conditions: ['workerd', 'worker', 'browser'],
			mainFields: ['module', 'main'],
			outfile: join(dir, 'bare/index.js'),
			logLevel: 'error',
		})
		await build({
			entryPoints: [join(ROOT, 'bench/workers/storage-floor.ts')],
			bundle: true,
			format: 'esm',
			platform: 'neutral',
			outfile: join(dir, 'floor/index.js'),
			logLevel: 'error',
		})
		// Miniflare 5 takes its own option shape; the v4 shape (documented in its README) converts.
		mf = new Miniflare(
			convertV4MiniflareOptions({
				host: '127.0.0.1',
				port: 0,
				workers: [
					{
						name: 'tidegate',
						modules: true,
						scriptPath: join(dir, 'tidegate/index.js'),
						modulesRoot: join(dir, 'tidegate'),
						compatibilityDate: '2026-11-01',
						unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
						bindings: {
							CF_API_BASE_URL: 'http://127.0.0.1:9/client/v4',
							GITHUB_API_BASE_URL: 'http://127.0.0.1:9',
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
							CF_TUNNEL_API_TOKEN: 'bench',
							CF_ZERO_TRUST_API_TOKEN: 'bench',
							FLUX_WEBHOOK_SECRET: 'bench-flux-secret-0123456789abcdef',
							GITHUB_TOKEN: 'bench',
							GITHUB_WEBHOOK_SECRET: SECRET,
						},
						d1Databases: { DB: 'bench-db' },
						kvNamespaces: { CACHE: 'bench-kv' },
						queueProducers: {
							JOBS: { queueName: 'tidegate-jobs' },
							JOBS_DLQ: { queueName: 'tidegate-jobs-dlq' },
						},
					},
					{
						name: 'bare-hono',
						modules: true,
						scriptPath: join(dir, 'bare/index.js'),
						modulesRoot: join(dir, 'bare'),
						compatibilityDate: '2026-11-01',
						unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
					},
					{
						name: 'storage-floor',
						modules: true,
						scriptPath: join(dir, 'floor/index.js'),
						modulesRoot: join(dir, 'floor'),
						compatibilityDate: '2026-11-01',
						unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
						d1Databases: { DB: 'bench-floor-db' },
						queueProducers: { JOBS: { queueName: 'bench-floor-jobs' } },
					},
				],
			}),
		)
		await mf.ready
		const runtime = mf
		const direct = async (worker: string) => (await runtime.unsafeGetDirectURL(worker)).origin
		const base = await direct('tidegate')
		await migrate(mf)
		await (await mf.getD1Database('DB', 'storage-floor'))
			.prepare('CREATE TABLE deliveries (id TEXT PRIMARY KEY)')
			.run()
		const workerd = await workerdPid()
		const started = await startOctokit()
		octokit = started.proc
		const octokitPid = started.proc.pid ?? 0

		const targets = [
			{
				target: 'tidegate (workerd)',
				url: `${base}/webhooks/github`,
				pid: workerd,
			},
			{
				target: '@octokit/webhooks (Node)',
				url: `http://127.0.0.1:${started.port}/webhooks/github`,
				pid: octokitPid,
			},
			{
				target: 'bare Hono (workerd)',
				url: `${await direct('bare-hono')}/webhooks/github`,
				pid: workerd,
			},
			{
				target: 'storage floor (workerd)',
				url: `${await direct('storage-floor')}/webhooks/github`,
				pid: workerd,
			},
		]
		const headers: Record<string, string> = {
			'content-type': 'application/json',
			'x-github-event': 'push',
			'x-github-delivery': '[<id>]',
			'x-github-hook-id': '1',
			'x-hub-signature-256': signature,
			'user-agent': 'GitHub-Hookshot/044aadd',
		}
		// Each answers a single delivery as it should before any load.
		for (const t of targets) {
			const res = await fetch(t.url, {
				method: 'POST',
				headers: { ...headers, 'x-github-delivery': crypto.randomUUID() },
				body,
			})
			const text = await res.text()
			if (res.status >= 300 && !(t.target.startsWith('@octokit') && res.status === 200)) {
				throw new Error(`${t.target} answered ${res.status}: ${text}`)
			}
		}
		const load = (t: (typeof targets)[number], seconds: number) =>
			autocannon({
				url: t.url,
				method: 'POST',
				connections: CONNECTIONS,
				duration: seconds,
				headers,
				body,
				idReplacement: true,
			})
		for (const t of targets) {
			await load(t, 2)
		}
		// The framework floor of the same Worker: GET /healthz builds the same deps and Hono app.
		const health = await autocannon({
			url: `${base}/healthz`,
			connections: CONNECTIONS,
			duration: DURATION,
		})
		healthzPerSecond = health['2xx'] / DURATION
		const perTarget = new Map<
			string,
			{ rps: number[]; cpu: number[]; p50: number[]; p99: number[]; non2xx: number }
		>()
		const machineBefore = await machineCpu()
		for (let run = 0; run < RUNS; run++) {
			for (const t of targets) {
				const cpuBefore = await treeCpuMs(t.pid)
				const result = await load(t, DURATION)
				const cpuAfter = await treeCpuMs(t.pid)
				const ok = result['2xx']
				const entry = perTarget.get(t.target) ?? { rps: [], cpu: [], p50: [], p99: [], non2xx: 0 }
				entry.rps.push(ok / DURATION)
				entry.cpu.push((cpuAfter - cpuBefore) / Math.max(1, ok))
				entry.p50.push(result.latency.p50)
				entry.p99.push(result.latency.p99)
				entry.non2xx += result.non2xx + result.errors + result.timeouts
				perTarget.set(t.target, entry)
			}
		}
		const steal = stealShare(machineBefore, await machineCpu())
		const rows: ThroughputRow[] = targets.map((t) => {
			const e = perTarget.get(t.target)
			if (!e) {
				throw new Error('no runs')
			}
			return {
				target: t.target,
				requestsPerSecond: summarise(e.rps),
				latencyP50Ms: summarise(e.p50).median,
				latencyP99Ms: summarise(e.p99).median,
				cpuMsPerRequest: round(summarise(e.cpu).median, 3),
				non2xx: e.non2xx,
			}
		})
		const median = (name: string) =>
			rows.find((r) => r.target.startsWith(name))?.requestsPerSecond.median ?? Number.NaN
		return {
			payloadBytes: Buffer.byteLength(body),
			connections: CONNECTIONS,
			durationSeconds: DURATION,
			runs: RUNS,
			rows,
			ratioToOctokit: round(median('tidegate') / median('@octokit'), 3),
			ratioToBareHono: round(median('tidegate') / median('bare'), 3),
			floorToOctokit: round(median('storage floor') / median('@octokit'), 3),
			ratioToFloor: round(median('tidegate') / median('storage floor'), 3),
			healthzPerSecond: round(healthzPerSecond, 0),
			steal: round(steal, 3),
			verifyParse: await measureVerifyParse(body, signature),
		}
	} finally {
		if (octokit && octokit.exitCode === null) {
			// The next benchmark starts only once this one's processes are gone.
			const exited = new Promise((r) => octokit?.once('exit', r))
			octokit.kill('SIGTERM')
			await exited
		}
		await mf?.dispose()
		rmSync(dir, { recursive: true, force: true })
	}
}

/** Verify + parse alone (`BENCH_VERIFY_ONLY=1`): the signed bench push, in this process. */
export function measureVerifyParseOnly(): Promise<{ tidegateUs: number; octokitUs: number }> {
	const body = benchPushPayload()
	return measureVerifyParse(
		body,
		`sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
	)
}

const main = process.argv[1] === fileURLToPath(import.meta.url)
if (main && process.env.BENCH_VERIFY_ONLY) {
	const r = await measureVerifyParseOnly()
	if (!printJsonResult(r)) {
		console.log(
			`verify + parse in-process: tidegate ${r.tidegateUs} µs, octokit ${r.octokitUs} µs CPU per delivery`,
		)
	}
} else if (main) {
	const r = await measureWebhookThroughput()
	console.log(
		`payload ${r.payloadBytes} B, ${r.connections} connections, ${r.runs} runs × ${r.durationSeconds} s`,
	)
	for (const row of r.rows) {
		const s = row.requestsPerSecond
		console.log(
			`  ${row.target.padEnd(26)} ${s.median.toFixed(0).padStart(6)} req/s (min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)}, spread ${(s.spread * 100).toFixed(1)}%), p50 ${row.latencyP50Ms} ms, p99 ${row.latencyP99Ms} ms, ${row.cpuMsPerRequest} ms CPU/req, non-2xx ${row.non2xx}`,
		)
	}
	console.log(
		`tidegate ÷ octokit = ${r.ratioToOctokit} (goal ≥ 1.0); tidegate ÷ bare Hono = ${r.ratioToBareHono}`,
	)
	console.log(
		`storage floor ÷ octokit = ${r.floorToOctokit} (the best any D1-deduping intake gets on the local simulators); tidegate ÷ storage floor = ${r.ratioToFloor}`,
	)
	console.log(`tidegate GET /healthz in the same workerd: ${r.healthzPerSecond} req/s`)
	console.log(
		`CPU stolen by the hypervisor during the timed runs: ${(r.steal * 100).toFixed(1)}% (figures from a busy host are lower and noisier)`,
	)
	console.log(
		`verify + parse in-process: tidegate ${r.verifyParse.tidegateUs} µs, octokit ${r.verifyParse.octokitUs} µs CPU per delivery`,
	)
}
