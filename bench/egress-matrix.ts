/**
 * Benchmark (docs/performance.md): the egress matrix of 3 nodes × 10 targets, one of which never answers,
 * through real agent processes on loopback, the way the Worker calls them. Prints the wall time
 * of a whole check as a ratio to the probe timeout (goal ≤ 1.3: the fan-out costs about one
 * timeout, not one per node or target) and each agent's resident memory, idle and under load.
 *
 *   npx node bench/egress-matrix.ts
 *   BENCH_TIMEOUT_MS=1000 BENCH_ROUNDS=30 BENCH_CONCURRENCY=8 npx node bench/egress-matrix.ts
 *
 * Exits 1 when the median ratio misses the goal. Results go in docs/performance.md.
 */
import { readFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { AgentCheckRequestInput, AgentTarget } from '../src/contracts/agent.ts'
import { agentCheckResponseSchema } from '../src/contracts/agent.ts'
import { postCheck, rid, startAgent, type TestAgent } from '../test/agent/helpers/agents.ts'
import { selfSignedCert } from '../test/agent/helpers/certs.ts'
import {
	bannerServer,
	blackholeServer,
	freePort,
	httpServer,
	type TestServer,
	tlsServer,
} from '../test/agent/helpers/net.ts'
import { servePostgresStandin } from '../test/standins/local/services.ts'

const GOAL = 1.3

/** How to run the matrix benchmark (defaults from BENCH_* variables). */
export interface EgressBenchOptions {
	timeoutMs: number
	rounds: number
	concurrency: number
}

/** The figures of one run (also printed). */
export interface EgressBenchResult {
	timeoutMs: number
	nodes: number
	targets: number
	cells: number
	timeoutsPerCheck: number
	rounds: number
	wallMs: { min: number; median: number; p90: number; max: number }
	ratio: { min: number; median: number; max: number }
	underLoad: { concurrency: number; checks: number; medianRatio: number; maxRatio: number }
	rssIdleMiB: number[]
	rssPeakMiB: number[]
	goalMet: boolean
}

async function rssKiB(pid: number | undefined): Promise<number> {
	if (pid === undefined) {
		return 0
	}
	// Linux only; elsewhere the memory figures read 0.
	const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
	return Number(/^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1] ?? 0)
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`

function quantile(sorted: number[], q: number): number {
	const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))
	return sorted[i] ?? Number.NaN
}

/** Runs the matrix benchmark once and returns (and prints) its figures. */
export async function runEgressMatrix(
	options: Partial<EgressBenchOptions> = {},
): Promise<EgressBenchResult> {
	const TIMEOUT_MS = options.timeoutMs ?? Number(process.env.BENCH_TIMEOUT_MS ?? 2000)
	const ROUNDS = options.rounds ?? Number(process.env.BENCH_ROUNDS ?? 15)
	const CONCURRENCY = options.concurrency ?? Number(process.env.BENCH_CONCURRENCY ?? 8)
	const cert = await selfSignedCert(30)
	const servers: TestServer[] = []
	const agents: TestAgent[] = []
	try {
		const web = await httpServer(200)
		const unavailable = await httpServer(503)
		const ssh = await bannerServer()
		const silent = await blackholeServer()
		const tls = await tlsServer(cert.cert, cert.key)
		const pg = await servePostgresStandin({ port: 0 })
		servers.push(web, unavailable, ssh, silent, tls, {
			port: pg.port,
			close: () => pg.close(),
		})
		const refused = await freePort()
		const ports = await Promise.all([freePort(), freePort(), freePort()])
		const peers = ports.map((p) => `http://127.0.0.1:${p}`)
		agents.push(
			...(await Promise.all(
				['bench-a', 'bench-b', 'bench-c'].map((name, i) =>
					startAgent({ name, port: ports[i] ?? 0, peers }),
				),
			)),
		)
		const entry = agents[0] as TestAgent
		const targets: AgentTarget[] = [
			{ name: 'web', host: '127.0.0.1', port: web.port, probe: 'http' },
			{ name: 'web-tcp', host: '127.0.0.1', port: web.port, probe: 'tcp' },
			{ name: 'db', host: '127.0.0.1', port: pg.port, probe: 'postgres' },
			{ name: 'tls', host: 'localhost', port: tls.port, probe: 'tls' },
			{ name: 'api-503', host: '127.0.0.1', port: unavailable.port, probe: 'http' },
			{ name: 'closed', host: '127.0.0.1', port: refused, probe: 'tcp' },
			{ name: 'typo', host: 'no-such-db.invalid', port: 5432, probe: 'postgres' },
			{ name: 'agent', host: '127.0.0.1', port: entry.port, probe: 'http', path: '/healthz' },
			{ name: 'ssh-not-db', host: '127.0.0.1', port: ssh.port, probe: 'postgres' },
			// The one that never answers: accepted, then silence through the TLS handshake.
			{ name: 'silent', host: '127.0.0.1', port: silent.port, probe: 'tls' },
		]
		const request = (): AgentCheckRequestInput => ({
			targets,
			timeoutMs: TIMEOUT_MS,
			requestId: rid(),
		})
		const check = async () => {
			const res = await postCheck(entry.url, request())
			const body = agentCheckResponseSchema.parse(res.json)
			return { ms: res.ms, body }
		}

		// Warm-up: module loading and first connections are not what is measured.
		await check()
		const idle = await Promise.all(agents.map((a) => rssKiB(a.proc.pid)))

		const walls: number[] = []
		let last: Awaited<ReturnType<typeof check>> | undefined
		for (let i = 0; i < ROUNDS; i++) {
			last = await check()
			walls.push(last.ms)
		}
		const cells = last?.body.nodes.reduce((n, node) => n + node.results.length, 0) ?? 0
		const timeouts =
			last?.body.nodes.flatMap((n) => n.results).filter((r) => r.error === 'timeout').length ?? 0

		// Load: CONCURRENCY checks at once, for as many rounds, sampling memory as they run.
		const peak = agents.map(() => 0)
		let sampling = true
		const sampler = (async () => {
			while (sampling) {
				const now = await Promise.all(agents.map((a) => rssKiB(a.proc.pid)))
				now.forEach((v, i) => {
					peak[i] = Math.max(peak[i] ?? 0, v)
				})
				await new Promise((r) => setTimeout(r, 50))
			}
		})()
		const loadStarted = performance.now()
		const loadWalls: number[] = []
		for (let i = 0; i < Math.max(3, Math.ceil(ROUNDS / 3)); i++) {
			const batch = await Promise.all(Array.from({ length: CONCURRENCY }, () => check()))
			loadWalls.push(...batch.map((b) => b.ms))
		}
		const loadMs = performance.now() - loadStarted
		sampling = false
		await sampler

		const sorted = [...walls].sort((a, b) => a - b)
		const loadSorted = [...loadWalls].sort((a, b) => a - b)
		const ratio = (ms: number) => (ms / TIMEOUT_MS).toFixed(3)
		const median = quantile(sorted, 0.5)
		const lines = [
			`egress matrix: ${last?.body.nodes.length ?? 0} nodes × ${targets.length} targets = ${cells} cells, ${timeouts} probe timeouts per check`,
			`node ${process.version}, ${cpus().length} CPUs, ${mib(totalmem() / 1024)} RAM; probe timeout ${TIMEOUT_MS} ms; ${ROUNDS} sequential checks`,
			`wall time: min ${sorted[0]?.toFixed(0)} ms, median ${median.toFixed(0)} ms, p90 ${quantile(sorted, 0.9).toFixed(0)} ms, max ${sorted[sorted.length - 1]?.toFixed(0)} ms`,
			`ratio to the probe timeout: min ${ratio(sorted[0] ?? 0)}, median ${ratio(median)}, max ${ratio(sorted[sorted.length - 1] ?? 0)} (goal ≤ ${GOAL}: ${median / TIMEOUT_MS <= GOAL ? 'met' : 'MISSED'})`,
			`under load (${CONCURRENCY} concurrent checks × ${loadWalls.length / CONCURRENCY} rounds, ${loadWalls.length} checks in ${(loadMs / 1000).toFixed(1)} s): median ratio ${ratio(quantile(loadSorted, 0.5))}, max ${ratio(loadSorted[loadSorted.length - 1] ?? 0)}`,
			`agent RSS idle: ${agents.map((a, i) => `${a.name} ${mib(idle[i] ?? 0)}`).join(', ')}`,
			`agent RSS peak under load: ${agents.map((a, i) => `${a.name} ${mib(peak[i] ?? 0)}`).join(', ')}`,
		]
		console.log(lines.join('\n'))
		const r3 = (v: number) => Math.round(v * 1000) / 1000
		return {
			timeoutMs: TIMEOUT_MS,
			nodes: last?.body.nodes.length ?? 0,
			targets: targets.length,
			cells,
			timeoutsPerCheck: timeouts,
			rounds: ROUNDS,
			wallMs: {
				min: Math.round(sorted[0] ?? 0),
				median: Math.round(median),
				p90: Math.round(quantile(sorted, 0.9)),
				max: Math.round(sorted[sorted.length - 1] ?? 0),
			},
			ratio: {
				min: r3((sorted[0] ?? 0) / TIMEOUT_MS),
				median: r3(median / TIMEOUT_MS),
				max: r3((sorted[sorted.length - 1] ?? 0) / TIMEOUT_MS),
			},
			underLoad: {
				concurrency: CONCURRENCY,
				checks: loadWalls.length,
				medianRatio: r3(quantile(loadSorted, 0.5) / TIMEOUT_MS),
				maxRatio: r3((loadSorted[loadSorted.length - 1] ?? 0) / TIMEOUT_MS),
			},
			rssIdleMiB: idle.map((k) => Math.round((k / 1024) * 10) / 10),
			rssPeakMiB: peak.map((k) => Math.round((k / 1024) * 10) / 10),
			goalMet: median / TIMEOUT_MS <= GOAL,
		}
	} finally {
		for (const agent of agents) {
			agent.kill('SIGTERM')
		}
		await Promise.all(agents.map((a) => a.exited))
		await Promise.all(servers.map((s) => s.close()))
		await cert.remove()
	}
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	process.exitCode = (await runEgressMatrix()).goalMet ? 0 : 1
}
