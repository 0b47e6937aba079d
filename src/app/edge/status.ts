/**
 * @module "Is everything fine?" for the edge: per managed resource in sync / drifted / failing /
 * suspended, from the newest runs, plus what is missing from the configuration, in plain words.
 */
import { type Change, isPlan, type ResourcePlan } from '../../domain/edge/plan.ts'
import type { Run } from '../../domain/edge/runs.ts'
import type { CronTick } from '../../domain/ports.ts'
import type { MissingConfig } from '../config.ts'
import type { Deps } from '../deps.ts'

/** One resource's state. */
export interface ResourceStatus {
	resource: string
	kind: ResourcePlan['kind']
	state: 'in_sync' | 'drifted' | 'failing' | 'suspended'
	/** One line on why it is in that state. */
	detail: string
	/** Changes found but not applied (drift reported, refused, suspended, dry run). */
	pendingChanges: Change<unknown>[]
	/** The run the state comes from. */
	runId: number
	/** False when the resource is only read (not managed by tidegate.yaml, or its token is missing). */
	managed: boolean
	/** What the plan warned about (e.g. DNS skipped, an include CIDR without a route). */
	warnings: string[]
	/** For a tunnel: how many cloudflared connectors were connected; null when not read. */
	connectors: number | null
}

/** The whole edge status. */
export interface EdgeStatus {
	version: string
	suspended: boolean
	missingConfig: MissingConfig[]
	lastRun: Run | undefined
	resources: ResourceStatus[]
	cron: CronTick[]
	deadLetters: number
}

/** How many of the newest runs the status is read from. */
export const STATUS_RUNS = 25

/**
 * Gathers the status from the run history. `recentRuns`: the newest `STATUS_RUNS` runs, when the
 * caller reads them anyway (the dashboard), so they are read once.
 */
export async function edgeStatus(
	deps: Pick<Deps, 'runs' | 'settings' | 'cronLog' | 'deadLetters' | 'version' | 'missingConfig'>,
	recentRuns?: Promise<Run[]>,
): Promise<EdgeStatus> {
	const [suspended, recent, cron, deadLetters] = await Promise.all([
		deps.settings.get('suspended'),
		recentRuns ?? deps.runs.list({ limit: STATUS_RUNS }),
		deps.cronLog.latest(),
		deps.deadLetters.count(),
	])
	const finished = recent.filter((r) => r.status !== 'queued' && r.status !== 'running')
	const lastRun = finished.find((r) => !r.dryRun)
	const withPlan = finished.find((r) => !r.dryRun && isPlan(r.plan))
	const resources: ResourceStatus[] = []
	if (withPlan && isPlan(withPlan.plan)) {
		for (const plan of withPlan.plan.resources) {
			resources.push(resourceStatus(plan, withPlan, lastRun, suspended === 'true'))
		}
	}
	return {
		version: deps.version,
		suspended: suspended === 'true',
		missingConfig: deps.missingConfig,
		lastRun,
		resources,
		cron,
		deadLetters,
	}
}

function resourceStatus(
	plan: ResourcePlan,
	run: Run,
	lastRun: Run | undefined,
	suspended: boolean,
): ResourceStatus {
	const base = {
		resource: plan.resource,
		kind: plan.kind,
		runId: run.id,
		managed: plan.managed,
		warnings: plan.warnings,
		connectors: plan.kind === 'tunnel' ? (plan.connectors?.count ?? null) : null,
	}
	// A newer run that failed before it could plan still makes every resource failing.
	if (
		lastRun &&
		lastRun.id !== run.id &&
		(lastRun.status === 'failed' || lastRun.status === 'dead')
	) {
		return {
			...base,
			runId: lastRun.id,
			state: 'failing',
			detail: lastRun.errorMessage ?? 'the last run failed',
			pendingChanges: [],
		}
	}
	if (plan.refusals.length > 0) {
		return {
			...base,
			state: 'failing',
			detail: `refused: ${plan.refusals[0]?.message}`,
			pendingChanges: plan.changes,
		}
	}
	if (run.status === 'failed' || run.status === 'dead') {
		return {
			...base,
			state: 'failing',
			detail: run.errorMessage ?? 'the last run failed',
			pendingChanges: plan.changes,
		}
	}
	const pending = run.status === 'applied' || run.status === 'in_sync' ? [] : plan.changes
	if (suspended) {
		return {
			...base,
			state: 'suspended',
			detail: 'syncing is suspended; changes are planned but not written',
			pendingChanges: pending,
		}
	}
	if (pending.length > 0) {
		return {
			...base,
			state: 'drifted',
			detail: `${pending.length} change(s) not applied (${run.status})`,
			pendingChanges: pending,
		}
	}
	return {
		...base,
		state: 'in_sync',
		detail: run.status === 'applied' ? 'applied by the last run' : 'in sync',
		pendingChanges: [],
	}
}
