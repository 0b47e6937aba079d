/**
 * Property-based tests of the planner (issue 9). Desired states are generated as tidegate.yaml
 * text and loaded with the real loader, so the planner only ever sees what production gives it;
 * live states mix tidegate's entries (current, stale, edited, duplicated) with other teams'
 * entries, Cloudflare's empty-string quirks and unknown fields.
 *
 * 1. Applying a plan's document to the live state yields the desired state plus the untouched
 *    foreign entries, in their order.
 * 2. Planning twice (plan → apply the document → plan again) is a no-op.
 * 3. No plan ever removes a foreign entry, and no plan that may be applied removes a protected one.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loadDesiredState } from '../../../src/domain/desired-state/load.ts'
import type { DesiredState, IngressRule } from '../../../src/domain/desired-state/model.ts'
import {
	entryKey,
	type Plan,
	type PlanInputs,
	planEdge,
	type SplitTunnelPlan,
	type TunnelPlan,
} from '../../../src/domain/edge/plan.ts'
import type {
	AppliedSplitTunnel,
	AppliedTunnel,
	LiveSplitTunnel,
	LiveTunnelConfig,
	SplitTunnelEntry,
} from '../../../src/domain/edge/state.ts'
import { ok } from '../../../src/lib/result.ts'

const ACCOUNT = '0123456789abcdef0123456789abcdef'
const TUNNEL = '6ff4dfd7-2b77-4a4f-84d9-3241bea658dc'
const OWNER = 'oceanid'
const SUFFIX = ` - ${OWNER}`
const RUNS = Number(process.env.FC_RUNS ?? 300)

// ---- generators ---------------------------------------------------------------------------

/** One of our include entries as written in tidegate.yaml (canonical, non-overlapping /24s or hosts). */
interface WrittenEntry {
	address?: string
	host?: string
	description: string
	protected: boolean
}

const ourAddress = fc.integer({ min: 0, max: 63 }).map((i) => `10.${40 + (i >> 4)}.${i & 15}.0/24`)
const ourHost = fc.integer({ min: 0, max: 15 }).map((i) => `svc${i}.oceanid.internal`)
const description = fc.constantFrom('Pod network', 'Service network', 'GPU LAN', 'Build cache')

const writtenEntry: fc.Arbitrary<WrittenEntry> = fc
	.record({
		target: fc.oneof(
			{ weight: 4, arbitrary: ourAddress.map((address) => ({ address })) },
			{
				weight: 1,
				arbitrary: ourHost.map((host) => ({ host })),
			},
		),
		description,
		protected: fc.boolean(),
	})
	.map(({ target, ...rest }) => ({ ...target, ...rest }))

const desiredEntries = fc.uniqueArray(writtenEntry, {
	minLength: 1,
	maxLength: 12,
	selector: (e) => e.address ?? e.host,
})

const hostnames = fc.uniqueArray(
	fc.integer({ min: 0, max: 40 }).map((i) => `app${i}.example.com`),
	{ maxLength: 10 },
)
const service = fc.constantFrom(
	'http://label-studio-ls-app.apps.svc.cluster.local:8085',
	'https://kubernetes.default.svc:443',
	'http://grafana.monitoring:3000',
)
const rules = hostnames.chain((names) =>
	fc.tuple(...names.map((hostname) => service.map((s) => ({ hostname, service: s })))),
)

const yamlOf = (ingress: { hostname: string; service: string }[], include: WrittenEntry[]) => {
	const rulesText =
		ingress.length === 0
			? '  ingress: []'
			: `  ingress:\n${ingress.map((r) => `    - hostname: ${r.hostname}\n      service: ${r.service}`).join('\n')}`
	const entriesText = include
		.map(
			(e) =>
				`    - ${e.address !== undefined ? `address: ${e.address}` : `host: ${e.host}`}\n      description: ${e.description}${e.protected ? '\n      protected: true' : ''}`,
		)
		.join('\n')
	return `version: 1
owner: ${OWNER}
tunnel:
  accountId: ${ACCOUNT}
  tunnelId: ${TUNNEL}
${rulesText}
splitTunnel:
  accountId: ${ACCOUNT}
  include:
${entriesText}
sync:
  maxDeletions: 1000
`
}

