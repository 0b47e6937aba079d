/**
 * @module A plan as text for people: the CLI diff, run records and commit-status summaries.
 */
import type { IngressRule } from '../desired-state/model.ts'
import type { DnsRecordView } from './kinds/dns.ts'
import type { RouteView } from './kinds/routes.ts'
import { keyText } from './kinds/split-tunnel.ts'
import { type Change, type ChangeCause, isPlan, type Plan, type ResourcePlan } from './plan.ts'
import type { SplitTunnelEntry } from './state.ts'

/** Who made a change, in words. */
export const CAUSE_TEXT: Record<ChangeCause, string> = {
	commit: 'from a commit',
	'hand-edit': 'hand edit in the dashboard',
	'commit-and-hand-edit': 'a commit and a hand edit',
	'first-sync': 'first sync',
}

const MARK = { add: '+', remove: '-', update: '~', reorder: '↕', adopt: '⇐' } as const

/** Rendering choices; `causes: false` where no applied history is known (the CLI). */
export interface RenderOptions {
	causes?: boolean
}

/** The full human diff, one resource after another. */
export function renderPlan(plan: Plan, options: RenderOptions = {}): string {
	return plan.resources.map((r) => renderResource(r, options.causes ?? true)).join('\n\n')
}

/** The human diff of a run's stored plan, or null when the run made none. */
export function planTextOf(plan: unknown): string | null {
	return isPlan(plan) ? renderPlan(plan) : null
}

/** One line: what the plan does, for commit statuses (GitHub allows 140 characters). */
export function summarisePlan(plan: Plan): string {
	if (plan.refused) {
		const first = plan.resources.flatMap((r) => r.refusals)[0]
		return `refused: ${first?.message ?? 'a safety rail tripped'}`
	}
	if (plan.inSync) {
		return 'in sync: nothing to change'
	}
	const parts = plan.resources
		.filter((r) => r.changes.length > 0)
		.map((r) => `${resourceLabel(r)}: ${countText(r.changes)}`)
	return parts.join('; ')
}

function renderResource(resource: ResourcePlan, causes: boolean): string {
	const lines = [heading(resource)]
	for (const refusal of resource.refusals) {
		lines.push(`  REFUSED (${refusal.rail}): ${refusal.message}`)
	}
	for (const warning of resource.warnings) {
		lines.push(`  warning: ${warning}`)
	}
	if (resource.changes.length === 0 && resource.refusals.length === 0) {
		lines.push('  in sync')
	}
	for (const change of resource.changes) {
		const why = causes ? `  (${CAUSE_TEXT[change.cause]})` : ''
		lines.push(`  ${MARK[change.action]} ${describe(resource, change)}${why}`)
	}
	return lines.join('\n')
}

