/**
 * `npm run bench`: runs every benchmark in bench/ in one go and writes one report —
 * reports/bench.md (tables) and reports/bench.json (every figure) — so all figures come from the
 * same machine and the same run. docs/performance.md explains each one.
 *
 *   npm run bench
 *   BENCH_ONLY=bundle,plan npm run bench     (a subset: bundle, plan, calls, cpu, verify, rejection, webhook, egress, latency)
 *   BENCH_BASELINE=<ref> npm run bench       (compare with another commit; `none`: no baseline)
 *
 * bundle, plan, cpu, verify and latency also run against the baseline commit in the same run
 * (bench/lib/baseline.ts: the same benchmark code in a git worktree of that commit).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { measureApiCalls } from './api-calls.ts'
import { type BundleResult, FREE_PLAN_LIMIT_BYTES, measureBundle } from './bundle-size.ts'
import { type CpuRow, FREE_PLAN_CPU_MS, measureCpuBudget } from './cpu-budget.ts'
import { runEgressMatrix } from './egress-matrix.ts'
import { runBaseline } from './lib/baseline.ts'
import { measurePlanCpu, type PlanCpuRow } from './plan-cpu.ts'
import { measurePushLatency, type PushLatencyResult } from './push-latency.ts'
import { measureRejectionCost } from './rejection-cost.ts'
import { measureVerifyParseOnly, measureWebhookThroughput } from './webhook-throughput.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim())
const wanted = (name: string) => !only || only.includes(name)

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
const pct = (share: number) => `${(share * 100).toFixed(1)}%`

async function step<T>(name: string, fn: () => Promise<T> | T): Promise<T | undefined> {
	if (!wanted(name)) {
		return undefined
	}
	const started = Date.now()
	process.stdout.write(`bench: ${name}…\n`)
	const result = await fn()
	process.stdout.write(`bench: ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
	return result
}

/** The same benchmark against the baseline commit; null (and a note) when it cannot run. */
async function before<T>(
	script: string,
	env: Record<string, string> = {},
): Promise<{ commit: string; result: T } | null> {
	try {
		return await runBaseline<T>(script, env)
	} catch (e) {
		process.stdout.write(`bench: baseline ${script} failed: ${(e as Error).message}\n`)
		return null
	}
}
const short = (commit: string) => commit.slice(0, 7)

const report: Record<string, unknown> = {
	generatedAt: new Date().toISOString(),
	machine: {
		node: process.version,
		cpus: cpus().length,
		cpuModel: cpus()[0]?.model ?? 'unknown',
		memoryGiB: Math.round(totalmem() / 1024 ** 3),
	},
}
const md: string[] = [
	'# tidegate benchmarks',
	'',
	`Generated ${report.generatedAt as string} by \`npm run bench\` on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}. Every figure below comes from this one run; docs/performance.md says how each is measured.`,
	'',
]

const bundle = await step('bundle', measureBundle)
const bundleBefore = bundle && (await before<BundleResult>('bundle-size.ts'))
if (bundle) {
	report.bundle = bundle
	report.bundleBaseline = bundleBefore
	md.push(
		'## Worker bundle',
		'',
		`| raw | gzip | free-plan limit (compressed) | share of the limit |`,
		'|---|---|---|---|',
		`| ${kib(bundle.rawBytes)} | ${kib(bundle.gzipBytes)} | ${kib(FREE_PLAN_LIMIT_BYTES)} | ${pct(bundle.gzipShareOfLimit)} |`,
		'',
		'| dependency | bytes in the bundle | share |',
		'|---|---|---|',
		...bundle.shares.map((s) => `| ${s.name} | ${kib(s.bytes)} | ${pct(s.share)} |`),
		'',
		bundleBefore
			? `Baseline ${short(bundleBefore.commit)}, built in the same run: ${kib(bundleBefore.result.rawBytes)} raw, **${kib(bundleBefore.result.gzipBytes)}** gzip → now **${kib(bundle.gzipBytes)}** (goal ≤ 200 KiB).`
			: 'No baseline built.',
		'',
	)
}

