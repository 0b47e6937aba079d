/** @module Ports of the pre-flight check: results by commit. */
import type { PreflightFinding } from './check.ts'

/** How a pre-flight check of one commit ended (docs/preflight.md). */
export type PreflightStatus =
	/** Every changed manifest was read; no conflict. */
	| 'clean'
	/** At least one conflict (the check may also have been cut off: see `cutOff`). */
	| 'conflicts'
	/** Cut off by the bounds with no conflict in what was read: not a pass. */
	| 'incomplete'
	/** The check could not run (GitHub unreachable, tidegate.yaml invalid at the commit). */
	| 'error'

/** The pre-flight result for one commit, as recorded (D1 `preflight_results`). */
export interface PreflightResult {
	commitSha: string
	deliveryId: string | null
	/** The pushed ref, e.g. `refs/heads/main`. */
	ref: string | null
	status: PreflightStatus
	/** Findings other than invalid YAML. */
	conflictCount: number
	/** Changed YAML files under `ownership.fluxPaths`. */
	filesChanged: number
	/** How many of those were read and checked. */
	filesChecked: number
	/** Why the check did not cover the whole push, when it did not. */
	cutOff: string | null
	findings: PreflightFinding[]
	/** The commit status description posted as `tidegate/preflight`. */
	summary: string
	error: string | null
	checkedAt: number
}

/**
 * Pre-flight results by commit (D1). `forCommit` is the read port for the Flux ledger: a Helm
 * ownership failure at revision `main@sha1:<sha>` links to `forCommit(<sha>)`.
 */
export interface PreflightStore {
	/** Inserts or replaces the result for its commit (one row per commit). */
	record(result: PreflightResult): Promise<void>
	forCommit(commitSha: string): Promise<PreflightResult | undefined>
}