const desiredState = fc.tuple(rules, desiredEntries).map(([ingress, include]) => {
	const loaded = loadDesiredState(yamlOf(ingress, include))
	if (!loaded.ok) {
		throw new Error(`generator made an invalid tidegate.yaml: ${JSON.stringify(loaded.error)}`)
	}
	return loaded.value.state
})

/** Other teams' entries: no suffix, another owner's suffix, no description, unknown fields. */
const foreignEntry: fc.Arbitrary<SplitTunnelEntry> = fc.oneof(
	fc.integer({ min: 0, max: 200 }).map((i) => ({
		address: `172.${16 + (i % 16)}.${i}.0/24`,
		description: 'Office VPN',
	})),
	fc.integer({ min: 0, max: 200 }).map((i) => ({
		address: `192.168.${i}.0/24`,
		description: `Lab ${i} - netops`,
	})),
	fc.integer({ min: 0, max: 50 }).map((i) => ({ host: `intranet${i}.corp.example` })),
	fc.integer({ min: 0, max: 50 }).map((i) => ({
		address: `100.64.${i}.0/24`,
		description: 'CGNAT',
		created_at: '2026-01-01T00:00:00Z',
	})),
	// Someone else's entry for one of our addresses: tidegate must leave it and not add a duplicate.
	ourAddress.map((address) => ({ address, description: 'Claimed by the data team' })),
)

/** A live tunnel: some desired rules (maybe edited, reordered, with Cloudflare's quirks), strays, catch-all. */
function liveTunnelFor(state: DesiredState): fc.Arbitrary<LiveTunnelConfig> {
	const desiredRules = state.tunnel?.ingress.filter((r) => r.hostname !== undefined) ?? []
	const kept = fc
		.subarray(desiredRules)
		.chain((subset) =>
			fc.tuple(
				...subset.map((rule) =>
					fc.constantFrom<IngressRule>(
						rule,
						{ ...rule, service: 'http://stale:8080' },
						{ ...rule, hostname: (rule.hostname ?? '').toUpperCase(), path: '', originRequest: {} },
					),
				),
			),
		)
	const strays = fc.uniqueArray(
		fc.integer({ min: 100, max: 140 }).map((i) => ({
			hostname: `old${i}.example.com`,
			service: 'http://old:80',
		})),
		{ maxLength: 4 },
	)
	return fc
		.tuple(kept, strays, fc.integer({ min: 1, max: 50 }), fc.boolean())
		.chain(([k, s, version, bareCatchAll]) =>
			fc.shuffledSubarray([...k, ...s], { minLength: k.length + s.length }).map((ordered) => ({
				version,
				ingress: [
					...ordered,
					bareCatchAll
						? { service: 'http_status:404' }
						: { hostname: '', service: 'http_status:404' },
				],
			})),
		)
}

/** A live include list: foreign entries and ours (current, stale, edited, duplicated), interleaved. */
function liveSplitFor(state: DesiredState): fc.Arbitrary<LiveSplitTunnel> {
	const ours = (state.splitTunnel?.include ?? []).map(
		(e): SplitTunnelEntry => ({
			...(e.address !== undefined && { address: e.address }),
			...(e.host !== undefined && { host: e.host }),
			description: e.description,
		}),
	)
	const oursLive = fc
		.subarray(ours)
		.chain((subset) =>
			fc.tuple(
				...subset.map((entry) =>
					fc.constantFrom<SplitTunnelEntry[]>(
						[entry],
						[{ ...entry, description: `Renamed by hand${SUFFIX}` }],
						[entry, entry],
					),
				),
			),
		)
	const staleOurs = fc.uniqueArray(
		fc.integer({ min: 0, max: 30 }).map((i) => ({
			address: `10.99.${i}.0/24`,
			description: `Old route${SUFFIX}`,
		})),
		{ maxLength: 4, selector: (e) => e.address },
	)
	const foreign = fc.uniqueArray(foreignEntry, {
		maxLength: 8,
		selector: (e) => JSON.stringify(e),
	})
	return fc
		.tuple(oursLive, staleOurs, foreign)
		.chain(([o, s, f]) => {
			const all = [...o.flat(), ...s, ...f]
			return fc.shuffledSubarray(all, { minLength: all.length })
		})
		.map((include) => ({ mode: 'include' as const, include, excludeCount: 0 }))
}