const plan = await step('plan', () => measurePlanCpu())
const planBefore = plan && (await before<PlanCpuRow[]>('plan-cpu.ts'))
/** The growth exponent of parse time between two sizes: 1 is linear, 2 quadratic. */
const exponent = (rows: PlanCpuRow[], from: number, to: number) => {
	const a = rows.find((r) => r.size === from)
	const b = rows.find((r) => r.size === to)
	return a && b ? Math.log(b.parseUs / a.parseUs) / Math.log(to / from) : Number.NaN
}
if (plan) {
	report.planCpu = plan
	report.planCpuBaseline = planBefore
	md.push(
		'## Planning CPU vs parsing the same tidegate.yaml',
		'',
		'| rules + entries | YAML | parse + validate | plan: first sync | plan: one change | plan: in sync |',
		'|---|---|---|---|---|---|',
		...plan.map(
			(r) =>
				`| ${r.size} | ${kib(r.yamlBytes)} | ${(r.parseUs / 1000).toFixed(2)} ms | ${(r.firstSyncUs / 1000).toFixed(2)} ms (×${r.ratios.firstSync}) | ${(r.oneChangeUs / 1000).toFixed(2)} ms (×${r.ratios.oneChange}) | ${(r.inSyncUs / 1000).toFixed(2)} ms (×${r.ratios.inSync}) |`,
		),
		'',
		`Parse + validate grows as size^${exponent(plan, 100, 1000).toFixed(2)} between 100 and 1,000 rules (1 is linear).`,
		'',
	)
	if (planBefore) {
		md.push(
			`Baseline ${short(planBefore.commit)}, same run (parse + validate; plan in sync):`,
			'',
			'| rules + entries | parse + validate: before → now | plan in sync: before → now |',
			'|---|---|---|',
			...plan.map((r) => {
				const b = planBefore.result.find((x) => x.size === r.size)
				return `| ${r.size} | ${b ? (b.parseUs / 1000).toFixed(2) : '?'} → **${(r.parseUs / 1000).toFixed(2)} ms** | ${b ? (b.inSyncUs / 1000).toFixed(2) : '?'} → ${(r.inSyncUs / 1000).toFixed(2)} ms |`
			}),
			'',
			`Baseline growth exponent 100 → 1,000: ${exponent(planBefore.result, 100, 1000).toFixed(2)}.`,
			'',
		)
	}
}

const calls = await step('calls', () => measureApiCalls())
if (calls) {
	report.apiCalls = calls
	md.push(
		'## Cloudflare API calls per reconcile',
		'',
		'| rules + entries | reconcile | GET | PUT | total | PUTs per resource |',
		'|---|---|---|---|---|---|',
		...calls.map(
			(c) =>
				`| ${c.size} | ${c.scenario} | ${c.gets} | ${c.puts} | ${c.total} | ${
					Object.entries(c.putsByResource)
						.map(([k, v]) => `${k} ${v}`)
						.join(', ') || '—'
				} |`,
		),
		'',
	)
}

const cpu = await step('cpu', measureCpuBudget)
const cpuBefore = cpu && (await before<CpuRow[]>('cpu-budget.ts'))
if (cpu) {
	report.cpuBudget = cpu
	report.cpuBudgetBaseline = cpuBefore
	md.push(
		`## Estimated CPU per invocation vs the free plan's ${FREE_PLAN_CPU_MS} ms`,
		'',
		`| invocation | CPU (median) | share of 10 ms | spread | baseline ${cpuBefore ? short(cpuBefore.commit) : '—'}, same run |`,
		'|---|---|---|---|---|',
		...cpu.map((r) => {
			const b = cpuBefore?.result.find((x) => x.path === r.path)
			return `| ${r.path} | ${r.cpuMs} ms | ${pct(r.shareOfFreePlan)} | ${pct(r.spread)} | ${b ? `${b.cpuMs} ms` : '—'} |`
		}),
		'',
	)
}

const verify = await step('verify', measureVerifyParseOnly)
const verifyBefore =
	verify &&
	(await before<{ tidegateUs: number; octokitUs: number }>('webhook-throughput.ts', {
		BENCH_VERIFY_ONLY: '1',
	}))
if (verify) {
	report.verifyParse = verify
	report.verifyParseBaseline = verifyBefore
	const ratio = (v: { tidegateUs: number; octokitUs: number }) =>
		(v.tidegateUs / v.octokitUs).toFixed(2)
	md.push(
		'## Webhook verify + parse, in-process, vs @octokit/webhooks',
		'',
		'| code | tidegate | @octokit/webhooks | ratio (goal ≤ 1.5) |',
		'|---|---|---|---|',
		`| now | ${verify.tidegateUs} µs | ${verify.octokitUs} µs | **${ratio(verify)}** |`,
		...(verifyBefore
			? [
					`| baseline ${short(verifyBefore.commit)} | ${verifyBefore.result.tidegateUs} µs | ${verifyBefore.result.octokitUs} µs | ${ratio(verifyBefore.result)} |`,
				]
			: []),
		'',
	)
}

const rejection = await step('rejection', measureRejectionCost)
if (rejection) {
	report.rejectionCost = rejection
	md.push(
		'## CPU of a refused request vs an accepted one (same run)',
		'',
		'| request | status | CPU (median) | × accepted | spread |',
		'|---|---|---|---|---|',
		...rejection.map(
			(r) => `| ${r.request} | ${r.status} | ${r.cpuMs} ms | ${r.ofAccepted} | ${pct(r.spread)} |`,
		),
		'',
	)
}

