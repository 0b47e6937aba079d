/**
 * @module The planner: desired (git) × last applied (D1) × live (Cloudflare) → a plan per resource.
 * Both Cloudflare endpoints replace the whole list, so each plan carries the full document to PUT.
 * Three states let a plan say who changed what: a commit, or a hand edit in the dashboard.
 * Pure: no I/O, no clock.
 */

import type { Result } from '../../lib/result.ts'
import {
	type DesiredState,
	type IncludeEntry,
	type IngressRule,
	ownerSuffix,
	type SplitTunnelState,
	type TunnelState,
} from '../desired-state/model.ts'
import type { OriginRequest } from '../desired-state/schema.ts'
import { parseCidr } from './cidr.ts'
import {
	type AppliedSplitTunnel,
	type AppliedTunnel,
	type LiveSplitTunnel,
	type LiveTunnelConfig,
	type SplitTunnelEntry,
	splitTunnelResource,
	tunnelResource,
} from './state.ts'

/** What happens to one rule or entry. */
export type ChangeAction = 'add' | 'update' | 'remove' | 'reorder'

/**
 * Who made the difference: `commit` (git moved, Cloudflare still holds what tidegate wrote),
 * `hand-edit` (Cloudflare moved away from what tidegate wrote), both, or `first-sync`
 * (tidegate has never written this resource, so there is nothing to tell them apart).
 */
export type ChangeCause = 'commit' | 'hand-edit' | 'commit-and-hand-edit' | 'first-sync'

/** One difference between live and desired. */
export interface Change<T> {
	action: ChangeAction
	/** The identity of the rule or entry: `hostname path` for ingress, `address:`/`host:` for entries. */
	key: string
	before?: T
	after?: T
	cause: ChangeCause
	/** For `reorder`: positions in the live and the desired list. */
	from?: number
	to?: number
}

/** Why a plan must not be applied. Only `max-deletions` yields to `force`. */
export interface Refusal {
	rail: 'unreadable' | 'max-deletions' | 'empty-list' | 'protected-entry' | 'mode-switch'
	message: string
}

/** The tunnel document tidegate PUTs (the `config` of the tunnel configuration API). */
export interface TunnelDocument {
	ingress: IngressRule[]
	originRequest?: OriginRequest
	warpRouting?: boolean
}

/** The plan for one tunnel's ingress. */
export interface TunnelPlan {
	kind: 'tunnel'
	resource: string
	accountId: string
	tunnelId: string
	/** The version the plan was made against; the applier re-reads it just before PUT. */
	liveVersion: number | null
	changes: Change<IngressRule | OriginRequest | boolean>[]
	document: TunnelDocument
	refusals: Refusal[]
	warnings: string[]
}

/** The plan for one device profile's split-tunnel include list. */
export interface SplitTunnelPlan {
	kind: 'split-tunnel'
	resource: string
	accountId: string
	policy: string
	changes: Change<SplitTunnelEntry>[]
	/** The whole list to PUT: foreign entries exactly as they were, in their order, plus ours. */
	document: SplitTunnelEntry[]
	/** tidegate's entries with their `protected` flags, recorded after a successful PUT. */
	owned: IncludeEntry[]
	foreignCount: number
	refusals: Refusal[]
	warnings: string[]
}

/** One resource's plan. */
export type ResourcePlan = TunnelPlan | SplitTunnelPlan

/** The whole plan. Refused means nothing at all may be written. */
export interface Plan {
	resources: ResourcePlan[]
	changeCount: number
	refused: boolean
	inSync: boolean
}

/** True for a plan as stored in a run (JSON): runs that failed before planning hold none. */
export function isPlan(value: unknown): value is Plan {
	return typeof value === 'object' && value !== null && Array.isArray((value as Plan).resources)
}

/** A live read: the state, or why it could not be read (which is never an empty state). */
export type LiveRead<T> = Result<T, string>

