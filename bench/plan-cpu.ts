/**
 * Benchmark (docs/performance.md): planning CPU at 10 / 100 / 1,000 ingress rules and include entries, as a
 * ratio to parsing (and validating) the same tidegate.yaml. Three plans per size: a first sync
 * against an empty tunnel and a list of 50 foreign entries, one change against the applied state,
 * and in sync.
 *
 *   npx node bench/plan-cpu.ts
 */
import { fileURLToPath } from 'node:url'
import { loadDesiredState } from '../src/domain/desired-state/load.ts'
import type { DesiredState } from '../src/domain/desired-state/model.ts'
import { tunnelTarget } from '../src/domain/edge/kinds/dns.ts'
import { edgeResources, type PlanInputs, planEdge } from '../src/domain/edge/resources.ts'
import type {
	EdgeKind,
	History,
	LiveDns,
	LiveSplitTunnel,
	LiveTunnelConfig,
} from '../src/domain/edge/state.ts'
import { ok } from '../src/lib/result.ts'
import { printJsonResult } from './lib/baseline.ts'
import { round, summarise } from './lib/stats.ts'

const ACCOUNT = '0123456789abcdef0123456789abcdef'
const TUNNEL = '6ff4dfd7-2b77-4a4f-84d9-3241bea658dc'

/** A valid tidegate.yaml with `n` ingress rules and `n` include entries; a variant changes the first of each. */
export function benchYaml(n: number, variant = 0): string {
	const rules = Array.from(
		{ length: n },
		(_, i) =>
			`    - hostname: app${i}.example.com\n      service: http://app${i}.apps.svc.cluster.local:${i === 0 ? 8080 + variant : 8080}`,
	).join('\n')
	const entries = Array.from(
		{ length: n },
		(_, i) =>
			`    - address: 10.${100 + (i >> 8)}.${i & 255}.0/24\n      description: Subnet ${i}${i === 0 && variant > 0 ? ` v${variant}` : ''}`,
	).join('\n')
	return `version: 1
owner: oceanid
tunnel:
  accountId: ${ACCOUNT}
  tunnelId: ${TUNNEL}
  ingress:
${rules}
splitTunnel:
  accountId: ${ACCOUNT}
  include:
${entries.replaceAll('description:', 'tunnelRoute: false\n      description:')}
sync:
  maxDeletions: ${n}
`
}

function load(text: string): DesiredState {
	const loaded = loadDesiredState(text)
	if (!loaded.ok) {
		throw new Error(JSON.stringify(loaded.error.slice(0, 3)))
	}
	return loaded.value.state
}

const FOREIGN = Array.from({ length: 50 }, (_, i) => ({
	address: `172.${16 + (i >> 8)}.${i & 255}.0/24`,
	description: `Team ${i}`,
}))

interface Live {
	tunnel: LiveTunnelConfig
	split: LiveSplitTunnel
	dns: LiveDns
}

const ZONE = { id: 'zone-example', name: 'example.com' }

function liveOf(state: DesiredState): Live {
	return {
		tunnel: { version: 7, ingress: state.tunnel?.ingress ?? [] },
		split: {
			mode: 'include',
			entries: [
				...FOREIGN,
				...(state.splitTunnels[0]?.entries ?? []).map((e) => ({
					address: e.address,
					description: e.description,
				})),
			],
		},
		dns: {
			zones: [ZONE],
			records: (state.tunnel?.dns ?? []).map((d, i) => ({
				id: `record-${i}`,
				zoneId: ZONE.id,
				name: d.hostname,
				type: 'CNAME',
				content: tunnelTarget(TUNNEL),
				proxied: true,
				comment: 'tidegate ingress - oceanid',
			})),
		},
	}
}

