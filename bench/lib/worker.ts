/**
 * @module The Worker as the CPU benchmarks run it: bundled for Node by esbuild and called with
 * no-op storage fakes, because in production D1, KV and Queues run elsewhere and their time is not
 * the Worker's CPU. Used by bench/cpu-budget.ts and bench/rejection-cost.ts.
 */
import { createHmac } from 'node:crypto'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { round, summarise } from './stats.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
// Workers types (Env, D1Database, …) belong to the Worker program; Node sees only the shapes used.
export type Env = Record<string, unknown>
type D1Database = unknown
type KVNamespace = unknown
type Queue = unknown
export type ExecutionContext = unknown
export type ScheduledController = { cron: string; scheduledTime: number; noRetry(): void }
export type MessageBatch<_T> = unknown
/** The Worker's handlers as this benchmark calls them. */
export interface WorkerHandlers {
	fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response>
	scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void>
	queue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void>
}

/**
 * The Worker bundled for Node by esbuild (its JSX pages need a compiler), with `cloudflare:sockets`
 * (the edge prober, workerd only, never called on the measured paths) stubbed.
 */
export async function loadWorker(dir: string): Promise<WorkerHandlers> {
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
export function fakeD1(): D1Database {
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

export const kv = {
	get: async () => null,
	put: async () => {},
	delete: async () => {},
	list: async () => ({ keys: [], list_complete: true }),
} as unknown as KVNamespace
/**
 * A KV that keeps what is put, as strings (JSON values are parsed on each read, as a Worker does),
 * so caches hit the way they do in production. Its own time is small next to the Worker's.
 */
export function memoryKv(): KVNamespace {
	const values = new Map<string, string>()
	return {
		get: async (key: string, type?: string | { type?: string }) => {
			const value = values.get(key)
			const as = typeof type === 'string' ? type : type?.type
			return value === undefined ? null : as === 'json' ? JSON.parse(value) : value
		},
		put: async (key: string, value: string) => {
			values.set(key, value)
		},
		delete: async (key: string) => {
			values.delete(key)
		},
		list: async () => ({ keys: [], list_complete: true }),
	} as unknown as KVNamespace
}
export const queue = { send: async () => {}, sendBatch: async () => {} } as unknown as Queue

/** An execution context whose methods do nothing (every handler awaits its own work). */
export const noContext = {
	waitUntil: () => {},
	passThroughOnException: () => {},
	props: {},
} as unknown as ExecutionContext

/**
 * CPU milliseconds per call of `fn`, median of 7 timed batches after a warm-up (V8 optimises the
 * hot code first, as in a warm isolate). `outsideMs()` is time spent outside the Worker (stand-ins)
 * during the batch, subtracted. Console output is silenced while measuring.
 */
export async function cpuPerCall(
	fn: () => Promise<unknown>,
	perBatch: number,
	outside: { reset(): void; ms(): number } = { reset: () => {}, ms: () => 0 },
): Promise<{ cpuMs: number; spread: number }> {
	const saved = [console.log, console.warn, console.info] as const
	console.log = () => {}
	console.warn = () => {}
	console.info = () => {}
	try {
		for (let i = 0; i < perBatch * 5; i++) {
			await fn()
		}
		const samples: number[] = []
		for (let r = 0; r < 7; r++) {
			outside.reset()
			const t0 = process.cpuUsage()
			for (let i = 0; i < perBatch; i++) {
				await fn()
			}
			const d = process.cpuUsage(t0)
			samples.push(((d.user + d.system) / 1000 - outside.ms()) / perBatch)
		}
		const s = summarise(samples)
		return { cpuMs: round(s.median, 4), spread: round(s.spread, 2) }
	} finally {
		;[console.log, console.warn, console.info] = saved
	}
}

/** `X-Hub-Signature-256` of `body` under `secret`; computed once, outside the measured calls. */
export function pushSignature(body: string, secret: string): string {
	return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

/** A POST /webhooks/github of `body` with its signature, a fresh delivery id and extra headers. */
export function pushRequest(
	body: string,
	signature: string,
	headers: Record<string, string> = {},
): Request {
	return new Request('https://tidegate.bench/webhooks/github', {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			'x-github-event': 'push',
			'x-github-delivery': crypto.randomUUID(),
			'x-hub-signature-256': signature,
			...headers,
		},
		body,
	})
}
