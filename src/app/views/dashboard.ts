/**
 * @module What the dashboard shows, gathered in one place so the page is one request: edge status,
 * the tunnel and split-tunnel tables from the newest plan (with drift marked), and recent runs.
 */

import type { DnsPlan } from '../../domain/edge/kinds/dns.ts'
import type { RoutesPlan, RouteView } from '../../domain/edge/kinds/routes.ts'
import { entryKey, type SplitTunnelPlan } from '../../domain/edge/kinds/split-tunnel.ts'
import { type ConnectorSummary, ruleKey, type TunnelPlan } from '../../domain/edge/kinds/tunnel.ts'
import { type Change, isPlan, type ResourcePlan } from '../../domain/edge/plan.ts'
import type { Run } from '../../domain/edge/runs.ts'
import { type FluxObjectState, type Rate, successRate } from '../../domain/flux/ledger.ts'
import type {
	DailyOutcomes,
	FluxDeploymentRecord,
	FluxEventRecord,
} from '../../domain/flux/ports.ts'
import type { Deps } from '../deps.ts'
import { type EdgeStatus, edgeStatus, STATUS_RUNS } from '../edge/status.ts'
import { type EgressView, egressView } from '../egress/view.ts'
import { type PreflightLink, preflightLinks } from '../preflight/link.ts'
import { FAILING_FLUX_SHOWN, type Health, healthOf } from './health.ts'

/** One row of the ingress table. */
export interface IngressRow {
	position: number
	hostname: string
	path: string | null
	service: string
	/** The pending change to this rule, when the live tunnel differs. */
	change: Change<unknown> | undefined
}

/** One row of a split-tunnel table. */
export interface IncludeRow {
	target: string
	description: string
	owner: 'ours' | string
	change: Change<unknown> | undefined
}

/** One device profile's list. */
export interface ListTable {
	runId: number
	policy: string
	mode: 'include' | 'exclude'
	rows: IncludeRow[]
	removed: Change<unknown>[]
}

/** One DNS record a tunnel hostname needs. */
export interface DnsRow {
	hostname: string
	zone: string | null
	change: Change<unknown> | undefined
}

/** One route to the tunnel or in the account. */
export interface RouteRow {
	network: string
	comment: string
	owner: 'ours' | string
	change: Change<unknown> | undefined
}

/** What a table of a resource shows besides its rows: why it is not synced, warnings, refusals. */
export interface ResourceNotes {
	managed: boolean
	warnings: string[]
	refusals: string[]
}

/** The dashboard's data. */
export interface DashboardView {
	status: EdgeStatus
	ingress:
		| {
				runId: number
				tunnelId: string
				liveVersion: number | null
				rows: IngressRow[]
				removed: Change<unknown>[]
				/** The cloudflared connectors as read by that run; none connected: nothing is served. */
				connectors: ConnectorSummary | undefined
		  }
		| undefined
	/** One table per device profile tidegate manages. */
	lists: ListTable[]
	dns: ({ runId: number; target: string; rows: DnsRow[] } & ResourceNotes) | undefined
	routes: ({ runId: number; rows: RouteRow[] } & ResourceNotes) | undefined
	runs: Run[]
	/** The newest run that changed something or was refused: the "last diff". */
	lastDiff: Run | undefined
	flux: FluxView
	egress: EgressView
	/** The banner: the same answer `GET /api/status` gives. */
	health: Health
}

/** Deployments as Flux reported them. */
export interface FluxView {
	/** Success rate over the last 7 days. */
	rate: Rate
	/** Decided outcomes per day over the last 14 days, for the chart. */
	daily: DailyOutcomes[]
	deployments: FluxDeploymentRecord[]
	failures: FluxEventRecord[]
	/** Objects failing right now. */
	failing: FluxObjectState[]
	/** The pre-flight check of each deployment's commit, by deployment id. */
	preflight: Map<number, PreflightLink | null>
}

const DAY = 24 * 60 * 60 * 1000
const RUNS_SHOWN = 15