/** The planner's inputs beyond the desired state. */
export interface PlanInputs {
	live: { tunnel?: LiveRead<LiveTunnelConfig>; splitTunnel?: LiveRead<LiveSplitTunnel> }
	applied: { tunnel?: AppliedTunnel; splitTunnel?: AppliedSplitTunnel }
	/** Overrides the `sync.maxDeletions` rail, and only that rail. */
	force: boolean
}

/** Plans every resource the desired state manages. */
export function planEdge(desired: DesiredState, inputs: PlanInputs): Plan {
	const resources: ResourcePlan[] = []
	if (desired.tunnel) {
		resources.push(
			planTunnel(desired.tunnel, inputs.live.tunnel, inputs.applied.tunnel, {
				maxDeletions: desired.sync.maxDeletions,
				force: inputs.force,
			}),
		)
	}
	if (desired.splitTunnel) {
		resources.push(
			planSplitTunnel(
				desired.splitTunnel,
				desired.owner,
				inputs.live.splitTunnel,
				inputs.applied.splitTunnel,
				{
					maxDeletions: desired.sync.maxDeletions,
					force: inputs.force,
				},
			),
		)
	}
	const changeCount = resources.reduce((n, r) => n + r.changes.length, 0)
	const refused = resources.some((r) => r.refusals.length > 0)
	return { resources, changeCount, refused, inSync: changeCount === 0 && !refused }
}

interface Rails {
	maxDeletions: number
	force: boolean
}

/** Plans one tunnel. Exported for focused tests; callers use planEdge. */
export function planTunnel(
	desired: TunnelState,
	liveRead: LiveRead<LiveTunnelConfig> | undefined,
	applied: AppliedTunnel | undefined,
	rails: Rails,
): TunnelPlan {
	const document: TunnelDocument = { ingress: desired.ingress }
	if (desired.originRequest) {
		document.originRequest = desired.originRequest
	}
	if (desired.warpRouting !== undefined) {
		document.warpRouting = desired.warpRouting
	}
	const plan: TunnelPlan = {
		kind: 'tunnel',
		resource: tunnelResource(desired.tunnelId),
		accountId: desired.accountId,
		tunnelId: desired.tunnelId,
		liveVersion: null,
		changes: [],
		document,
		refusals: [],
		warnings: [],
	}
	if (!liveRead?.ok) {
		plan.refusals.push({
			rail: 'unreadable',
			message: `the tunnel's live configuration could not be read (${liveRead?.error ?? 'not read'}); nothing is written on a guess`,
		})
		return plan
	}
	const live = liveRead.value
	plan.liveVersion = live.version
	const liveRules = live.ingress.map(normaliseLiveRule)
	const cause = causeFinder(applied !== undefined, sameRule)
	const appliedByKey = new Map((applied?.ingress ?? []).map((r) => [ruleKey(r), r]))
	const desiredByKey = new Map(desired.ingress.map((r) => [ruleKey(r), r]))
	const liveByKey = new Map<string, IngressRule>()

	liveRules.forEach((rule) => {
		const key = ruleKey(rule)
		if (liveByKey.has(key)) {
			// A second live rule with the same match can never be reached; a hand edit put it there.
			plan.changes.push({
				action: 'remove',
				key,
				before: rule,
				cause: applied ? 'hand-edit' : 'first-sync',
			})
			return
		}
		liveByKey.set(key, rule)
		if (!desiredByKey.has(key)) {
			plan.changes.push({
				action: 'remove',
				key,
				before: rule,
				cause: cause(undefined, rule, appliedByKey.get(key)),
			})
		}
	})
	for (const rule of desired.ingress) {
		const key = ruleKey(rule)
		const current = liveByKey.get(key)
		if (current === undefined) {
			plan.changes.push({
				action: 'add',
				key,
				after: rule,
				cause: cause(rule, undefined, appliedByKey.get(key)),
			})
		} else if (!sameRule(rule, current)) {
			plan.changes.push({
				action: 'update',
				key,
				before: current,
				after: rule,
				cause: cause(rule, current, appliedByKey.get(key)),
			})
		}
	}
	plan.changes.push(...reorders(desired.ingress, [...liveByKey.values()], applied?.ingress))

	const settingCause = causeFinder(applied !== undefined, sameJson)
	if (!sameJson(emptyToUndefined(desired.originRequest), emptyToUndefined(live.originRequest))) {
		plan.changes.push({
			action: 'update',
			key: 'originRequest',
			...(live.originRequest && { before: live.originRequest }),
			...(desired.originRequest && { after: desired.originRequest }),
			cause: settingCause(desired.originRequest, live.originRequest, applied?.originRequest),
		})
	}
	// The current API may drop `warp-routing`; compare only when Cloudflare reports it, or it would drift forever.
	if (
		desired.warpRouting !== undefined &&
		live.warpRouting !== undefined &&
		desired.warpRouting !== live.warpRouting
	) {
		plan.changes.push({
			action: 'update',
			key: 'warp-routing',
			before: live.warpRouting,
			after: desired.warpRouting,
			cause: settingCause(desired.warpRouting, live.warpRouting, applied?.warpRouting),
		})
	}

	const removals = plan.changes.filter((c) => c.action === 'remove').length
	if (removals > rails.maxDeletions && !rails.force) {
		plan.refusals.push(maxDeletionsRefusal('tunnel ingress rules', removals, rails.maxDeletions))
	}
	const hostRules = (rules: IngressRule[]) =>
		rules.filter((r) => r.hostname !== undefined || r.path !== undefined)
	if (hostRules(desired.ingress).length === 0 && hostRules(liveRules).length > 0) {
		plan.refusals.push({
			rail: 'empty-list',
			message: `the plan would remove every public hostname from the tunnel (${hostRules(liveRules).length} live rules), leaving only the catch-all; refused even with force. To stop managing the tunnel, remove the tunnel section instead`,
		})
	}
	return plan
}

