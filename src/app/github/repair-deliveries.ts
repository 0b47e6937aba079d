/**
 * @module Missed-delivery repair. GitHub never retries a failed delivery, so a push that arrived
 * while tidegate (or the network) was down would be lost until the next drift check. On cron,
 * tidegate reads the hook's recent deliveries and asks for a redelivery of each one that failed
 * and was never handled — once per delivery, a bounded number per run.
 */
import { GITHUB_PERMISSIONS } from '../../domain/github/ports.ts'
import type { Deps } from '../deps.ts'
import type { JobResult } from '../ops/jobs.ts'
import { alertOnTokenRefused, noteTokenWorked } from '../ops/run-alerts.ts'

/** GitHub keeps deliveries for redelivery for three days (github.com). */
export const REDELIVERY_WINDOW_MS = 3 * 24 * 60 * 60 * 1000
/** At most this many redeliveries are requested per run, to stay well inside API budgets. */
export const MAX_REDELIVERIES_PER_RUN = 10
const PAGE = 100

/** Finds failed, unhandled deliveries and requests their redelivery. */
export async function repairMissedDeliveries(
	deps: Pick<
		Deps,
		| 'repository'
		| 'deliveries'
		| 'now'
		| 'missingConfig'
		| 'alertTracks'
		| 'alerts'
		| 'jobs'
		| 'deadLetters'
		| 'log'
		| 'publicUrl'
	>,
): Promise<JobResult> {
	if (deps.missingConfig.some((m) => m.name === 'GITHUB_TOKEN' || m.name === 'GITHUB_REPOSITORY')) {
		return { outcome: 'skipped', detail: 'not configured: GITHUB_TOKEN, GITHUB_REPOSITORY' }
	}
	const hookId = await deps.deliveries.latestHookId()
	if (!hookId) {
		return {
			outcome: 'skipped',
			detail: 'no webhook delivery has arrived yet, so the hook id is unknown',
		}
	}
	const listed = await deps.repository.listHookDeliveries(hookId, PAGE)
	const doing = `listing the webhook's deliveries to repair missed ones`
	if (!listed.ok) {
		if (listed.error.kind === 'auth') {
			await alertOnTokenRefused(deps, listed.error.message, doing)
		}
		throw new Error(`could not list deliveries of hook ${hookId}: ${listed.error.message}`)
	}
	await noteTokenWorked(deps, 'GITHUB_TOKEN', [GITHUB_PERMISSIONS.webhooks], doing)
	const since = deps.now() - REDELIVERY_WINDOW_MS
	const byGuid = new Map<string, { latest: (typeof listed.value)[number]; delivered: boolean }>()
	for (const attempt of listed.value) {
		if (attempt.deliveredAt < since) {
			continue
		}
		const seen = byGuid.get(attempt.guid)
		const delivered = attempt.statusCode >= 200 && attempt.statusCode < 300
		if (!seen) {
			byGuid.set(attempt.guid, { latest: attempt, delivered })
		} else {
			seen.delivered ||= delivered
			if (attempt.deliveredAt > seen.latest.deliveredAt) {
				seen.latest = attempt
			}
		}
	}
	const failed = [...byGuid.entries()].filter(([, g]) => !g.delivered).map(([guid]) => guid)
	const handled = await deps.deliveries.handled(failed)
	const requested = await deps.deliveries.redeliveryRequested(failed)
	const todo = failed.filter((guid) => !handled.has(guid) && !requested.has(guid))
	let asked = 0
	for (const guid of todo.slice(0, MAX_REDELIVERIES_PER_RUN)) {
		const attempt = byGuid.get(guid)?.latest
		if (!attempt) {
			continue
		}
		const result = await deps.repository.redeliver(hookId, attempt.id)
		await deps.deliveries.recordRedelivery({
			guid,
			attemptId: attempt.id,
			event: attempt.event,
			failedStatusCode: attempt.statusCode,
			requestedAt: deps.now(),
			outcome: result.ok ? 'requested' : `failed: ${result.error.message}`,
		})
		if (result.ok) {
			asked++
		}
	}
	const left = Math.max(0, todo.length - MAX_REDELIVERIES_PER_RUN)
	return {
		outcome: 'ok',
		detail: `${failed.length} failed deliveries in the last 3 days, ${todo.length} never handled; redelivery requested for ${asked}${left > 0 ? `, ${left} left for the next run` : ''}`,
	}
}
