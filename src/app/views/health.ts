/**
 * @module "Is everything fine?" in one answer, shared by the dashboard's banner and
 * `GET /api/status` so the two never disagree: edge sync, egress expectations and Flux objects,
 * worst first.
 */
import type { ExpectationResult } from '../../domain/egress/expectations.ts'
import type { FluxObjectState } from '../../domain/flux/ledger.ts'
import type { DeadLetterSummary } from '../../domain/ports.ts'
import type { Deps } from '../deps.ts'
import { type EdgeStatus, edgeStatus } from '../edge/status.ts'
import { egressView } from '../egress/view.ts'

/** The worst state found: `unknown` only when nothing has been reconciled yet and nothing is wrong. */
export type HealthState = 'ok' | 'warn' | 'bad' | 'unknown'

/** The overall state and, worst first, every line that is not fine. */
export interface Health {
	state: HealthState
	problems: string[]
}

/** Everything that is not fine, worst first; the state is the worst one. */
export function healthOf(
	status: EdgeStatus,
	expectations: Pick<ExpectationResult, 'status' | 'text'>[],
	failingFlux: Pick<FluxObjectState, 'ref' | 'failureClass'>[],
	undeliveredAlerts: DeadLetterSummary = { count: 0, newest: undefined },
): Health {
	const bad: string[] = []
	const warn: string[] = []
	if (undeliveredAlerts.count > 0) {
		bad.push(
			`Alerts: ${undeliveredAlerts.count} could not be delivered and are kept as dead letters${undeliveredAlerts.newest ? ` (newest, ${new Date(undeliveredAlerts.newest.receivedAt).toISOString()}: ${undeliveredAlerts.newest.reason})` : ''}.`,
		)
	}
	if (status.suspended) {
		warn.push('Syncing is suspended: changes are planned and recorded, nothing is written.')
	}
	for (const r of status.resources) {
		if (r.connectors === 0) {
			bad.push(
				'No cloudflared connector is connected to the tunnel: nothing it routes is reachable.',
			)
		}
		if (r.state === 'failing') {
			bad.push(`Edge sync, ${r.kind}: ${r.detail}`)
		} else if (r.state === 'drifted') {
			warn.push(`Edge sync, ${r.kind}: ${r.detail}`)
		}
	}
	if (status.lastRun && (status.lastRun.status === 'failed' || status.lastRun.status === 'dead')) {
		bad.push(`The last run failed: ${status.lastRun.errorMessage ?? status.lastRun.status}`)
	}
	for (const e of expectations.filter((x) => x.status === 'unmet')) {
		bad.push(`Egress: ${e.text}`)
	}
	for (const o of failingFlux) {
		bad.push(
			`Flux: ${o.ref.kind}/${o.ref.namespace}/${o.ref.name} is failing${o.failureClass ? ` (${o.failureClass})` : ''}`,
		)
	}
	if (bad.length > 0) {
		return { state: 'bad', problems: [...bad, ...warn] }
	}
	if (warn.length > 0) {
		return { state: 'warn', problems: warn }
	}
	if (status.resources.length === 0) {
		return { state: 'unknown', problems: ['No reconcile has run yet.'] }
	}
	return { state: 'ok', problems: [] }
}

/** `GET /api/status`: the edge status, the overall health and one line each on egress and Flux. */
export interface StatusReport {
	status: EdgeStatus
	health: Health
	egress: {
		/** When the newest check started (null before the first). */
		checkedAt: number | null
		expectations: Record<ExpectationResult['status'], number>
		openOutages: number
	}
	flux: { failing: Pick<FluxObjectState, 'ref' | 'failureClass' | 'failingSince'>[] }
	/** Alerts that never reached ALERT_WEBHOOK_URL (dead letters of kind `alert`). */
	alerts: { undelivered: DeadLetterSummary }
}

/** How many failing Flux objects the status lists (the dashboard shows the same). */
export const FAILING_FLUX_SHOWN = 20

/** Gathers the status report. */
export async function statusReport(
	deps: Parameters<typeof edgeStatus>[0] & Pick<Deps, 'egress' | 'fluxLedger'>,
): Promise<StatusReport> {
	const [status, egress, failing, undelivered] = await Promise.all([
		edgeStatus(deps),
		egressView(deps, { limit: 0 }),
		deps.fluxLedger.listObjects({ state: 'failing', limit: FAILING_FLUX_SHOWN }),
		deps.deadLetters.ofKind('alert'),
	])
	const expectations = { met: 0, unmet: 0, unknown: 0 }
	for (const e of egress.expectations) {
		expectations[e.status]++
	}
	return {
		status,
		health: healthOf(status, egress.expectations, failing, undelivered),
		alerts: { undelivered },
		egress: {
			checkedAt: (egress.check ?? egress.lastAttempt)?.startedAt ?? null,
			expectations,
			openOutages: egress.openOutages.length,
		},
		flux: {
			failing: failing.map((o) => ({
				ref: o.ref,
				failureClass: o.failureClass,
				failingSince: o.failingSince,
			})),
		},
	}
}
