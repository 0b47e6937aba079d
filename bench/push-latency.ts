/**
 * Benchmark (docs/performance.md): push-to-applied latency through the local stack (`npm start`: wrangler dev
 * with local D1/KV/Queue, the GitHub and Cloudflare stand-ins on loopback). Each push commits a
 * changed tidegate.yaml to the GitHub stand-in, which delivers the signed webhook to the Worker;
 * the clock stops when the Cloudflare stand-in holds the new tunnel configuration. The run's own
 * timestamps split the time into webhook answer, wait in the queue, and the reconcile.
 *
 *   npx node bench/push-latency.ts        (BENCH_PUSHES=8; TIDEGATE_PORT_OFFSET: a free one by default)
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { printJsonResult } from './lib/baseline.ts'
import { round, type Summary, summarise } from './lib/stats.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PUSHES = Number(process.env.BENCH_PUSHES ?? 8)

/** The latency figures. */
export interface PushLatencyResult {
	pushes: number
	/** From the push (commit + webhook) to Cloudflare holding the change, ms. */
	pushToApplied: Summary
	/** The webhook's answer as the GitHub stand-in saw it (push API call returns after delivery), ms. */
	webhookAnswered: Summary
	/** From queued to the consumer starting the run (the local queue batches for up to 1 s), ms. */
	queueWait: Summary
	/** The reconcile itself (GitHub reads, Cloudflare reads, PUTs, statuses), ms. */
	reconcile: Summary
}

/** True when nothing listens on 127.0.0.1:`port` (it can be bound now). */
function portIsFree(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const server = createServer()
		server.once('error', () => resolve(false))
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
	})
}

/**
 * A port offset at which every port of the local stack is free. A fixed offset once met a port the
 * previous benchmark's processes had just used (EADDRINUSE); the ports are probed instead.
 */
async function freeOffset(): Promise<number> {
	// A second instance of the module (the query), so this process's own PORTS keep their offset.
	const { PORTS } = (await import(
		String(new URL('../scripts/local/stack.ts?port-probe', import.meta.url))
	)) as { PORTS: Record<string, number | readonly number[]> }
	const shift = Number(process.env.TIDEGATE_PORT_OFFSET ?? 0)
	const base = Object.values(PORTS).flatMap((p) => (typeof p === 'number' ? [p] : [...p]))
	for (let attempt = 0; attempt < 50; attempt++) {
		const offset = 20_000 + Math.floor(Math.random() * 190) * 100
		const ports = base.map((p) => p - shift + offset)
		if ((await Promise.all(ports.map(portIsFree))).every(Boolean)) {
			return offset
		}
	}
	throw new Error('no port offset with every local-stack port free')
}

/** Boots the local stack on a free port offset and a fresh state directory, measures, stops it. */
export async function measurePushLatency(offset?: number): Promise<PushLatencyResult> {
	offset ??= process.env.TIDEGATE_PORT_OFFSET
		? Number(process.env.TIDEGATE_PORT_OFFSET)
		: await freeOffset()
	const state = mkdtempSync(join(tmpdir(), 'tidegate-bench-stack-'))
	process.env.TIDEGATE_PORT_OFFSET = String(offset)
	process.env.TIDEGATE_STATE_DIR = state
	const { URLS } = await import('../scripts/local/stack.ts')
	const { LocalStack } = await import('../scripts/local/client.ts')
	let stack: ChildProcess | undefined
	try {
		stack = spawn(process.execPath, [join(ROOT, 'scripts/start.ts')], {
			cwd: ROOT,
			env: { ...process.env, TIDEGATE_PORT_OFFSET: String(offset), TIDEGATE_STATE_DIR: state },
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true,
		})
		let output = ''
		for (const stream of [stack.stdout, stack.stderr]) {
			stream?.setEncoding('utf8').on('data', (chunk: string) => {
				output += chunk
			})
		}
		const deadline = Date.now() + 180_000
		while (!output.includes('tidegate is running.')) {
			if (Date.now() > deadline || stack.exitCode !== null) {
				throw new Error(`the local stack did not start:\n${output}`)
			}
			await new Promise((r) => setTimeout(r, 100))
		}
		const secrets = JSON.parse(readFileSync(join(state, 'secrets.json'), 'utf8'))
		const client = new LocalStack(secrets)
		// The stack's first sync (cron or the seed push) settles before measuring.
		const base = await client.headFile('tidegate.yaml')
		const totals: number[] = []
		const answered: number[] = []
		const waits: number[] = []
		const reconciles: number[] = []
		for (let i = 0; i < PUSHES; i++) {
			const status = i % 2 === 0 ? 503 : 404
			const text = base.replace(/catchAll: http_status:\d+/, `catchAll: http_status:${status}`)
			const after = await client.lastRunId()
			const t0 = performance.now()
			const pushed = await client.push({ 'tidegate.yaml': text }, `bench push ${i}`)
			answered.push(performance.now() - t0)
			for (;;) {
				const cf = await client.cloudflareState()
				const ingress = cf.accounts[0]?.tunnels[0]?.config?.ingress ?? []
				if (ingress[ingress.length - 1]?.service === `http_status:${status}`) {
					break
				}
				if (performance.now() - t0 > 60_000) {
					throw new Error(`push ${i} was not applied within 60 s`)
				}
				await new Promise((r) => setTimeout(r, 10))
			}
			totals.push(performance.now() - t0)
			const run = (await client.waitForDeciding((r) => r.trigger === 'push', after)) as unknown as {
				commitSha: string
				queuedAt: string
				startedAt: string
				finishedAt: string
			}
			if (run.commitSha !== pushed.sha) {
				throw new Error(`the push run reconciled ${run.commitSha}, not ${pushed.sha}`)
			}
			waits.push(Date.parse(run.startedAt) - Date.parse(run.queuedAt))
			reconciles.push(Date.parse(run.finishedAt) - Date.parse(run.startedAt))
		}
		const r = (v: number[]) => {
			const s = summarise(v)
			return {
				...s,
				min: round(s.min, 0),
				median: round(s.median, 0),
				max: round(s.max, 0),
				spread: round(s.spread, 2),
			}
		}
		void URLS
		return {
			pushes: PUSHES,
			pushToApplied: r(totals),
			webhookAnswered: r(answered),
			queueWait: r(waits),
			reconcile: r(reconciles),
		}
	} finally {
		if (stack?.pid && stack.exitCode === null) {
			const exited = new Promise((r) => stack?.once('exit', r))
			process.kill(-stack.pid, 'SIGINT')
			const timer = setTimeout(() => {
				if (stack?.pid && stack.exitCode === null) {
					process.kill(-stack.pid, 'SIGKILL')
				}
			}, 15_000)
			// Whatever ended it, the next benchmark starts only once the stack is gone.
			await exited
			clearTimeout(timer)
		}
		rmSync(state, { recursive: true, force: true })
	}
}

const main = process.argv[1] === fileURLToPath(import.meta.url)
const measured = main ? await measurePushLatency() : undefined
if (measured && !printJsonResult(measured)) {
	const r = measured
	const line = (name: string, s: Summary) =>
		`  ${name.padEnd(36)} median ${s.median} ms (min ${s.min}, max ${s.max})`
	console.log(`${r.pushes} pushes through the local stack`)
	console.log(line('push → Cloudflare holds the change', r.pushToApplied))
	console.log(line('webhook delivered and answered', r.webhookAnswered))
	console.log(line('queued → consumer starts the run', r.queueWait))
	console.log(line('reconcile (start → finish)', r.reconcile))
}
