/**
 * @module After a merge: did the push run apply what the pull request showed? The merge of a
 * checked head is recorded at intake; the run of the merge commit compares what it planned with
 * the plan on the pull request and says so in its `tidegate/edge-sync` status when they differ
 * (the edge, or the branch, changed in between).
 */
import type { Deps } from '../deps.ts'
import type { RunResult } from '../edge/reconcile.ts'
import { planFingerprint } from './edge-preview.ts'

/** A note for the merge commit's status when its run planned otherwise than its pull request; else null. */
export async function pullRequestPlanNote(
	deps: Pick<Deps, 'pullRequestChecks'>,
	result: RunResult,
): Promise<string | null> {
	const fingerprint = planFingerprint(result.plan)
	if (!result.commitSha || fingerprint === null) {
		return null
	}
	const check = await deps.pullRequestChecks.forMergeCommit(result.commitSha)
	if (!check?.planFingerprint || check.planFingerprint === fingerprint) {
		return null
	}
	return `not the plan shown on #${check.number} (the edge or the branch changed since)`
}