const webhook = await step('webhook', measureWebhookThroughput)
if (webhook) {
	report.webhook = webhook
	md.push(
		'## Webhook ingest throughput',
		'',
		`${webhook.payloadBytes} B signed push, a fresh X-GitHub-Delivery per request, autocannon with ${webhook.connections} connections, ${webhook.runs} runs × ${webhook.durationSeconds} s per target (interleaved).`,
		'',
		'| target | req/s median (min – max, spread) | p50 / p99 latency | CPU per request (serving processes) | non-2xx |',
		'|---|---|---|---|---|',
		...webhook.rows.map(
			(r) =>
				`| ${r.target} | ${r.requestsPerSecond.median.toFixed(0)} (${r.requestsPerSecond.min.toFixed(0)} – ${r.requestsPerSecond.max.toFixed(0)}, ${pct(r.requestsPerSecond.spread)}) | ${r.latencyP50Ms} / ${r.latencyP99Ms} ms | ${r.cpuMsPerRequest} ms | ${r.non2xx} |`,
		),
		'',
		`tidegate ÷ octokit: **${webhook.ratioToOctokit}** (information only; the old target was ≥ 1.0); tidegate ÷ bare Hono: ${webhook.ratioToBareHono}; tidegate's own GET /healthz in the same workerd: ${webhook.healthzPerSecond} req/s.`,
		'',
		`Storage floor (one local D1 insert + one queue send, nothing else) ÷ octokit: **${webhook.floorToOctokit}**, the best ratio any intake that dedupes in D1 and enqueues can reach on the local simulators; tidegate ÷ storage floor: ${webhook.ratioToFloor}.`,
		'',
		`Verify + parse alone, in-process CPU per delivery: tidegate ${webhook.verifyParse.tidegateUs} µs, @octokit/webhooks ${webhook.verifyParse.octokitUs} µs. CPU stolen by the hypervisor during the timed runs: ${pct(webhook.steal)}.`,
		'',
	)
}

const egress = await step('egress', () =>
	runEgressMatrix({ timeoutMs: 2000, rounds: 15, concurrency: 8 }),
)
if (egress) {
	report.egress = egress
	md.push(
		'## Egress matrix wall time vs probe timeout',
		'',
		'| probe timeout | cells (timeouts) | sequential: min / median / max (ratio) | 8 concurrent: median / max ratio | agent RSS idle | agent RSS peak |',
		'|---|---|---|---|---|---|',
		`| ${egress.timeoutMs} ms | ${egress.cells} (${egress.timeoutsPerCheck}) | ${egress.wallMs.min} / ${egress.wallMs.median} / ${egress.wallMs.max} ms (${egress.ratio.min} / **${egress.ratio.median}** / ${egress.ratio.max}) | ${egress.underLoad.medianRatio} / ${egress.underLoad.maxRatio} (${egress.underLoad.checks} checks) | ${egress.rssIdleMiB.join(', ')} MiB | ${egress.rssPeakMiB.join(', ')} MiB |`,
		'',
	)
}

const latency = await step('latency', () => measurePushLatency())
const latencyBefore = latency && (await before<PushLatencyResult>('push-latency.ts'))
if (latency) {
	report.pushLatency = latency
	report.pushLatencyBaseline = latencyBefore
	md.push(
		'## Push-to-applied latency through the local stack',
		'',
		`${latency.pushes} pushes; each commits a changed tidegate.yaml to the GitHub stand-in, which delivers the webhook to \`wrangler dev\`.`,
		'',
		'| stage | median | min | max |',
		'|---|---|---|---|',
		...(
			[
				['push → Cloudflare stand-in holds the change', latency.pushToApplied],
				['webhook delivered and answered', latency.webhookAnswered],
				['queued → consumer starts the run', latency.queueWait],
				['reconcile (start → finish)', latency.reconcile],
			] as const
		).map(([name, s]) => `| ${name} | ${s.median} ms | ${s.min} ms | ${s.max} ms |`),
		'',
		latencyBefore
			? `Baseline ${short(latencyBefore.commit)}, same run: push → applied median ${latencyBefore.result.pushToApplied.median} ms (queue wait ${latencyBefore.result.queueWait.median} ms) → now **${latency.pushToApplied.median} ms** (queue wait ${latency.queueWait.median} ms).`
			: 'No baseline run.',
		'',
	)
}

mkdirSync(join(ROOT, 'reports'), { recursive: true })
writeFileSync(join(ROOT, 'reports/bench.json'), `${JSON.stringify(report, null, 2)}\n`)
writeFileSync(join(ROOT, 'reports/bench.md'), `${md.join('\n')}\n`)
console.log(md.join('\n'))
console.log('written: reports/bench.md, reports/bench.json')
