/**
 * @module A device profile's split-tunnel list: shared by the whole organisation and replaced
 * whole by one PUT, so the document always carries every other team's entry exactly as read, in
 * its order. tidegate's entries follow the ownership rule (rails.ts); the profile's mode is read
 * explicitly and never switched (Cloudflare wipes the list on a switch). Include and exclude
 * mode are planned alike; only an include list left empty is a lock-out.
 */
import type { OwnedEntry, SplitTunnelState } from '../../desired-state/model.ts'
import { parseCidr } from '../cidr.ts'
import {
	type Change,
	causeFinder,
	type LiveRead,
	type PlanBase,
	type Rails,
	sameJson,
} from '../plan.ts'
import {
	type Claim,
	claimedWarning,
	claimOf,
	type Ownership,
	sharedRails,
	unreadableRefusal,
} from '../rails.ts'
import {
	type LiveSplitTunnel,
	type SplitTunnelEntry,
	type SplitTunnelMode,
	splitTunnelResource,
} from '../state.ts'

/** An owned entry as recorded: what was written, with its `protected` flag. */
export type RecordedEntry = Pick<OwnedEntry, 'address' | 'host' | 'description' | 'protected'>

/** What tidegate last wrote to the list, from its history (D1). */
export interface AppliedSplitTunnel {
	entries: RecordedEntry[]
}

/** The plan for one device profile's list. */
export interface SplitTunnelPlan extends PlanBase {
	kind: 'split-tunnel'
	accountId: string
	policy: string
	mode: SplitTunnelMode
	changes: Change<SplitTunnelEntry>[]
	/** The whole list to PUT: foreign entries exactly as they were, in their order, plus ours. */
	document: SplitTunnelEntry[]
	/** tidegate's entries after the write, with their `protected` flags (recorded before the PUT). */
	owned: RecordedEntry[]
	foreignCount: number
	/** Keys removed as second entries for an address the document keeps. */
	duplicates: string[]
}

/** Plans one profile's list against the live list and tidegate's history of it. */
export function planSplitTunnel(
	desired: SplitTunnelState,
	liveRead: LiveRead<LiveSplitTunnel> | undefined,
	applied: AppliedSplitTunnel | undefined,
	ownership: Ownership,
	rails: Rails,
): SplitTunnelPlan {
	const plan: SplitTunnelPlan = {
		kind: 'split-tunnel',
		resource: splitTunnelResource(desired.accountId, desired.policy),
		accountId: desired.accountId,
		policy: desired.policy,
		mode: desired.mode,
		changes: [],
		document: [],
		owned: [],
		foreignCount: 0,
		duplicates: [],
		refusals: [],
		warnings: [],
		foreign: [],
		managed: true,
	}
	const name = profileName(desired.policy)
	if (!liveRead?.ok) {
		plan.refusals.push(unreadableRefusal(`the ${name}'s split-tunnel list`, liveRead?.error))
		return plan
	}
	const live = liveRead.value
	if (live.mode !== desired.mode) {
		plan.refusals.push({
			rail: 'mode-switch',
			message: `the ${name} is in ${live.mode} mode (${live.entries.length} ${live.mode} entries) but tidegate.yaml writes its ${desired.mode} list; writing it would switch the profile to ${desired.mode} mode, and Cloudflare then wipes the list. Switch the mode deliberately in the dashboard, or write ${live.mode}: in tidegate.yaml`,
		})
		return plan
	}
	const desiredByKey = new Map(desired.entries.map((e) => [entryKey(e), e]))
	const appliedByKey = new Map((applied?.entries ?? []).map((e) => [entryKey(e), e]))
	const cause = causeFinder(applied !== undefined, (a: SplitTunnelEntry, b: SplitTunnelEntry) =>
		sameJson(render(a), render(b)),
	)
	const emitted = new Set<string>()
	const kept = new Map<string, { entry: SplitTunnelEntry; claim: Claim }>()
	const keep = (entry: SplitTunnelEntry, key: string, claim: Claim) => {
		plan.document.push(entry)
		plan.foreign.push(key)
		kept.set(key, { entry, claim })
	}
	const emit = (wanted: OwnedEntry, key: string) => {
		emitted.add(key)
		plan.document.push(render(wanted))
		plan.owned.push(recorded(wanted))
	}

	for (const entry of live.entries) {
		const key = entryKey(entry)
		const wanted = desiredByKey.get(key)
		const claim = claimOf(key, entry.description, ownership)
		const duplicate = emitted.has(key)
		if (duplicate && claim !== 'foreign') {
			// A second entry for an address tidegate keeps: dropping it loses no route, whoever added it.
			plan.changes.push({
				action: 'remove',
				key,
				before: entry,
				cause: applied ? 'hand-edit' : 'first-sync',
			})
			plan.duplicates.push(key)
			continue
		}
		if (claim === 'ours' || (claim === 'claimed' && wanted && same(wanted, entry))) {
			// An identical claimed entry is exactly what tidegate.yaml asks for: it becomes tidegate's.
			if (wanted) {
				emit(wanted, key)
				if (!same(wanted, entry)) {
					plan.changes.push({
						action: 'update',
						key,
						before: entry,
						after: render(wanted),
						cause: cause(render(wanted), entry, appliedByKey.get(key)),
					})
				}
			} else if (claim === 'ours') {
				plan.changes.push({
					action: 'remove',
					key,
					before: entry,
					cause: cause(undefined, entry, appliedByKey.get(key)),
				})
			} else {
				keep(entry, key, claim)
			}
			continue
		}
		if (wanted?.adopt && !duplicate) {
			emit(wanted, key)
			plan.changes.push({
				action: 'adopt',
				key,
				before: entry,
				after: render(wanted),
				cause: cause(render(wanted), entry, appliedByKey.get(key)),
			})
			continue
		}
		keep(entry, key, claim)
		if (claim === 'claimed' && !wanted) {
			plan.warnings.push(claimedWarning(`${keyText(key)} "${entry.description ?? ''}"`, ownership))
		}
	}
	for (const wanted of desired.entries) {
		const key = entryKey(wanted)
		if (emitted.has(key)) {
			continue
		}
		const other = kept.get(key)
		if (other) {
			plan.warnings.push(
				other.claim === 'claimed'
					? claimedWarning(
							`${keyText(key)} "${other.entry.description ?? ''}" differs from tidegate.yaml and`,
							ownership,
						)
					: `${keyText(key)} is already in the list as someone else's entry ("${other.entry.description ?? ''}"); tidegate leaves it alone and does not add a duplicate. Set adopt: true on the entry to take it over`,
			)
			continue
		}
		emit(wanted, key)
		plan.changes.push({
			action: 'add',
			key,
			after: render(wanted),
			cause: cause(render(wanted), undefined, appliedByKey.get(key)),
		})
	}
	plan.foreignCount = plan.foreign.length
	// A flag is tidegate's own, so changing only `protected` still needs a write to record it.
	for (const entry of plan.owned) {
		const key = entryKey(entry)
		const before = appliedByKey.get(key)
		if (
			before &&
			before.protected !== entry.protected &&
			!plan.changes.some((c) => c.key === key)
		) {
			plan.changes.push({
				action: 'update',
				key,
				before: { ...render(before), protected: before.protected },
				after: { ...render(entry), protected: entry.protected },
				cause: 'commit',
			})
		}
	}
	sharedRails(plan, {
		rails,
		ownership,
		what: `split-tunnel ${desired.mode} entries`,
		label: keyText,
		stillListed: (key) => plan.duplicates.includes(key),
	})
	if (desired.mode === 'include' && plan.document.length === 0) {
		plan.refusals.push({
			rail: 'empty-list',
			message: `the plan would leave the ${name}'s include list empty, which cuts every device off the private network; refused even with force`,
		})
	}
	return plan
}