/** What tidegate last applied: nothing, or a list of ours with random protected flags. */
function appliedSplitFor(live: LiveSplitTunnel): fc.Arbitrary<AppliedSplitTunnel | undefined> {
	// D1 records the desired entries of a run, so one entry per key.
	const seen = new Set<string>()
	const ours = live.include.filter((e) => {
		const fresh = isOurs(e) && !seen.has(entryKey(e))
		seen.add(entryKey(e))
		return fresh
	})
	return fc.option(
		fc.tuple(...ours.map(() => fc.boolean())).map((flags) => ({
			entries: ours.map((e, i) => ({
				...(e.address !== undefined && { address: e.address }),
				...(e.host !== undefined && { host: e.host }),
				description: String(e.description),
				protected: flags[i] ?? false,
			})),
			commitSha: 'a'.repeat(40),
		})),
		{ nil: undefined },
	)
}

const scenario = desiredState.chain((state) =>
	fc
		.tuple(liveTunnelFor(state), liveSplitFor(state), fc.boolean())
		.chain(([tunnel, split, force]) =>
			appliedSplitFor(split).map((appliedSplit) => ({
				state,
				live: { tunnel, split },
				appliedSplit,
				force,
			})),
		),
)

// ---- helpers -------------------------------------------------------------------------------

function isOurs(entry: SplitTunnelEntry): boolean {
	return typeof entry.description === 'string' && entry.description.endsWith(SUFFIX)
}

function inputs(
	live: { tunnel: LiveTunnelConfig; split: LiveSplitTunnel },
	applied: { tunnel?: AppliedTunnel; splitTunnel?: AppliedSplitTunnel },
	force: boolean,
): PlanInputs {
	return { live: { tunnel: ok(live.tunnel), splitTunnel: ok(live.split) }, applied, force }
}

function resources(plan: Plan): { tunnel: TunnelPlan; split: SplitTunnelPlan } {
	const tunnel = plan.resources.find((r): r is TunnelPlan => r.kind === 'tunnel')
	const split = plan.resources.find((r): r is SplitTunnelPlan => r.kind === 'split-tunnel')
	if (!tunnel || !split) {
		throw new Error('both resources are planned')
	}
	return { tunnel, split }
}

/** What Cloudflare holds after tidegate PUT each document, and what D1 records. */
function applyPlan(plan: Plan, live: { tunnel: LiveTunnelConfig; split: LiveSplitTunnel }) {
	const { tunnel, split } = resources(plan)
	return {
		live: {
			tunnel: { version: live.tunnel.version + 1, ingress: tunnel.document.ingress },
			split: {
				mode: 'include' as const,
				include: structuredClone(split.document),
				excludeCount: 0,
			},
		},
		applied: {
			tunnel: {
				ingress: tunnel.document.ingress,
				version: live.tunnel.version + 1,
				commitSha: 'b'.repeat(40),
			},
			splitTunnel: {
				entries: split.owned.map((e) => ({ ...e })),
				commitSha: 'b'.repeat(40),
			},
		},
	}
}

const render = (e: { address?: string; host?: string; description?: string }) => ({
	...(e.address !== undefined && { address: e.address }),
	...(e.host !== undefined && { host: e.host }),
	...(e.description !== undefined && { description: e.description }),
})

// ---- properties ----------------------------------------------------------------------------

