/**
 * @module The egress check (cron, its own trigger so a slow agent never delays a reconcile): the
 * targets of tidegate.yaml at the branch head (plus every ingress service with
 * `checkIngressTargets`), probed from every node by the in-cluster agent and, for external ones,
 * from the edge by the Worker itself; the node × target matrix, compared with `egress.expect`,
 * stored with outage windows; and an alert for each confirmed change (docs/egress.md).
 */
import { AGENT_MAX_TARGETS, type AgentTarget, agentTargetSchema } from '../../contracts/agent.ts'
import { alertableTransitions, egressAlertText } from '../../domain/egress/alerts.ts'
import { classifyTarget, type EgressVerdict } from '../../domain/egress/classify.ts'
import { evaluateExpectations } from '../../domain/egress/expectations.ts'
import type {
	EdgeProbeResult,
	EgressPlan,
	EgressReport,
	EgressTarget,
	ReportedTarget,
	SkippedTarget,
} from '../../domain/egress/model.ts'
import {
	type MatrixObservation,
	observeAgentFailure,
	observeAnswer,
} from '../../domain/egress/observations.ts'
import type { AgentFailure } from '../../domain/egress/ports.ts'
import { capEdgeProbes, egressTargets } from '../../domain/egress/targets.ts'
import { EGRESS_DAMPING, trackCheck } from '../../domain/egress/tracking.ts'
import type { DampingPolicy } from '../../domain/transitions.ts'
import type { Deps } from '../deps.ts'
import { resolveDesiredState } from '../edge/desired-source.ts'
import { raiseAlert } from '../ops/alerts.ts'
import type { JobResult } from '../ops/jobs.ts'

/** Knobs of one check; the cron uses `EGRESS_CHECK_DEFAULTS`. */
export interface EgressCheckOptions {
	/** Per-probe timeout sent to the agent, and the edge probe's timeout. */
	probeTimeoutMs: number
	/** How much longer than the probe timeout the agent call may take (peer grace + transit). */
	agentGraceMs: number
	/** A running check younger than this holds the lease (the next tick skips). */
	leaseMs: number
	policy: DampingPolicy
	/** Checks and their samples are kept this long. */
	checkRetentionMs: number
	/** Closed outage windows are kept this long. */
	outageRetentionMs: number
}

const DAY = 24 * 60 * 60 * 1000

/** The agent's default probe timeout; its default peer grace (1 s) plus 3 s for the tunnel. */
export const EGRESS_CHECK_DEFAULTS: EgressCheckOptions = {
	probeTimeoutMs: 5000,
	agentGraceMs: 4000,
	leaseMs: 4 * 60 * 1000,
	policy: EGRESS_DAMPING,
	checkRetentionMs: 14 * DAY,
	outageRetentionMs: 90 * DAY,
}

/** The ports a check uses. */
export type EgressDeps = Pick<
	Deps,
	| 'agent'
	| 'edgeProbe'
	| 'egress'
	| 'repository'
	| 'fileCache'
	| 'desiredStateCache'
	| 'source'
	| 'now'
	| 'log'
	| 'alerts'
	| 'jobs'
	| 'deadLetters'
	| 'publicUrl'
	| 'missingConfig'
>

/** What a check did, for the cron log, the on-demand API and tests. */
export interface EgressCheckResult extends JobResult {
	checkId?: number
	alert?: string
	/** Why it did not probe: no agent configured, another check holds the lease, nothing to probe. */
	skipped?: 'not-configured' | 'busy' | 'no-targets'
}

/** The cron job. */
export async function checkEgressJob(deps: Deps): Promise<JobResult> {
	const { outcome, detail } = await checkEgress(deps)
	return { outcome, detail }
}