/** Plans one device profile's include list. Exported for focused tests; callers use planEdge. */
export function planSplitTunnel(
	desired: SplitTunnelState,
	owner: string,
	liveRead: LiveRead<LiveSplitTunnel> | undefined,
	applied: AppliedSplitTunnel | undefined,
	rails: Rails,
): SplitTunnelPlan {
	const plan: SplitTunnelPlan = {
		kind: 'split-tunnel',
		resource: splitTunnelResource(desired.accountId, desired.policy),
		accountId: desired.accountId,
		policy: desired.policy,
		changes: [],
		document: [],
		owned: desired.include,
		foreignCount: 0,
		refusals: [],
		warnings: [],
	}
	if (!liveRead?.ok) {
		plan.refusals.push({
			rail: 'unreadable',
			message: `the split-tunnel list could not be read (${liveRead?.error ?? 'not read'}); nothing is written on a guess`,
		})
		return plan
	}
	const live = liveRead.value
	if (live.mode === 'exclude') {
		plan.refusals.push({
			rail: 'mode-switch',
			message: `the ${profileName(desired.policy)} is in exclude mode (${live.excludeCount} exclude entries); writing an include list would switch it to include mode, and Cloudflare then wipes the list. Switch the mode deliberately in the dashboard, or remove splitTunnel from tidegate.yaml`,
		})
		return plan
	}
	const suffix = ownerSuffix(owner)
	const isOurs = (e: SplitTunnelEntry) =>
		typeof e.description === 'string' && e.description.endsWith(suffix)
	const desiredByKey = new Map(desired.include.map((e) => [entryKey(e), e]))
	const appliedByKey = new Map((applied?.entries ?? []).map((e) => [entryKey(e), e]))
	const cause = causeFinder(applied !== undefined, (a: SplitTunnelEntry, b: SplitTunnelEntry) =>
		sameJson(render(a), render(b)),
	)
	const emitted = new Set<string>()
	const foreignKeys = new Map<string, SplitTunnelEntry>()

	for (const entry of live.include) {
		const key = entryKey(entry)
		if (!isOurs(entry)) {
			plan.document.push(entry)
			foreignKeys.set(key, entry)
			continue
		}
		const wanted = desiredByKey.get(key)
		if (wanted && !emitted.has(key)) {
			emitted.add(key)
			plan.document.push(render(wanted))
			if (!sameJson(render(wanted), render(entry))) {
				plan.changes.push({
					action: 'update',
					key,
					before: entry,
					after: render(wanted),
					cause: cause(render(wanted), entry, appliedByKey.get(key)),
				})
			}
		} else {
			const duplicate = emitted.has(key)
			plan.changes.push({
				action: 'remove',
				key,
				before: entry,
				cause: duplicate
					? applied
						? 'hand-edit'
						: 'first-sync'
					: cause(undefined, entry, appliedByKey.get(key)),
			})
		}
	}
	for (const wanted of desired.include) {
		const key = entryKey(wanted)
		if (emitted.has(key)) {
			continue
		}
		const foreign = foreignKeys.get(key)
		if (foreign) {
			plan.warnings.push(
				`${keyText(key)} is already in the list as someone else's entry ("${foreign.description ?? ''}"); tidegate leaves it alone and does not add a duplicate`,
			)
			continue
		}
		plan.document.push(render(wanted))
		plan.changes.push({
			action: 'add',
			key,
			after: render(wanted),
			cause: cause(render(wanted), undefined, appliedByKey.get(key)),
		})
	}
	plan.foreignCount = foreignKeys.size

	const removals = plan.changes.filter((c) => c.action === 'remove')
	if (removals.length > rails.maxDeletions && !rails.force) {
		plan.refusals.push(
			maxDeletionsRefusal('split-tunnel entries', removals.length, rails.maxDeletions),
		)
	}
	for (const removal of removals) {
		if (appliedByKey.get(removal.key)?.protected && !desiredByKey.has(removal.key)) {
			plan.refusals.push({
				rail: 'protected-entry',
				message: `${keyText(removal.key)} is protected; it is never removed by automation, even with force. Set protected: false in one commit, then remove it in the next`,
			})
		}
	}
	if (plan.document.length === 0) {
		plan.refusals.push({
			rail: 'empty-list',
			message: `the plan would leave the ${profileName(desired.policy)}'s include list empty, which cuts every device off the private network; refused even with force`,
		})
	}
	return plan
}

