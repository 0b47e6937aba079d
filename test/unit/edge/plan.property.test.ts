/**
 * Property-based tests of the tunnel and split-tunnel planners (src/domain/edge/kinds/). Desired
 * states are generated as tidegate.yaml text and loaded with the real loader, so the planners only
 * ever see what production gives them; live states mix tidegate's entries (current, stale, edited,
 * duplicated, or merely carrying its suffix) with other teams' entries, Cloudflare's empty-string
 * quirks and unknown fields; tidegate's history is absent (first sync, the CLI) or recorded.
 *
 * 1. The document keeps every entry tidegate does not own (by history), unchanged and in order,
 *    unless tidegate.yaml adopts it; tidegate's own entries end up exactly as desired.
 * 2. Planning twice (plan → apply the document → record → plan again) is a no-op.
 * 3. No plan removes an entry tidegate never wrote, and none that may be applied removes a
 *    protected one.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loadDesiredState } from '../../../src/domain/desired-state/load.ts'
import type { DesiredState, IngressRule } from '../../../src/domain/desired-state/model.ts'
import {
	type AppliedSplitTunnel,
	entryKey,
	planSplitTunnel,
	type SplitTunnelPlan,
} from '../../../src/domain/edge/kinds/split-tunnel.ts'
import {
	type AppliedTunnel,
	planTunnel,
	type TunnelPlan,
} from '../../../src/domain/edge/kinds/tunnel.ts'
import { type Plan, planOf } from '../../../src/domain/edge/plan.ts'
import { ownershipFrom } from '../../../src/domain/edge/resources.ts'
import type {
	LiveSplitTunnel,
	LiveTunnelConfig,
	SplitTunnelEntry,
} from '../../../src/domain/edge/state.ts'
import { ok } from '../../../src/lib/result.ts'
import { ACCOUNT, history, TUNNEL } from './support.ts'

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
	adopt: boolean
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
		adopt: fc.oneof(
			{ weight: 4, arbitrary: fc.constant(false) },
			{ weight: 1, arbitrary: fc.constant(true) },
		),
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
				`    - ${e.address !== undefined ? `address: ${e.address}` : `host: ${e.host}`}\n      description: ${e.description}${e.protected ? '\n      protected: true' : ''}${e.adopt ? '\n      adopt: true' : ''}\n      tunnelRoute: false`,
		)
		.join('\n')
	return `version: 1
owner: ${OWNER}
tunnel:
  accountId: ${ACCOUNT}
  tunnelId: ${TUNNEL}
${rulesText.replaceAll('service:', 'dns: false\n      service:')}
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
	const ours = (state.splitTunnels[0]?.entries ?? []).map(
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
		.map((entries) => ({ mode: 'include' as const, entries }))
}

/**
 * What tidegate last wrote: nothing (first sync, the CLI), or a subset of the live entries that
 * carry its suffix (the others were added by someone else), with random protected flags.
 */