/** Runs one egress check. Never throws for an agent, target or desired-state failure. */
export async function checkEgress(
	deps: EgressDeps,
	overrides: Partial<EgressCheckOptions> = {},
): Promise<EgressCheckResult> {
	const options = { ...EGRESS_CHECK_DEFAULTS, ...overrides }
	if (!deps.agent) {
		const missing = deps.missingConfig
			.filter((m) => m.name === 'AGENT_URL' || m.name === 'AGENT_SECRET')
			.map((m) => m.name)
		return {
			outcome: 'skipped',
			skipped: 'not-configured',
			detail: `not configured: ${missing.length > 0 ? missing.join(', ') : 'AGENT_URL, AGENT_SECRET'}`,
		}
	}
	const startedAt = deps.now()
	const checkId = await deps.egress.begin(startedAt, options.leaseMs)
	if (checkId === undefined) {
		return { outcome: 'skipped', skipped: 'busy', detail: 'another egress check is still running' }
	}

	const source = await loadPlan(deps)
	if (!source.plan) {
		await deps.egress.finish({
			id: checkId,
			startedAt,
			finishedAt: deps.now(),
			status: 'skipped',
			commitSha: source.commitSha,
			targetsFrom: null,
			requestId: null,
			agentError: null,
			durationMs: deps.now() - startedAt,
			note: source.note,
			report: null,
			plan: null,
			samples: [],
			tracking: { upserts: [], deletes: [], opens: [], touches: [], closes: [] },
		})
		return {
			outcome: 'skipped',
			skipped: 'no-targets',
			detail: source.note ?? 'no desired state',
			checkId,
		}
	}

	const { targets, agentTargets, skipped } = prepareTargets(source.plan.targets)
	const requestId = `egress-${checkId}-${crypto.randomUUID().slice(0, 8)}`
	const agent = deps.agent
	const [answer, edgeResults] = await Promise.all([
		agent.check(
			{ targets: agentTargets, timeoutMs: options.probeTimeoutMs, fanout: true, requestId },
			{ timeoutMs: options.probeTimeoutMs + options.agentGraceMs },
		),
		probeFromEdge(deps, targets, options.probeTimeoutMs),
	])
	const now = deps.now()
	const [tracks, openOutages] = await Promise.all([deps.egress.tracks(), deps.egress.openOutages()])
	const knownNodes = tracks.filter((t) => t.kind === 'node').map((t) => t.node)
	const observation: MatrixObservation = answer.ok
		? observeAnswer({ answer: answer.value, targets, knownNodes, now })
		: observeAgentFailure({ targets, knownNodes, now })
	const tracking = trackCheck({
		tracks,
		openOutages,
		agentOk: answer.ok,
		nodes: observation.nodes,
		cells: observation.cells,
		targets: targets.map((t) => t.name),
		targetsAuthoritative: source.from === 'head',
		answerComplete: answer.ok && !answer.value.discovery?.error,
		// Tracks, windows and samples share one clock: the check's start.
		now: startedAt,
		policy: options.policy,
	})
	const egressIps = new Map(observation.nodes.map((n) => [n.node, n.egressIp]))
	const reported: ReportedTarget[] = targets.map((t) => {
		const edgeResult = edgeResults.get(t.name) ?? null
		return {
			...t,
			edgeResult,
			verdict: classifyTarget(t, observation.cells, edgeResult, egressIps),
		}
	})
	const verdicts = new Map<string, EgressVerdict>(reported.map((t) => [t.name, t.verdict]))
	const reportedNodes = answer.ok ? answer.value.nodes.map((n) => n.node) : []
	const expectations = evaluateExpectations(source.plan.expect, observation.cells, reportedNodes)
	const report: EgressReport = {
		targets: reported,
		skipped,
		nodes: observation.nodes,
		expectations,
		discovery: answer.ok ? (answer.value.discovery ?? null) : null,
	}
	const agentError = answer.ok ? null : agentErrorOf(answer.error)
	const finishedAt = deps.now()
	await deps.egress.finish({
		id: checkId,
		startedAt,
		finishedAt,
		status: answer.ok ? 'ok' : 'agent_failed',
		commitSha: source.commitSha,
		targetsFrom: source.from,
		requestId,
		agentError,
		durationMs: finishedAt - startedAt,
		note: source.note,
		report,
		plan: source.from === 'head' ? source.plan : null,
		samples: observation.cells,
		tracking,
	})

	const alert = egressAlertText({
		transitions: alertableTransitions(tracking.transitions, source.plan.expect),
		targets,
		verdicts,
		egressIps,
		agentFailure: agentError,
		publicUrl: deps.publicUrl,
	})
	if (alert) {
		await raiseAlert(deps, 'egress', alert)
	}
	await deps.egress.prune({
		checksBefore: now - options.checkRetentionMs,
		outagesBefore: now - options.outageRetentionMs,
	})
	return {
		outcome: 'ok',
		detail: summary(observation, targets.length, expectations, agentError, alert !== null),
		checkId,
		...(alert ? { alert } : {}),
	}
}