/** The identity of an ingress rule: what it matches. */
export function ruleKey(rule: IngressRule): string {
	return `${rule.hostname ?? '*'}${rule.path === undefined ? '' : ` ${rule.path}`}`
}

/** The identity of a split-tunnel entry: its canonical address or lowercase host. */
export function entryKey(entry: { address?: string; host?: string }): string {
	if (entry.address !== undefined) {
		const cidr = parseCidr(entry.address)
		return `address:${cidr.ok ? cidr.value.text : entry.address}`
	}
	if (entry.host !== undefined) {
		return `host:${entry.host.toLowerCase()}`
	}
	return `unknown:${JSON.stringify(entry)}`
}

function keyText(key: string): string {
	return key.replace(/^(address|host|unknown):/, '')
}

function profileName(policy: string): string {
	return policy === 'default' ? 'default device profile' : `device profile ${policy}`
}

function maxDeletionsRefusal(what: string, count: number, max: number): Refusal {
	return {
		rail: 'max-deletions',
		message: `the plan removes ${count} ${what}, more than sync.maxDeletions (${max}); review it and apply with force if it is intended`,
	}
}

/** The entry as sent to Cloudflare: address or host, and the description (never tidegate's `protected`). */
function render(entry: SplitTunnelEntry | IncludeEntry): SplitTunnelEntry {
	const out: SplitTunnelEntry = {}
	if (entry.address !== undefined) {
		const cidr = parseCidr(entry.address)
		out.address = cidr.ok ? cidr.value.text : entry.address
	}
	if (entry.host !== undefined) {
		out.host = entry.host.toLowerCase()
	}
	if (entry.description !== undefined) {
		out.description = entry.description
	}
	return out
}

/** Cloudflare returns rules with empty strings and objects where tidegate writes nothing; compare like with like. */
function normaliseLiveRule(rule: IngressRule): IngressRule {
	const hostname =
		rule.hostname === undefined || rule.hostname === '' || rule.hostname === '*'
			? undefined
			: rule.hostname.toLowerCase()
	const originRequest = emptyToUndefined(rule.originRequest)
	return {
		...(hostname !== undefined && { hostname }),
		...(rule.path !== undefined && rule.path !== '' && { path: rule.path }),
		service: rule.service,
		...(originRequest && { originRequest }),
	}
}

