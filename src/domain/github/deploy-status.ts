/**
 * @module The `tidegate/deploy` commit status: what Flux did with a pushed commit, in one line.
 * Failed when any Kustomization or HelmRelease failed at it (with the class and its hint); applied
 * once a Kustomization reconciled it and nothing failed (with the time from the push). Pure.
 */
import { formatDuration } from '../egress/alerts.ts'
import { FAILURE_HINTS } from '../flux/classify.ts'
import { objectLabel } from '../flux/event.ts'
import { pushToApplied } from '../flux/ledger.ts'
import type { FluxDeploymentRecord } from '../flux/ports.ts'
import type { PostedStatus } from './ports.ts'

/** The commit status context of the deployment's outcome in the cluster. */
export const DEPLOY_CONTEXT = 'tidegate/deploy'

/** The status a deployment calls for, or null while Flux has decided nothing about it yet. */
export function deployStatusOf(deployment: FluxDeploymentRecord): PostedStatus | null {
	const failed = deployment.objects
		.filter((o) => o.outcome === 'failure')
		.sort((a, b) => (a.decidedAt ?? 0) - (b.decidedAt ?? 0))
	const first = failed[0]
	if (first) {
		const failureClass = first.failureClass ?? 'other'
		const more = failed.length > 1 ? ` and ${failed.length - 1} more` : ''
		return {
			state: 'failure',
			description: `${objectLabel(first.ref)}${more} failed (${failureClass}): ${FAILURE_HINTS[failureClass].hint}`,
		}
	}
	const applied = deployment.objects.filter(
		(o) => o.ref.kind === 'Kustomization' && o.outcome === 'success',
	)
	if (applied.length === 0) {
		return null
	}
	const appliedAt = Math.max(...applied.map((o) => o.succeededAt ?? o.decidedAt ?? 0))
	const took = pushToApplied(deployment.pushedAt, appliedAt)
	const objects = applied.map((o) => objectLabel(o.ref)).join(', ')
	return {
		state: 'success',
		description: `applied by Flux${took === null ? '' : ` ${formatDuration(took)} after the push`} (${objects})`,
	}
}
