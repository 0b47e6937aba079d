/**
 * @module The tunnel's remotely managed ingress: tidegate's alone, replaced whole by one PUT. Plans
 * rule by rule (add, update, remove, reorder) and settings (originRequest, warp-routing), with the
 * tunnel's rails: no removing every public hostname, and a document that keeps the catch-all last
 * and only last (a rollback re-checks the document it pushes).
 */
import type { IngressRule, TunnelState } from '../../desired-state/model.ts'
import type { OriginRequest } from '../../desired-state/schema.ts'
import {
	type Change,
	type ChangeCause,
	causeFinder,
	type LiveRead,
	type PlanBase,
	type Rails,
	sameJson,
} from '../plan.ts'
import { sharedRails, unreadableRefusal } from '../rails.ts'
import { type LiveTunnelConfig, tunnelResource } from '../state.ts'

/** The tunnel document tidegate PUTs (the `config` of the tunnel configuration API). */
export interface TunnelDocument {
	ingress: IngressRule[]
	originRequest?: OriginRequest
	warpRouting?: boolean
}

/** What tidegate last PUT to the tunnel, from its history (D1). */
export type AppliedTunnel = TunnelDocument

/** The tunnel's cloudflared connectors as last read: none connected means nothing is served. */
export interface ConnectorSummary {
	count: number
	/** The configuration version each connector runs, by connector id. */
	versions: Record<string, number | null>
}

/** The plan for one tunnel's ingress. */
export interface TunnelPlan extends PlanBase {
	kind: 'tunnel'
	accountId: string
	tunnelId: string
	/** The version the plan was made against; the writer re-reads it just before the PUT. */
	liveVersion: number | null
	changes: Change<IngressRule | OriginRequest | boolean>[]
	document: TunnelDocument
	/** Filled in after the plan when the connectors could be read. */
	connectors?: ConnectorSummary
}

/** Plans one tunnel against its live configuration and what tidegate last wrote. */
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
		foreign: [],
		managed: true,
	}
	const invalid = documentProblem(document)
	if (invalid) {
		plan.refusals.push({ rail: 'invalid-document', message: invalid })
		return plan
	}
	if (!liveRead?.ok) {
		plan.refusals.push(unreadableRefusal("the tunnel's live configuration", liveRead?.error))
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

	sharedRails(plan, { rails, what: 'tunnel ingress rules', label: (key) => `rule ${key}` })
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

/**
 * The catch-all is last and only last: cloudflared refuses anything else. Validation guarantees it
 * for tidegate.yaml; a rollback pushes a recorded document, so it is checked again here.
 */
function documentProblem(document: TunnelDocument): string | undefined {
	const rules = document.ingress
	const catchAlls = rules.filter((r) => r.hostname === undefined && r.path === undefined)
	if (rules.length === 0 || catchAlls.length !== 1 || catchAlls[0] !== rules.at(-1)) {
		return `the tunnel document does not end with exactly one catch-all rule (${rules.length} rules, ${catchAlls.length} catch-all); cloudflared would refuse it, so it is not pushed`
	}
	return undefined
}

/** The identity of an ingress rule: what it matches. */
export function ruleKey(rule: IngressRule): string {
	return `${rule.hostname ?? '*'}${rule.path === undefined ? '' : ` ${rule.path}`}`
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
