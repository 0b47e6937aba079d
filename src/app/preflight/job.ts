/**
 * @module The pre-flight check of a push (docs/preflight.md): queued at intake for every push to
 * the tracked branch; the consumer reads `tidegate.yaml` at the pushed commit, and when it has an
 * `ownership` section, reads the manifests the push changed under `fluxPaths` (bounded), checks
 * them, records the result and posts the `tidegate/preflight` commit status. Nothing is written
 * to Cloudflare. A check cut off by the bounds is never reported as a pass.
 */
import { jobMessage, type PreflightMessage } from '../../contracts/queue.ts'
import { loadDesiredState } from '../../domain/desired-state/load.ts'
import type { OwnershipConfig } from '../../domain/desired-state/model.ts'
import { formatDiagnostic } from '../../domain/diagnostics.ts'
import type { ChangedFile, CommitStatus } from '../../domain/github/ports.ts'
import type { ApiFailure } from '../../domain/ports.ts'
import {
	checkManifests,
	countFindings,
	describeResource,
	manifestPathFilter,
	type PreflightFinding,
} from '../../domain/preflight/check.ts'
import type { ManifestFile } from '../../domain/preflight/manifests.ts'
import type { PreflightResult } from '../../domain/preflight/ports.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import type { PushPayload } from '../../webhooks/github.ts'
import type { Deps } from '../deps.ts'
import { alertOnTokenRefused } from '../ops/run-alerts.ts'
import { type JobOutcome, retryDelaySeconds, retryWhileAttemptsRemain } from '../retry.ts'

/** The commit status context of the check. */
export const PREFLIGHT_CONTEXT = 'tidegate/preflight'

/**
 * What one push's check may read through the GitHub API. A Worker invocation has a bounded number
 * of subrequests and memory; a push beyond these is checked in part and says so on the commit.
 */
export const PREFLIGHT_LIMITS = {
	/** Changed manifests read per push (one contents request each). */
	maxFiles: 100,
	/** Per file; a larger manifest is not read. */
	maxFileBytes: 256 * 1024,
	/** All files of one push together. */
	maxTotalBytes: 4 * 1024 * 1024,
} as const

/** After this many attempts a retryable failure is reported on the commit instead of retried. */
export const PREFLIGHT_MAX_ATTEMPTS = 5

const ZERO_SHA = '0'.repeat(40)

/** The message that queues the check of a push to the tracked branch; whether `ownership` is configured is decided at that commit. */
export function preflightMessage(deliveryId: string, push: PushPayload): PreflightMessage {
	return jobMessage('preflight', {
		deliveryId,
		ref: push.ref,
		commitSha: push.after,
		beforeSha: push.before === ZERO_SHA ? null : push.before,
	})
}

/** A failure that ends the check without a verdict. */
export interface Stop {
	failure: ApiFailure
	what: string
}

/** Runs one `preflight` message. */
export async function preflightJob(
	deps: Deps,
	message: PreflightMessage,
	attempts: number,
): Promise<JobOutcome> {
	const sha = message.commitSha
	const existing = await deps.preflight.forCommit(sha)
	if (existing && existing.deliveryId === message.deliveryId && existing.status !== 'error') {
		// Checked already (a redelivered message, or a retry because the status did not post): post again.
		deps.log.log('info', 'preflight.already_checked', { commitSha: sha, status: existing.status })
		return postResult(deps, message, attempts, existing, { mayRetry: true })
	}
	const config = await loadOwnership(deps, sha)
	if (!config.ok) {
		return stopped(deps, message, attempts, config.error)
	}
	if (config.value.kind === 'skip') {
		deps.log.log('info', 'preflight.skipped', { commitSha: sha, reason: config.value.reason })
		return { retry: false }
	}
	if (config.value.kind === 'invalid') {
		const summary = `not run: ${deps.source.path} is invalid at this commit (${config.value.first})`
		return finish(deps, message, attempts, {
			...emptyResult(message, deps.now()),
			status: 'error',
			summary,
			error: summary,
		})
	}
	const ownership = config.value.ownership
	const checked = await checkPush(deps, message, ownership)
	if (!checked.ok) {
		return stopped(deps, message, attempts, checked.error)
	}
	return finish(deps, message, attempts, checked.value)
}

type OwnershipAtCommit =
	| { kind: 'check'; ownership: OwnershipConfig }
	| { kind: 'skip'; reason: string }
	| { kind: 'invalid'; first: string }