/** Gathers the dashboard. */
export async function dashboardView(deps: Deps): Promise<DashboardView> {
	const now = deps.now()
	const recent = deps.runs.list({ limit: STATUS_RUNS })
	const [status, newest, counts, daily, deployments, failures, egress, failing, undelivered] =
		await Promise.all([
			edgeStatus(deps, recent),
			recent,
			deps.fluxLedger.outcomeCounts(now - 7 * DAY),
			deps.fluxLedger.dailyOutcomes(Math.floor(now / DAY) * DAY - 13 * DAY),
			deps.fluxLedger.listDeployments({ limit: 8, branch: deps.source.branch }),
			deps.fluxLedger.listEvents({ limit: 8, outcome: 'failure' }),
			egressView(deps, { limit: 0 }),
			deps.fluxLedger.listObjects({ state: 'failing', limit: FAILING_FLUX_SHOWN }),
			deps.deadLetters.ofKind('alert'),
		])
	const runs = newest.slice(0, RUNS_SHOWN)
	const planned = runs.find(
		(r) => !r.dryRun && r.status !== 'queued' && r.status !== 'running' && plans(r).length > 0,
	)
	const resources = planned ? plans(planned) : []
	const tunnel = resources.find((r): r is TunnelPlan => r.kind === 'tunnel')
	const dns = resources.find((r): r is DnsPlan => r.kind === 'dns')
	const routes = resources.find((r): r is RoutesPlan => r.kind === 'routes')
	const applied = planned?.status === 'applied' || planned?.status === 'in_sync'
	const runId = planned?.id ?? 0
	return {
		status,
		ingress: tunnel ? ingressTable(tunnel, runId, applied) : undefined,
		lists: resources
			.filter((r): r is SplitTunnelPlan => r.kind === 'split-tunnel')
			.map((r) => listTable(r, runId, applied)),
		dns: dns ? dnsTable(dns, runId, applied) : undefined,
		routes: routes ? routesTable(routes, runId, applied) : undefined,
		runs,
		lastDiff: runs.find((r) => plans(r).some((p) => p.changes.length > 0 || p.refusals.length > 0)),
		flux: {
			rate: successRate(counts).overall,
			daily,
			deployments,
			failures,
			failing,
			preflight: await preflightLinks(deps.preflight, deployments),
		},
		egress,
		health: healthOf(status, egress.expectations, failing, undelivered),
	}
}

function plans(run: Run): ResourcePlan[] {
	return isPlan(run.plan) ? run.plan.resources : []
}

function ingressTable(plan: TunnelPlan, runId: number, applied: boolean) {
	const pending = applied ? [] : plan.changes
	const byKey = new Map(pending.map((c) => [c.key, c]))
	return {
		runId,
		tunnelId: plan.tunnelId,
		liveVersion: plan.liveVersion,
		connectors: plan.connectors,
		rows: plan.document.ingress.map((rule, i) => ({
			position: i,
			hostname: rule.hostname ?? '*',
			path: rule.path ?? null,
			service: rule.service,
			change: byKey.get(ruleKey(rule)),
		})),
		removed: pending.filter((c) => c.action === 'remove'),
	}
}

function listTable(plan: SplitTunnelPlan, runId: number, applied: boolean): ListTable {
	const pending = applied ? [] : plan.changes
	const byKey = new Map(pending.map((c) => [c.key, c]))
	const ours = new Set(plan.owned.map((e) => entryKey(e)))
	return {
		runId,
		policy: plan.policy,
		mode: plan.mode,
		rows: plan.document.map((entry) => {
			const key = entryKey(entry)
			const description = entry.description ?? ''
			return {
				target: entry.address ?? entry.host ?? '?',
				description,
				owner: ours.has(key) ? 'ours' : labelOwner(description),
				change: byKey.get(key),
			}
		}),
		removed: pending.filter((c) => c.action === 'remove'),
	}
}

function dnsTable(plan: DnsPlan, runId: number, applied: boolean) {
	const pending = applied ? [] : plan.changes
	const byKey = new Map(pending.map((c) => [c.key, c]))
	const names = [...new Set([...plan.owned.map((r) => r.name), ...Object.keys(plan.zones)])]
	return {
		runId,
		target: plan.target,
		...notes(plan),
		rows: [
			...names.map((hostname) => ({
				hostname,
				zone: plan.zones[hostname] ?? null,
				change: byKey.get(hostname),
			})),
			...pending
				.filter((c) => c.action === 'remove')
				.map((c) => ({ hostname: c.key, zone: null, change: c })),
		],
	}
}

function routesTable(plan: RoutesPlan, runId: number, applied: boolean) {
	const pending = applied ? [] : plan.changes
	const changeOf = (network: string) =>
		pending.find((c) => ((c.after ?? c.before) as RouteView | undefined)?.network === network)
	return {
		runId,
		...notes(plan),
		rows: [
			...plan.owned.map((r) => ({
				network: r.network,
				comment: r.comment,
				owner: 'ours',
				change: changeOf(r.network),
			})),
			...plan.routedHere
				.filter((network) => !plan.owned.some((r) => r.network === network))
				.map((network) => ({
					network,
					comment: '',
					owner: 'another owner',
					change: undefined,
				})),
		],
	}
}

function notes(plan: ResourcePlan): ResourceNotes {
	return {
		managed: plan.managed,
		warnings: plan.warnings,
		refusals: plan.refusals.map((r) => r.message),
	}
}

/** The owner a label names (` - <owner>` at its end), for entries tidegate does not own. */
function labelOwner(label: string): string {
	return / - ([^-]+)$/.exec(label)?.[1] ?? 'unlabelled'
}