/**
 * The writer's last check, independent of the planner: the document holds every entry of the
 * read it was planned from that tidegate does not own, unchanged and in its order.
 */
export function foreignKept(plan: SplitTunnelPlan, read: LiveSplitTunnel): string | undefined {
	const foreign = new Set(plan.foreign)
	const expected = read.entries.filter((e) => foreign.has(entryKey(e)))
	const inDocument = plan.document.filter((e) => foreign.has(entryKey(e)))
	if (expected.length !== plan.foreign.length || !sameJson(expected, inDocument)) {
		return `the ${plan.mode} list about to be written does not hold every other team's entry exactly as read (${expected.length} read, ${inDocument.length} in the document); nothing is written`
	}
	return undefined
}

/** What a write must leave behind, read back afterwards: the mode, and every foreign entry. */
export function verifySplitTunnel(
	plan: SplitTunnelPlan,
	before: LiveSplitTunnel,
	after: LiveSplitTunnel,
): string[] {
	const problems: string[] = []
	if (after.mode !== before.mode) {
		problems.push(`the profile's mode changed from ${before.mode} to ${after.mode}`)
	}
	const now = new Map(after.entries.map((e) => [entryKey(e), e]))
	const lost = plan.foreign.filter((key) => !now.has(key))
	if (lost.length > 0) {
		problems.push(
			`${lost.length} other teams' entries are missing after the write (${lost.slice(0, 3).map(keyText).join(', ')}${lost.length > 3 ? ', …' : ''})`,
		)
	}
	return problems
}

/** The keys tidegate owns and protects according to one recorded write. */
export function splitTunnelOwnership(document: unknown): { keys: string[]; protected: string[] } {
	const entries = (document as Partial<AppliedSplitTunnel> | null)?.entries ?? []
	return {
		keys: entries.map(entryKey),
		protected: entries.filter((e) => e.protected).map(entryKey),
	}
}

/** The identity of a split-tunnel entry: its canonical address or lowercase host. */
export function entryKey(entry: { address?: unknown; host?: unknown }): string {
	if (typeof entry.address === 'string') {
		const cidr = parseCidr(entry.address)
		return `address:${cidr.ok ? cidr.value.text : entry.address}`
	}
	if (typeof entry.host === 'string') {
		return `host:${entry.host.toLowerCase()}`
	}
	return `unknown:${JSON.stringify(entry)}`
}

/** An entry key as people read it: the address or host alone. */
export function keyText(key: string): string {
	return key.replace(/^(address|host|unknown):/, '')
}

function profileName(policy: string): string {
	return policy === 'default' ? 'default device profile' : `device profile ${policy}`
}

function same(wanted: OwnedEntry, live: SplitTunnelEntry): boolean {
	return sameJson(render(wanted), render(live))
}

function recorded(entry: OwnedEntry): RecordedEntry {
	return { ...render(entry), description: entry.description, protected: entry.protected }
}

/** The entry as sent to Cloudflare: address or host, and the description (never tidegate's flags). */
function render(entry: SplitTunnelEntry | OwnedEntry): SplitTunnelEntry {
	const out: SplitTunnelEntry = {}
	if (typeof entry.address === 'string') {
		const cidr = parseCidr(entry.address)
		out.address = cidr.ok ? cidr.value.text : entry.address
	}
	if (typeof entry.host === 'string') {
		out.host = entry.host.toLowerCase()
	}
	if (typeof entry.description === 'string') {
		out.description = entry.description
	}
	return out
}