/** tidegate.yaml at the commit (through the content-addressed cache the reconcile also uses). */
async function loadOwnership(deps: Deps, sha: string): Promise<Result<OwnershipAtCommit, Stop>> {
	const path = deps.source.path
	const read = await readConfigText(deps, sha)
	if (!read.ok) {
		return read
	}
	const text = read.value
	if (text === null) {
		return ok({ kind: 'skip', reason: `${path} does not exist at this commit` })
	}
	const loaded = loadDesiredState(text)
	if (!loaded.ok) {
		// Only a file that asks for the check hears that it could not run; others stay silent.
		if (!asksForOwnership(text)) {
			return ok({ kind: 'skip', reason: `${path} is invalid and has no ownership section` })
		}
		const first = loaded.error.find((d) => d.severity === 'error')
		return ok({ kind: 'invalid', first: first ? formatDiagnostic(path, first) : 'unknown error' })
	}
	const ownership = loaded.value.state.ownership
	return ownership
		? ok({ kind: 'check', ownership })
		: ok({ kind: 'skip', reason: `${path} has no ownership section` })
}

/** Whether a file (valid or not) has an `ownership` section, i.e. asks for the check. */
export function asksForOwnership(text: string): boolean {
	return /^ownership\s*:/m.test(text)
}

/** tidegate.yaml's text at a commit, through the commit-addressed cache; null when it does not exist there. */
export async function readConfigText(
	deps: Pick<Deps, 'source' | 'fileCache' | 'repository'>,
	sha: string,
): Promise<Result<string | null, Stop>> {
	const path = deps.source.path
	const cached = await deps.fileCache.get(sha, path)
	if (cached !== null) {
		return ok(cached)
	}
	const file = await deps.repository.readFile(path, sha)
	if (!file.ok) {
		return err({ failure: file.error, what: `reading ${path}` })
	}
	if (file.value !== null) {
		await deps.fileCache.put(sha, path, file.value)
	}
	return ok(file.value)
}

/** Lists the push's changed manifests, reads them within the bounds, and checks them. */
async function checkPush(
	deps: Deps,
	message: PreflightMessage,
	ownership: OwnershipConfig,
): Promise<Result<PreflightResult, Stop>> {
	const sha = message.commitSha
	const cutOff: CutOff[] = []
	let changed = await deps.repository.changedFiles(message.beforeSha, sha)
	if (!changed.ok && changed.error.kind === 'not_found' && message.beforeSha !== null) {
		// A force push can leave `before` unknown to GitHub; the head commit's own changes are all we can list.
		cutOff.push({
			long: `GitHub could not compare with the previous head ${message.beforeSha.slice(0, 7)}; only the changes of ${sha.slice(0, 7)} itself were checked`,
			short: 'previous head unknown, only the last commit was checked',
		})
		changed = await deps.repository.changedFiles(null, sha)
	}
	if (!changed.ok) {
		return err({ failure: changed.error, what: 'listing the changed files' })
	}
	if (changed.value.truncated) {
		cutOff.push({
			long: `GitHub lists at most ${changed.value.files.length} changed files and this push may have changed more; the rest were not checked`,
			short: `over ${changed.value.files.length} files changed`,
		})
	}
	const checked = await checkChangedFiles(deps, sha, changed.value.files, ownership, cutOff)
	return checked.ok ? ok({ ...emptyResult(message, deps.now()), ...checked.value }) : checked
}

/** Something the check left out: the long text for the record, the short one for the status. */
export interface CutOff {
	long: string
	short: string
}

/** A check's verdict and what it covered, before it is tied to a push or a pull request. */
export type ChangesChecked = Pick<
	PreflightResult,
	'status' | 'conflictCount' | 'filesChanged' | 'filesChecked' | 'cutOff' | 'findings' | 'summary'
>

/**
 * Reads the changed YAML files under `fluxPaths` at `sha` within PREFLIGHT_LIMITS and checks
 * them; `cutOff` says what the listing already left out. A check cut off is never `clean`.
 */
