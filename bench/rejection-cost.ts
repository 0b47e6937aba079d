/**
 * Benchmark (docs/performance.md): the CPU a refused request costs the Worker, against an accepted one,
 * measured in the same run. A flood of unauthenticated requests must be answered cheaply: the
 * rate limit (src/http/rate-limit.ts) answers 429 before the body is read or any HMAC computed.
 * The Worker runs in this Node process (V8, as in workerd; bench/lib/worker.ts) with no-op storage
 * and a rate-limiting binding that answers at once, so only the Worker's own work is counted.
 *
 * - accepted: a signed ~7 KB push → 202 (limit check, read, HMAC, JSON + schema, claim, queue);
 * - over the address budget → 429 (limit check only);
 * - a forged signature → 401 (limit check, read, HMAC): what a flood would cost without the limit;
 * - a declared body over 1 MiB → 413 (limit check, header);
 * - the admin API without credentials → 401 (limit check, auth header).
 *
 *   npx node bench/rejection-cost.ts
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { round } from './lib/stats.ts'
import {
	cpuPerCall,
	type Env,
	fakeD1,
	kv,
	loadWorker,
	noContext,
	pushRequest,
	pushSignature,
	queue,
} from './lib/worker.ts'

const SECRET = 'bench-webhook-secret-0123456789abcdef'

/** One kind of request and its CPU. */
export interface RejectionRow {
	request: string
	status: number
	cpuMs: number
	spread: number
	/** CPU as a share of the accepted push's, measured in the same run. */
	ofAccepted: number
}

/** Measures each kind of request, the accepted push first. */
export async function measureRejectionCost(): Promise<RejectionRow[]> {
	const dir = mkdtempSync(join(tmpdir(), 'tidegate-rejection-'))
	const worker = await loadWorker(dir)
	rmSync(dir, { recursive: true, force: true })
	const limiter = (allow: boolean) => ({ limit: async () => ({ success: allow }) })
	const env = (allow: boolean): Env => ({
		DB: fakeD1(),
		CACHE: kv,
		JOBS: queue,
		JOBS_DLQ: queue,
		INTAKE_LIMITER: limiter(allow),
		GITHUB_REPOSITORY: 'oceanid/gitops',
		GITHUB_BRANCH: 'main',
		TIDEGATE_CONFIG_PATH: 'tidegate.yaml',
		ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
		GITHUB_WEBHOOK_SECRET: SECRET,
		FLUX_WEBHOOK_SECRET: 'bench-flux-secret-0123456789abcdef',
	})
	const { benchPushPayload } = await import('./webhook-throughput.ts')
	const body = benchPushPayload()
	const signature = pushSignature(body, SECRET)
	const push = (headers: Record<string, string> = {}) =>
		pushRequest(body, signature, { 'cf-connecting-ip': '203.0.113.9', ...headers })
	const cases: { request: string; status: number; make: () => Request; allow: boolean }[] = [
		{ request: 'signed push, accepted', status: 202, make: () => push(), allow: true },
		{
			request: 'over the address budget (rate limit)',
			status: 429,
			make: () => push(),
			allow: false,
		},
		{
			request: 'forged signature (read + HMAC)',
			status: 401,
			make: () => push({ 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }),
			allow: true,
		},
		{
			request: 'declared body over 1 MiB',
			status: 413,
			make: () => push({ 'content-length': String(2 * 1024 * 1024) }),
			allow: true,
		},
		{
			request: 'admin API without credentials',
			status: 401,
			make: () =>
				new Request('https://tidegate.bench/api/status', {
					headers: { 'cf-connecting-ip': '203.0.113.9' },
				}),
			allow: true,
		},
	]
	const rows: RejectionRow[] = []
	for (const c of cases) {
		const bindings = env(c.allow)
		const { cpuMs, spread } = await cpuPerCall(async () => {
			const res = await worker.fetch(c.make(), bindings, noContext)
			if (res.status !== c.status) {
				throw new Error(`${c.request}: answered ${res.status}: ${await res.text()}`)
			}
			await res.arrayBuffer()
		}, 300)
		const accepted = rows[0]?.cpuMs ?? cpuMs
		rows.push({
			request: c.request,
			status: c.status,
			cpuMs: round(cpuMs, 4),
			spread,
			ofAccepted: round(cpuMs / accepted, 3),
		})
	}
	return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const rows = await measureRejectionCost()
	console.log(`${'request'.padEnd(40)} status   CPU (ms)   × accepted   spread`)
	for (const r of rows) {
		console.log(
			`${r.request.padEnd(40)} ${String(r.status).padEnd(6)} ${r.cpuMs.toFixed(4).padStart(9)}   ${r.ofAccepted.toFixed(3).padStart(10)}   ${(r.spread * 100).toFixed(0)}%`,
		)
	}
}
