/**
 * @module The link between a deployment and the pre-flight check of the same commit: did the
 * check run, what did it find, and — when Flux then failed on a Helm ownership conflict — would
 * it have caught it (it found conflicts) or not (it passed, or was never run)?
 */
import type { FluxDeploymentRecord } from '../../domain/flux/ports.ts'
import type { PreflightStatus, PreflightStore } from '../../domain/preflight/ports.ts'

/** The pre-flight side of a deployment. */
export interface PreflightLink {
	status: PreflightStatus | 'not-run'
	conflictCount: number
	summary: string | null
	checkedAt: number | null
	/** Only when an object of this deployment failed on an ownership conflict: true if the check flagged conflicts. */
	caughtOwnershipFailure: boolean | null
}

/** Looks up the pre-flight result of each deployment's commit (null without a commit). */
export async function preflightLinks(
	store: PreflightStore,
	deployments: FluxDeploymentRecord[],
): Promise<Map<number, PreflightLink | null>> {
	const links = new Map<number, PreflightLink | null>()
	await Promise.all(
		deployments.map(async (d) => {
			if (!d.commitSha) {
				links.set(d.id, null)
				return
			}
			const result = await store.forCommit(d.commitSha)
			const ownershipFailure = d.objects.some((o) => o.failureClass === 'helm-ownership-conflict')
			links.set(d.id, {
				status: result?.status ?? 'not-run',
				conflictCount: result?.conflictCount ?? 0,
				summary: result?.summary ?? null,
				checkedAt: result?.checkedAt ?? null,
				caughtOwnershipFailure: ownershipFailure ? result?.status === 'conflicts' : null,
			})
		}),
	)
	return links
}
