/**
 * @module What the dashboard shows, gathered in one place so the page is one request: edge status,
 * the tunnel and split-tunnel tables from the newest plan (with drift marked), and recent runs.
 */

import type { Change, ResourcePlan, SplitTunnelPlan, TunnelPlan } from '../../domain/edge/plan.ts'
import { entryKey, isPlan, ruleKey } from '../../domain/edge/plan.ts'
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

/** One row of the split-tunnel table. */
export interface IncludeRow {
	target: string
	description: string
	owner: 'ours' | string
	change: Change<unknown> | undefined
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
		  }
		| undefined
	include:
		| { runId: number; policy: string; rows: IncludeRow[]; removed: Change<unknown>[] }
		| undefined
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
	const [status, newest, counts, daily, deployments, failures, egress, failing] = await Promise.all(
		[
			edgeStatus(deps, recent),
			recent,
			deps.fluxLedger.outcomeCounts(now - 7 * DAY),
			deps.fluxLedger.dailyOutcomes(Math.floor(now / DAY) * DAY - 13 * DAY),
			deps.fluxLedger.listDeployments({ limit: 8, branch: deps.source.branch }),
			deps.fluxLedger.listEvents({ limit: 8, outcome: 'failure' }),
			egressView(deps, { limit: 0 }),
			deps.fluxLedger.listObjects({ state: 'failing', limit: FAILING_FLUX_SHOWN }),
		],
	)
	const runs = newest.slice(0, RUNS_SHOWN)
	const planned = runs.find(
		(r) => !r.dryRun && r.status !== 'queued' && r.status !== 'running' && plans(r).length > 0,
	)
	const resources = planned ? plans(planned) : []
	const tunnel = resources.find((r): r is TunnelPlan => r.kind === 'tunnel')
	const split = resources.find((r): r is SplitTunnelPlan => r.kind === 'split-tunnel')
	const applied = planned?.status === 'applied' || planned?.status === 'in_sync'
	return {
		status,
		ingress: tunnel && planned ? ingressTable(tunnel, planned.id, applied) : undefined,
		include: split && planned ? includeTable(split, planned.id, applied) : undefined,
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
		health: healthOf(status, egress.expectations, failing),
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

function includeTable(plan: SplitTunnelPlan, runId: number, applied: boolean) {
	const pending = applied ? [] : plan.changes
	const byKey = new Map(pending.map((c) => [c.key, c]))
	const ours = new Set(plan.owned.map((e) => entryKey(e)))
	return {
		runId,
		policy: plan.policy,
		rows: plan.document.map((entry) => {
			const key = entryKey(entry)
			const description = entry.description ?? ''
			return {
				target: entry.address ?? entry.host ?? '?',
				description,
				owner: ours.has(key) ? 'ours' : (/ - ([^-]+)$/.exec(description)?.[1] ?? 'unlabelled'),
				change: byKey.get(key),
			}
		}),
		removed: pending.filter((c) => c.action === 'remove'),
	}
}