function heading(resource: ResourcePlan): string {
	// Counts of a list that could not be read would be made up: say so instead.
	const unread = resource.refusals.some((r) => r.rail === 'unreadable')
		? ' (not read, so nothing is known of it)'
		: undefined
	switch (resource.kind) {
		case 'tunnel': {
			const version = resource.liveVersion === null ? '' : `, live version ${resource.liveVersion}`
			const connectors =
				resource.connectors === undefined
					? ''
					: resource.connectors.count === 0
						? ', NO cloudflared connected'
						: `, ${resource.connectors.count} connector${resource.connectors.count === 1 ? '' : 's'}`
			return `tunnel ${resource.tunnelId} ingress (${resource.document.ingress.length} rules incl. catch-all${version}${connectors})`
		}
		case 'split-tunnel': {
			const owned = resource.document.length - resource.foreignCount
			const profile =
				resource.policy === 'default' ? 'default profile' : `profile ${resource.policy}`
			return `split tunnel ${resource.mode}, ${profile}${unread ?? ` (${owned} ours, ${resource.foreignCount} other teams' kept as they are)`}`
		}
		case 'dns':
			return `DNS records → ${resource.target}${unread ?? ` (${resource.owned.length} ours, ${resource.foreign.length} others at the same names left alone)`}`
		case 'routes':
			return unread
				? `private-network routes → tunnel ${resource.tunnelId}${unread}`
				: resource.managed
					? `private-network routes → tunnel ${resource.tunnelId} (${resource.owned.length} ours, ${resource.foreign.length} others in the account left alone)`
					: `private-network routes → tunnel ${resource.tunnelId} (not managed by tidegate.yaml: checked only)`
	}
}

const LABELS: Record<ResourcePlan['kind'], string> = {
	tunnel: 'tunnel',
	'split-tunnel': 'split tunnel',
	dns: 'DNS',
	routes: 'routes',
}

function resourceLabel(resource: ResourcePlan): string {
	return LABELS[resource.kind]
}

function countText(changes: Change<unknown>[]): string {
	const counts = new Map<string, number>()
	for (const c of changes) {
		counts.set(c.action, (counts.get(c.action) ?? 0) + 1)
	}
	const words = {
		add: 'added',
		update: 'updated',
		remove: 'removed',
		reorder: 'moved',
		adopt: 'adopted',
	} as const
	return (['add', 'update', 'adopt', 'remove', 'reorder'] as const)
		.filter((a) => counts.has(a))
		.map((a) => `${counts.get(a)} ${words[a]}`)
		.join(', ')
}

function describe(resource: ResourcePlan, change: Change<unknown>): string {
	switch (resource.kind) {
		case 'tunnel':
			return describeRule(change)
		case 'split-tunnel':
			return describeEntry(change)
		case 'dns': {
			const before = change.before as DnsRecordView | undefined
			const after = change.after as DnsRecordView | undefined
			const text = (r: DnsRecordView | undefined) =>
				r ? `${r.type} ${r.content}${r.proxied ? ' (proxied)' : ''}` : '(none)'
			return change.action === 'add' || change.action === 'remove'
				? `${change.key} ${text(after ?? before)}`
				: `${change.key}: ${text(before)} → ${text(after)}`
		}
		case 'routes': {
			const before = change.before as RouteView | undefined
			const after = change.after as RouteView | undefined
			const text = (r: RouteView | undefined) =>
				r ? `→ tunnel ${r.tunnelId} "${r.comment ?? ''}"` : '(none)'
			const network = (after ?? before)?.network ?? change.key
			return change.action === 'add' || change.action === 'remove'
				? `${network} ${text(after ?? before)}`
				: `${network}: ${text(before)} → ${text(after)}`
		}
	}
}

function describeRule(change: Change<unknown>): string {
	if (change.action === 'reorder') {
		return `${change.key} moves from position ${change.from} to ${change.to}`
	}
	if (change.key === 'originRequest' || change.key === 'warp-routing') {
		return `${change.key}: ${JSON.stringify(change.before ?? null)} → ${JSON.stringify(change.after ?? null)}`
	}
	const before = change.before as IngressRule | undefined
	const after = change.after as IngressRule | undefined
	if (change.action === 'add' && after) {
		return `${change.key} → ${after.service}${after.originRequest ? ` ${JSON.stringify(after.originRequest)}` : ''}`
	}
	if (change.action === 'remove' && before) {
		return `${change.key} → ${before.service}`
	}
	return `${change.key}: ${ruleText(before)} → ${ruleText(after)}`
}

function describeEntry(change: Change<unknown>): string {
	const before = change.before as (SplitTunnelEntry & { protected?: boolean }) | undefined
	const after = change.after as (SplitTunnelEntry & { protected?: boolean }) | undefined
	const target = keyText(change.key)
	if (change.action === 'update' || change.action === 'adopt') {
		if (before?.protected !== undefined && before.description === after?.description) {
			return `${target}: ${before.protected ? 'protected' : 'not protected'} → ${after?.protected ? 'protected' : 'not protected'}`
		}
		return `${target}: "${before?.description ?? ''}" → "${after?.description ?? ''}"`
	}
	return `${target} "${(after ?? before)?.description ?? ''}"`
}

function ruleText(rule: IngressRule | undefined): string {
	if (!rule) {
		return '(none)'
	}
	return `${rule.service}${rule.originRequest ? ` ${JSON.stringify(rule.originRequest)}` : ''}`
}