function emptyToUndefined<T extends object>(value: T | undefined): T | undefined {
	return value === undefined || Object.keys(value).length === 0 ? undefined : value
}

function sameRule(a: IngressRule, b: IngressRule): boolean {
	return sameJson(normaliseLiveRule(a), normaliseLiveRule(b))
}

/** Structural equality with key order ignored. */
export function sameJson(a: unknown, b: unknown): boolean {
	return canonicalJson(a) === canonicalJson(b)
}

function canonicalJson(value: unknown): string {
	return JSON.stringify(value, (_key, v: unknown) =>
		v && typeof v === 'object' && !Array.isArray(v)
			? Object.fromEntries(
					Object.entries(v as Record<string, unknown>).sort(([x], [y]) =>
						x < y ? -1 : x > y ? 1 : 0,
					),
				)
			: v,
	)
}

/**
 * Attributes a difference: if Cloudflare still holds what tidegate last wrote, git moved (commit);
 * if git still says what tidegate last wrote, Cloudflare moved (hand edit); otherwise both.
 */
function causeFinder<T>(hasApplied: boolean, equal: (a: T, b: T) => boolean) {
	const same = (a: T | undefined, b: T | undefined) =>
		a === undefined || b === undefined ? a === b : equal(a, b)
	return (desired: T | undefined, live: T | undefined, applied: T | undefined): ChangeCause => {
		if (!hasApplied) {
			return 'first-sync'
		}
		if (same(live, applied)) {
			return 'commit'
		}
		if (same(desired, applied)) {
			return 'hand-edit'
		}
		return 'commit-and-hand-edit'
	}
}

/**
 * Rules present on both sides but in a different relative order. The longest common subsequence
 * stays put; every other common rule is reported as moved.
 */
function reorders(
	desired: IngressRule[],
	live: IngressRule[],
	applied: IngressRule[] | undefined,
): Change<IngressRule>[] {
	const liveKeys = live.map(ruleKey)
	const desiredKeys = desired.map(ruleKey)
	const desiredSet = new Set(desiredKeys)
	const common = new Set(liveKeys.filter((k) => desiredSet.has(k)))
	const a = liveKeys.filter((k) => common.has(k))
	const b = desiredKeys.filter((k) => common.has(k))
	if (a.join('\n') === b.join('\n')) {
		return []
	}
	const kept = longestCommonSubsequence(a, b)
	if (kept.size === common.size) {
		return []
	}
	const appliedKeys = applied?.map(ruleKey).filter((k) => common.has(k))
	const liveOrderIsOurs = appliedKeys !== undefined && appliedKeys.join('\n') === a.join('\n')
	const cause: ChangeCause =
		applied === undefined ? 'first-sync' : liveOrderIsOurs ? 'commit' : 'hand-edit'
	return b
		.filter((k) => !kept.has(k))
		.map((key) => ({
			action: 'reorder' as const,
			key,
			from: liveKeys.indexOf(key),
			to: desiredKeys.indexOf(key),
			cause,
		}))
}

function longestCommonSubsequence(a: string[], b: string[]): Set<string> {
	const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
	for (let i = a.length - 1; i >= 0; i--) {
		for (let j = b.length - 1; j >= 0; j--) {
			const row = table[i] as number[]
			row[j] =
				a[i] === b[j]
					? ((table[i + 1] as number[])[j + 1] as number) + 1
					: Math.max((table[i + 1] as number[])[j] as number, row[j + 1] as number)
		}
	}
	const kept = new Set<string>()
	let i = 0
	let j = 0
	while (i < a.length && j < b.length) {
		if (a[i] === b[j]) {
			kept.add(a[i] as string)
			i++
			j++
		} else if (
			((table[i + 1] as number[])[j] as number) >= ((table[i] as number[])[j + 1] as number)
		) {
			i++
		} else {
			j++
		}
	}
	return kept
}