interface PlanSource {
	plan: EgressPlan | null
	commitSha: string | null
	from: 'head' | 'previous' | null
	note: string | null
}

/**
 * The targets from tidegate.yaml at the branch head. If it cannot be read (GitHub down, the file
 * invalid), the previous check's targets are probed again: watching egress needs no write, so a
 * broken desired state must not blind it. Without a previous check the check is skipped.
 */
async function loadPlan(deps: EgressDeps): Promise<PlanSource> {
	const desired = await resolveDesiredState(deps, deps.source)
	if (desired.ok) {
		const state = desired.value.state
		return {
			plan: { targets: egressTargets(state), expect: state.egress.expect },
			commitSha: desired.value.commitSha,
			from: 'head',
			note: null,
		}
	}
	const reason = `desired state unavailable (${desired.error.code}): ${desired.error.message}`
	const last = await deps.egress.lastTargets()
	if (!last) {
		return { plan: null, commitSha: desired.error.commitSha ?? null, from: null, note: reason }
	}
	deps.log.log('warn', 'egress.previous_targets', { code: desired.error.code })
	return {
		plan: last.plan,
		commitSha: last.commitSha,
		from: 'previous',
		note: `${reason.slice(0, 400)}; probing the targets of ${last.commitSha?.slice(0, 7) ?? 'the previous check'}`,
	}
}

/**
 * Targets the agent protocol accepts, at most AGENT_MAX_TARGETS of them (tidegate.yaml targets
 * first). A target the protocol would reject is skipped with the reason, so one bad host cannot
 * make the agent refuse the whole request.
 */
export function prepareTargets(all: EgressTarget[]): {
	targets: EgressTarget[]
	agentTargets: AgentTarget[]
	skipped: SkippedTarget[]
} {
	const targets: EgressTarget[] = []
	const agentTargets: AgentTarget[] = []
	const skipped: SkippedTarget[] = []
	for (const target of all) {
		const parsed = agentTargetSchema.safeParse({
			name: target.name,
			host: target.host,
			port: target.port,
			probe: target.probe,
			...(target.path === undefined ? {} : { path: target.path }),
			...(target.expectStatus === undefined ? {} : { expectStatus: target.expectStatus }),
			...(target.tls ? { tls: true } : {}),
		})
		if (!parsed.success) {
			const issue = parsed.error.issues[0]
			skipped.push({
				name: target.name,
				reason: `not a valid agent target: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`,
			})
			continue
		}
		if (agentTargets.length >= AGENT_MAX_TARGETS) {
			skipped.push({ name: target.name, reason: `over the ${AGENT_MAX_TARGETS} targets per check` })
			continue
		}
		targets.push(target)
		agentTargets.push(parsed.data)
	}
	return { targets: capEdgeProbes(targets), agentTargets, skipped }
}

async function probeFromEdge(
	deps: EgressDeps,
	targets: EgressTarget[],
	timeoutMs: number,
): Promise<Map<string, EdgeProbeResult>> {
	const probed = await Promise.all(
		targets
			.filter((t) => t.edge.probe)
			.map(async (t) => [t.name, await deps.edgeProbe.tcp(t.host, t.port, timeoutMs)] as const),
	)
	return new Map(probed)
}

function agentErrorOf(failure: AgentFailure): { code: string; message: string } {
	return { code: failure.code, message: failure.message }
}

function summary(
	observation: MatrixObservation,
	targetCount: number,
	expectations: ReturnType<typeof evaluateExpectations>,
	agentError: { code: string; message: string } | null,
	alerted: boolean,
): string {
	const alert = alerted ? '; alert raised' : ''
	if (agentError) {
		return `agent failed (${agentError.code}): every cell unknown${alert}`
	}
	const count = (o: string) => observation.cells.filter((c) => c.observed === o).length
	const nodes = observation.nodes.filter((n) => !n.missing).length
	const met = expectations.filter((e) => e.status === 'met').length
	const expected = expectations.length > 0 ? `; expectations ${met}/${expectations.length} met` : ''
	return `${nodes} nodes × ${targetCount} targets: ${count('ok')} ok, ${count('failing')} failing, ${count('unknown')} unknown${expected}${alert}`
}