/** The planner's inputs by resource key; `written`: tidegate last wrote `live` (its history). */
function inputsOf(state: DesiredState, live: Live, written: boolean): PlanInputs {
	const specs = edgeResources(state)
	const key = (kind: EdgeKind) => specs.find((s) => s.kind === kind)?.resource ?? kind
	const write = (document: unknown): History => ({
		latest: {
			id: 1,
			resource: '',
			runId: 1,
			commitSha: null,
			owner: 'oceanid',
			document,
			before: null,
			state: 'applied',
			rollbackOf: null,
			remoteVersion: 7,
			appliedAt: 0,
		},
		unsettled: [],
	})
	return {
		live: {
			[key('tunnel')]: ok(live.tunnel),
			[key('split-tunnel')]: ok(live.split),
			[key('dns')]: ok(live.dns),
			[key('routes')]: ok({ routes: [] }),
		},
		history: written
			? {
					[key('tunnel')]: write({ ingress: live.tunnel.ingress }),
					[key('split-tunnel')]: write({
						entries: (state.splitTunnels[0]?.entries ?? []).map((e) => ({ ...e })),
						foreign: FOREIGN.map((e) => `address:${e.address}`),
					}),
					[key('dns')]: write({
						records: live.dns.records.map((r) => ({
							name: r.name,
							zoneId: r.zoneId,
							content: r.content,
						})),
					}),
				}
			: {},
		force: false,
	}
}

/** Median microseconds per call of `fn`, over `rounds` timed batches sized to ~20 ms each. */
function time(fn: () => unknown, rounds = 15): { us: number; spread: number } {
	fn()
	const start = performance.now()
	let calls = 0
	while (performance.now() - start < 20) {
		fn()
		calls++
	}
	const batch = Math.max(1, calls)
	const samples: number[] = []
	for (let r = 0; r < rounds; r++) {
		const t0 = performance.now()
		for (let i = 0; i < batch; i++) {
			fn()
		}
		samples.push(((performance.now() - t0) * 1000) / batch)
	}
	const s = summarise(samples)
	return { us: s.median, spread: s.spread }
}

/** One size's figures. */
export interface PlanCpuRow {
	size: number
	yamlBytes: number
	parseUs: number
	firstSyncUs: number
	oneChangeUs: number
	inSyncUs: number
	/** Plan time ÷ parse time, for each plan. */
	ratios: { firstSync: number; oneChange: number; inSync: number }
	spreads: { parse: number; plan: number }
}

/** Measures every size. */
export function measurePlanCpu(sizes = [10, 100, 1000]): PlanCpuRow[] {
	return sizes.map((size) => {
		const text = benchYaml(size)
		const state = load(text)
		const changed = load(benchYaml(size, 1))
		const live = liveOf(state)
		const emptyLive: Live = {
			tunnel: { version: 1, ingress: [{ service: 'http_status:404' }] },
			split: { mode: 'include', entries: FOREIGN },
			dns: { zones: [ZONE], records: [] },
		}
		const parse = time(() => loadDesiredState(text))
		const first = time(() => planEdge(state, inputsOf(state, emptyLive, false)))
		const one = time(() => planEdge(changed, inputsOf(changed, live, true)))
		const same = time(() => planEdge(state, inputsOf(state, live, true)))
		if (!planEdge(state, inputsOf(state, live, true)).inSync) {
			throw new Error('the in-sync plan is not in sync')
		}
		return {
			size,
			yamlBytes: Buffer.byteLength(text),
			parseUs: round(parse.us, 1),
			firstSyncUs: round(first.us, 1),
			oneChangeUs: round(one.us, 1),
			inSyncUs: round(same.us, 1),
			ratios: {
				firstSync: round(first.us / parse.us, 3),
				oneChange: round(one.us / parse.us, 3),
				inSync: round(same.us / parse.us, 3),
			},
			spreads: { parse: round(parse.spread, 2), plan: round(one.spread, 2) },
		}
	})
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const rows = measurePlanCpu()
	for (const row of printJsonResult(rows) ? [] : rows) {
		console.log(
			`${String(row.size).padStart(5)} rules+entries (${row.yamlBytes} B): parse ${row.parseUs} µs; plan first sync ${row.firstSyncUs} µs (×${row.ratios.firstSync}), one change ${row.oneChangeUs} µs (×${row.ratios.oneChange}), in sync ${row.inSyncUs} µs (×${row.ratios.inSync})`,
		)
	}
}