describe('planner properties', () => {
	it('applying the document yields the desired state plus the untouched foreign entries, in order', () => {
		fc.assert(
			fc.property(scenario, ({ state, live, appliedSplit, force }) => {
				const plan = planEdge(state, inputs(live, { splitTunnel: appliedSplit }, force))
				const { tunnel, split } = resources(plan)
				// The tunnel is tidegate's alone: its document is exactly the desired ingress.
				expect(tunnel.document.ingress).toEqual(state.tunnel?.ingress)
				// Foreign entries: exactly as they were (unknown fields too), in their order.
				const foreignBefore = live.split.include.filter((e) => !isOurs(e))
				expect(split.document.filter((e) => !isOurs(e))).toEqual(foreignBefore)
				// Ours: each desired entry exactly once, as desired — except that tidegate does not add
				// an entry whose address another team already lists (it keeps its own if it has one).
				const foreignKeys = new Set(foreignBefore.map(entryKey))
				const liveOurKeys = new Set(live.split.include.filter(isOurs).map(entryKey))
				const wanted = (state.splitTunnel?.include ?? []).filter(
					(e) => !foreignKeys.has(entryKey(e)) || liveOurKeys.has(entryKey(e)),
				)
				const oursAfter = split.document.filter(isOurs)
				expect(oursAfter.map(entryKey).sort()).toEqual(wanted.map(entryKey).sort())
				const byKey = new Map(oursAfter.map((e) => [entryKey(e), e]))
				for (const entry of wanted) {
					expect(byKey.get(entryKey(entry))).toEqual(render(entry))
				}
				// Every desired entry is routed, by tidegate's entry or by the other team's.
				const routed = new Set(split.document.map(entryKey))
				for (const entry of state.splitTunnel?.include ?? []) {
					expect(routed.has(entryKey(entry))).toBe(true)
				}
			}),
			{ numRuns: RUNS },
		)
	})

	it('planning twice is a no-op: plan → apply the document → plan again changes nothing', () => {
		fc.assert(
			fc.property(scenario, ({ state, live, appliedSplit, force }) => {
				const first = planEdge(state, inputs(live, { splitTunnel: appliedSplit }, force))
				fc.pre(!first.refused)
				const after = applyPlan(first, live)
				const second = planEdge(state, inputs(after.live, after.applied, false))
				expect(second.refused).toBe(false)
				expect(second.changeCount).toBe(0)
				expect(second.inSync).toBe(true)
				// And the document it would PUT is the one already there.
				expect(resources(second).split.document).toEqual(after.live.split.include)
				expect(resources(second).tunnel.document.ingress).toEqual(after.live.tunnel.ingress)
			}),
			{ numRuns: RUNS },
		)
	})

	it('never removes a foreign entry, and never lets a protected entry be removed', () => {
		// Desired states drop entries tidegate applied (some protected), to tempt the planner.
		const tempting = scenario.chain((s) =>
			fc.subarray(s.state.splitTunnel?.include ?? [], { minLength: 1 }).map((kept) => {
				const state: DesiredState = structuredClone(s.state)
				if (state.splitTunnel) {
					state.splitTunnel.include = kept
				}
				return { ...s, state }
			}),
		)
		fc.assert(
			fc.property(tempting, ({ state, live, appliedSplit, force }) => {
				const plan = planEdge(state, inputs(live, { splitTunnel: appliedSplit }, force))
				const { split } = resources(plan)
				const removed = split.changes.filter((c) => c.action === 'remove')
				for (const change of removed) {
					expect(change.before && isOurs(change.before)).toBe(true)
				}
				const foreign = live.split.include.filter((e) => !isOurs(e))
				expect(split.document.filter((e) => !isOurs(e))).toEqual(foreign)
				const protectedKeys = new Set(
					(appliedSplit?.entries ?? []).filter((e) => e.protected).map(entryKey),
				)
				const desiredKeys = new Set((state.splitTunnel?.include ?? []).map(entryKey))
				const dropsProtected = removed.some(
					(c) => protectedKeys.has(c.key) && !desiredKeys.has(c.key),
				)
				if (dropsProtected) {
					// Refused whatever `force` says: nothing of this plan may be written.
					expect(plan.refused).toBe(true)
					expect(split.refusals.map((r) => r.rail)).toContain('protected-entry')
				} else if (!plan.refused) {
					const kept = new Set(split.document.map(entryKey))
					for (const key of protectedKeys) {
						if (live.split.include.some((e) => isOurs(e) && entryKey(e) === key)) {
							expect(kept.has(key)).toBe(true)
						}
					}
				}
			}),
			{ numRuns: RUNS },
		)
	})
})