function appliedSplitFor(live: LiveSplitTunnel): fc.Arbitrary<AppliedSplitTunnel | undefined> {
	// D1 records the desired entries of a run, so one entry per key.
	const seen = new Set<string>()
	const ours = live.entries.filter((e) => {
		const fresh = isOurs(e) && !seen.has(entryKey(e))
		seen.add(entryKey(e))
		return fresh
	})
	return fc.option(
		fc.subarray(ours).chain((written) =>
			fc.tuple(...written.map(() => fc.boolean())).map((flags) => ({
				entries: written.map((e, i) => ({
					...(e.address !== undefined && { address: e.address }),
					...(e.host !== undefined && { host: e.host }),
					description: String(e.description),
					protected: flags[i] ?? false,
				})),
			})),
		),
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

/** Plans the tunnel and the split tunnel with the kind planners, as the engine would. */
function planAll(
	state: DesiredState,
	live: { tunnel: LiveTunnelConfig; split: LiveSplitTunnel },
	applied: { tunnel?: AppliedTunnel; splitTunnel?: AppliedSplitTunnel },
	force: boolean,
): Plan {
	const rails = { maxDeletions: state.sync.maxDeletions, force }
	const profile = state.splitTunnels[0]
	const tunnel = state.tunnel
	if (!profile || !tunnel) {
		throw new Error('the generated state has a tunnel and a profile')
	}
	const ownership = ownershipFrom(
		'split-tunnel',
		state.owner,
		applied.splitTunnel ? history('split', applied.splitTunnel) : undefined,
	)
	return planOf([
		planTunnel(tunnel, ok(live.tunnel), applied.tunnel, rails),
		planSplitTunnel(profile, ok(live.split), applied.splitTunnel, ownership, rails),
	])
}

/** Keys tidegate owns by its history. */
function written(applied: AppliedSplitTunnel | undefined): Set<string> {
	return new Set((applied?.entries ?? []).map(entryKey))
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
			split: { mode: 'include' as const, entries: structuredClone(split.document) },
		},
		applied: {
			tunnel: { ingress: tunnel.document.ingress },
			splitTunnel: { entries: split.owned.map((e) => ({ ...e })) },
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
	it('keeps every entry tidegate does not own, unchanged and in order, and makes its own as desired', () => {
		fc.assert(
			fc.property(scenario, ({ state, live, appliedSplit, force }) => {
				const plan = planAll(state, live, { splitTunnel: appliedSplit }, force)
				const { tunnel, split } = resources(plan)
				// The tunnel is tidegate's alone: its document is exactly the desired ingress.
				expect(tunnel.document.ingress).toEqual(state.tunnel?.ingress)
				const desired = state.splitTunnels[0]?.entries ?? []
				const adopted = new Set(desired.filter((e) => e.adopt).map(entryKey))
				const mine = written(appliedSplit)
				// Not tidegate's and not adopted: other teams' entries stay exactly as they were; one that
				// merely carries tidegate's suffix stays too, or (a second entry for an address tidegate
				// keeps) its address stays listed.
				const notMine = live.split.entries.filter(
					(e) => !mine.has(entryKey(e)) && !adopted.has(entryKey(e)),
				)
				for (const entry of notMine) {
					const kept = isOurs(entry)
						? split.document.some((d) => entryKey(d) === entryKey(entry))
						: split.document.some((d) => JSON.stringify(d) === JSON.stringify(entry))
					expect(kept).toBe(true)
				}
				// Other teams' entries (without tidegate's suffix) keep their order.
				const foreign = (list: SplitTunnelEntry[]) =>
					list.filter((e) => !isOurs(e) && !adopted.has(entryKey(e)))
				expect(foreign(split.document)).toEqual(foreign(live.split.entries))
				// Every desired entry is in the list: tidegate's own, or someone else's it left alone.
				const listed = new Set(split.document.map(entryKey))
				for (const entry of desired) {
					expect(listed.has(entryKey(entry))).toBe(true)
				}
				// tidegate's entries (recorded as owned) are exactly as desired.
				for (const entry of split.owned) {
					const wanted = desired.find((d) => entryKey(d) === entryKey(entry))
					expect(wanted && render(wanted)).toEqual(render(entry))
				}
			}),
			{ numRuns: RUNS },
		)
	})

	it('planning twice is a no-op: plan → apply the document → record → plan again changes nothing', () => {
		fc.assert(
			fc.property(scenario, ({ state, live, appliedSplit, force }) => {
				const first = planAll(state, live, { splitTunnel: appliedSplit }, force)
				fc.pre(!first.refused)
				const after = applyPlan(first, live)
				const second = planAll(state, after.live, after.applied, false)
				expect(second.refused).toBe(false)
				expect(second.changeCount).toBe(0)
				expect(second.inSync).toBe(true)
				// And the document it would PUT is the one already there.
				expect(resources(second).split.document).toEqual(after.live.split.entries)
				expect(resources(second).tunnel.document.ingress).toEqual(after.live.tunnel.ingress)
			}),
			{ numRuns: RUNS },
		)
	})

	it('never removes an entry tidegate did not write, and never lets a protected entry be removed', () => {
		// Desired states drop entries tidegate wrote (some protected), to tempt the planner.
		const tempting = scenario.chain((s) =>
			fc.subarray(s.state.splitTunnels[0]?.entries ?? [], { minLength: 1 }).map((kept) => {
				const state: DesiredState = structuredClone(s.state)
				const profile = state.splitTunnels[0]
				if (profile) {
					profile.entries = kept
				}
				return { ...s, state }
			}),
		)
		fc.assert(
			fc.property(tempting, ({ state, live, appliedSplit, force }) => {
				const plan = planAll(state, live, { splitTunnel: appliedSplit }, force)
				const { split } = resources(plan)
				const mine = written(appliedSplit)
				const removed = split.changes.filter((c) => c.action === 'remove')
				for (const change of removed) {
					// Only tidegate's own, or a second entry for an address that stays listed.
					const stillListed = split.document.some((d) => entryKey(d) === change.key)
					expect(mine.has(change.key) || stillListed).toBe(true)
				}
				const protectedKeys = new Set(
					(appliedSplit?.entries ?? []).filter((e) => e.protected).map(entryKey),
				)
				const desiredKeys = new Set((state.splitTunnels[0]?.entries ?? []).map(entryKey))
				const dropsProtected = removed.some(
					(c) => protectedKeys.has(c.key) && !desiredKeys.has(c.key),
				)
				if (dropsProtected) {
					// Refused whatever `force` says: nothing of this plan may be written.
					expect(plan.refused).toBe(true)
					expect(split.refusals.map((r) => r.rail)).toContain('protected-entry')
				} else if (!plan.refused) {
					const listed = new Set(split.document.map(entryKey))
					for (const key of protectedKeys) {
						if (live.split.entries.some((e) => entryKey(e) === key)) {
							expect(listed.has(key)).toBe(true)
						}
					}
				}
			}),
			{ numRuns: RUNS },
		)
	})
})