export async function checkChangedFiles(
	deps: Pick<Deps, 'repository'>,
	sha: string,
	changed: readonly ChangedFile[],
	ownership: OwnershipConfig,
	listingCutOff: readonly CutOff[] = [],
): Promise<Result<ChangesChecked, Stop>> {
	const cutOff = [...listingCutOff]
	const accept = manifestPathFilter(ownership)
	const paths = [
		...new Set(changed.filter((f) => f.status !== 'removed' && accept(f.path)).map((f) => f.path)),
	].sort()
	const files: ManifestFile[] = []
	const tooLarge: string[] = []
	let totalBytes = 0
	let overTotal = 0
	for (const [index, path] of paths.entries()) {
		if (index >= PREFLIGHT_LIMITS.maxFiles) {
			const rest = paths.length - index
			cutOff.push({
				long: `${rest} of ${paths.length} changed manifests were not checked: the limit is ${PREFLIGHT_LIMITS.maxFiles} files per check`,
				short: `${rest} manifests over the ${PREFLIGHT_LIMITS.maxFiles}-file limit not checked`,
			})
			break
		}
		if (overTotal > 0) {
			overTotal += 1
			continue
		}
		const read = await deps.repository.readFileBounded(path, sha, PREFLIGHT_LIMITS.maxFileBytes)
		if (!read.ok) {
			return err({ failure: read.error, what: `reading ${path}` })
		}
		if (read.value === null) {
			// Listed as changed but absent at the commit (a race with GitHub's caches); nothing to check.
			continue
		}
		if ('tooLarge' in read.value) {
			tooLarge.push(path)
			continue
		}
		if (totalBytes + read.value.bytes > PREFLIGHT_LIMITS.maxTotalBytes) {
			overTotal = 1
			continue
		}
		totalBytes += read.value.bytes
		files.push({ path, text: read.value.text })
	}
	if (overTotal > 0) {
		cutOff.push({
			long: `${overTotal} changed manifests were not checked: together the files exceed ${mib(PREFLIGHT_LIMITS.maxTotalBytes)} per check`,
			short: `${overTotal} manifests over the ${mib(PREFLIGHT_LIMITS.maxTotalBytes)} total not checked`,
		})
	}
	if (tooLarge.length > 0) {
		cutOff.push({
			long: `${tooLarge.join(', ')} ${tooLarge.length === 1 ? 'is' : 'are'} over the ${PREFLIGHT_LIMITS.maxFileBytes / 1024} KiB per-file limit and ${tooLarge.length === 1 ? 'was' : 'were'} not checked`,
			short: `${tooLarge[0]}${tooLarge.length > 1 ? ` and ${tooLarge.length - 1} more` : ''} over ${PREFLIGHT_LIMITS.maxFileBytes / 1024} KiB not checked`,
		})
	}
	const report = checkManifests(files, ownership)
	const findings = report.findings
	const conflicts = findings.filter((f) => f.class !== 'invalid-yaml').length
	const status: PreflightResult['status'] =
		findings.length > 0 ? 'conflicts' : cutOff.length > 0 ? 'incomplete' : 'clean'
	return ok({
		status,
		conflictCount: conflicts,
		filesChanged: paths.length,
		filesChecked: files.length,
		cutOff: cutOff.length > 0 ? cutOff.map((c) => c.long).join('; ') : null,
		findings,
		summary: describeOutcome(status, findings, files.length, paths.length, cutOff),
	})
}

function mib(bytes: number): string {
	return `${bytes / (1024 * 1024)} MiB`
}

/** The commit status description: the verdict first, since GitHub shows only 140 characters. */
function describeOutcome(
	status: PreflightResult['status'],
	findings: readonly PreflightFinding[],
	checked: number,
	changed: number,
	cutOff: readonly { short: string }[],
): string {
	const manifests = (n: number) => `${n} changed manifest${n === 1 ? '' : 's'}`
	switch (status) {
		case 'clean':
			return changed === 0
				? 'no manifests under ownership.fluxPaths changed'
				: `no ownership conflicts in ${manifests(changed)}`
		case 'incomplete':
			return `not fully checked (${cutOff.map((c) => c.short).join('; ')}); no conflicts in the ${checked} read`
		default: {
			const first = findings[0] as PreflightFinding
			return `${countFindings(findings)}${cutOff.length > 0 ? ' (partial check)' : ''}; first: ${first.file}:${first.line} ${shortFinding(first)}`
		}
	}
}

