/**
 * @module Run alerts in the Worker: feeds what a finished run, a dead letter or a refused token
 * says into the damped alert states (src/domain/edge/run-alerts.ts) and queues an alert on a
 * confirmed change. Never throws: an alert that cannot be decided is logged, the work goes on.
 */

import { isPlan } from '../../domain/edge/plan.ts'
import {
	type AlertObservation,
	type EndedRun,
	runObservations,
	stepAlert,
	tokenObservation,
	tokenWorked,
} from '../../domain/edge/run-alerts.ts'
import type { Run } from '../../domain/edge/runs.ts'
import type { Deps } from '../deps.ts'
import type { RunResult } from '../edge/reconcile.ts'
import { raiseAlert } from './alerts.ts'

type AlertDeps = Pick<
	Deps,
	'alertTracks' | 'alerts' | 'jobs' | 'log' | 'now' | 'publicUrl' | 'deadLetters'
>

/** A write lost to a concurrent writer (the dead-letter consumer) is re-read and re-decided. */
const WRITE_ATTEMPTS = 3

/** Raises what a finished run confirms: refused plan, failed or dead run, overwritten hand edit, connectors, tokens. */
export async function alertOnRunEnd(deps: AlertDeps, run: EndedRun): Promise<void> {
	if (run.dryRun) {
		return
	}
	await safely(deps, 'run', async () => {
		const failingTokens = await deps.alertTracks.failing('token:')
		await observeAll(deps, runObservations(run, failingTokens, deps.publicUrl))
	})
}

/** Raises what a run that finished in the consumer confirms. */
export function alertOnRunResult(deps: AlertDeps, run: Run, result: RunResult): Promise<void> {
	return alertOnRunEnd(deps, {
		id: run.id,
		trigger: run.trigger,
		dryRun: run.dryRun,
		status: result.status,
		commitSha: result.commitSha ?? null,
		plan: result.plan,
		errorCode: result.status === 'failed' ? result.errorCode : null,
		errorMessage: result.status === 'failed' ? result.errorMessage : null,
		warnings: result.warnings,
	})
}

/** Raises a run whose message was dead-lettered (its retries spent). */
export function alertOnDeadRun(deps: AlertDeps, run: Run, reason: string): Promise<void> {
	return alertOnRunEnd(deps, {
		id: run.id,
		trigger: run.trigger,
		dryRun: run.dryRun,
		status: 'dead',
		commitSha: run.commitSha,
		plan: isPlan(run.plan) ? run.plan : undefined,
		errorCode: 'dead_letter',
		errorMessage: reason,
		warnings: run.warnings,
	})
}

/** Raises a token refusal (an `auth` failure naming its token and permission) once per change. */
export async function alertOnTokenRefused(
	deps: AlertDeps,
	message: string,
	doing: string,
): Promise<void> {
	const observation = tokenObservation(message, doing)
	if (observation) {
		await safely(deps, 'token', () => observeAll(deps, [observation]))
	}
}

/** Records that a token worked for these permissions (a refusal of one of them recovers). */
export async function noteTokenWorked(
	deps: AlertDeps,
	name: string,
	permissions: readonly string[],
	doing: string,
): Promise<void> {
	await safely(deps, 'token', () => observeAll(deps, [tokenWorked(name, permissions, doing)]))
}

async function observeAll(deps: AlertDeps, observations: AlertObservation[]): Promise<void> {
	for (const observation of observations) {
		for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
			const previous = await deps.alertTracks.get(observation.key)
			const at = deps.now()
			const { next, text } = stepAlert(previous, observation, at)
			if (previous && JSON.stringify(next) === JSON.stringify(withoutVersion(previous))) {
				break
			}
			if (!(await deps.alertTracks.put(observation.key, next, previous?.version ?? 0, at))) {
				continue
			}
			if (text) {
				await raiseAlert(deps, 'edge', text)
			}
			break
		}
	}
}

function withoutVersion<T extends { version: number }>(state: T): Omit<T, 'version'> {
	const { version: _version, ...rest } = state
	return rest
}

async function safely(deps: AlertDeps, what: string, work: () => Promise<void>): Promise<void> {
	try {
		await work()
	} catch (e) {
		deps.log.log('error', 'alert.not_decided', {
			what,
			error: e instanceof Error ? e.message : String(e),
		})
	}
}