function shortFinding(finding: PreflightFinding): string {
	const what = finding.resource ? describeResource(finding.resource) : ''
	switch (finding.class) {
		case 'reserved-kind':
		case 'reserved-namespace':
		case 'reserved-name':
			return `${what} is reserved for ${finding.owner}`
		case 'reserved-target-namespace':
			return `${what} targets a namespace reserved for ${finding.owner}`
		case 'release-collision':
			return `${what} makes the same Helm release as ${finding.owner}`
		case 'release-ownership':
			return `${what} is annotated for another Helm release than ${finding.owner}`
		case 'values-rule':
			return `${what} breaks ${finding.owner}`
		case 'invalid-yaml':
			return 'invalid YAML'
	}
}

function emptyResult(message: PreflightMessage, at: number): PreflightResult {
	return {
		commitSha: message.commitSha,
		deliveryId: message.deliveryId,
		ref: message.ref,
		status: 'error',
		conflictCount: 0,
		filesChanged: 0,
		filesChecked: 0,
		cutOff: null,
		findings: [],
		summary: '',
		error: null,
		checkedAt: at,
	}
}

/** A failure: retried with backoff while attempts remain, then reported on the commit as an error. */
async function stopped(
	deps: Deps,
	message: PreflightMessage,
	attempts: number,
	stop: Stop,
): Promise<JobOutcome> {
	const { failure } = stop
	const retry = await retryOrAlert(deps, stop, attempts, {
		maxAttempts: PREFLIGHT_MAX_ATTEMPTS,
		doing: `pre-flighting ${message.commitSha.slice(0, 7)}`,
		event: 'preflight.retry',
		fields: { commitSha: message.commitSha },
	})
	if (retry) {
		return retry
	}
	const error = `${stop.what}: ${failure.message}${failure.retryable ? ` (gave up after ${attempts} attempts)` : ''}`
	return finish(
		deps,
		message,
		attempts,
		{
			...emptyResult(message, deps.now()),
			status: 'error',
			summary: `not run: GitHub failed while ${error}`,
			error,
		},
		{ mayRetry: false },
	)
}

/**
 * What a GitHub job does first with a failure: a refused token is alerted; one that may pass is
 * retried with backoff (or after Retry-After) while attempts remain. Undefined: report it now.
 */
export async function retryOrAlert(
	deps: Parameters<typeof alertOnTokenRefused>[0],
	stop: Stop,
	attempts: number,
	options: { maxAttempts: number; doing: string; event: string; fields: Record<string, unknown> },
): Promise<JobOutcome | undefined> {
	const { failure } = stop
	if (failure.kind === 'auth') {
		await alertOnTokenRefused(deps, failure.message, options.doing)
	}
	if (!failure.retryable || attempts >= options.maxAttempts) {
		return undefined
	}
	const delaySeconds = retryDelaySeconds(attempts, failure.retryAfterSeconds)
	deps.log.log('warn', options.event, {
		...options.fields,
		attempts,
		delaySeconds,
		error: failure.message,
	})
	return { retry: true, delaySeconds }
}

/** Records the result, then posts it on the commit. */
async function finish(
	deps: Deps,
	message: PreflightMessage,
	attempts: number,
	result: PreflightResult,
	options: { mayRetry: boolean } = { mayRetry: true },
): Promise<JobOutcome> {
	await deps.preflight.record(result)
	deps.log.log(result.status === 'error' ? 'warn' : 'info', 'preflight.finished', {
		commitSha: result.commitSha,
		status: result.status,
		findings: result.findings.length,
		filesChanged: result.filesChanged,
		filesChecked: result.filesChecked,
		cutOff: result.cutOff,
	})
	return postResult(deps, message, attempts, result, options)
}

/** Posts a recorded result as the `tidegate/preflight` status; a status GitHub refuses for now is retried. */
async function postResult(
	deps: Deps,
	message: PreflightMessage,
	attempts: number,
	result: PreflightResult,
	options: { mayRetry: boolean },
): Promise<JobOutcome> {
	const status: CommitStatus = {
		state:
			result.status === 'clean' ? 'success' : result.status === 'conflicts' ? 'failure' : 'error',
		context: PREFLIGHT_CONTEXT,
		description: result.summary,
	}
	const posted = await deps.repository.postStatus(message.commitSha, status)
	if (!posted.ok) {
		deps.log.log('warn', 'github.status_failed', {
			commitSha: message.commitSha,
			context: PREFLIGHT_CONTEXT,
			error: posted.error.message,
		})
		// The status is this check's whole output on GitHub; worth another try while attempts remain.
		if (options.mayRetry) {
			return retryWhileAttemptsRemain(posted.error, attempts, PREFLIGHT_MAX_ATTEMPTS)
		}
	}
	return { retry: false }
}
