/**
 * @module The check of a pull request that targets the tracked branch (docs/preflight.md, "On pull
 * requests"): at the pull request's current head, validate tidegate.yaml, plan it against the live
 * edge with reads only (the same rails: a refused plan fails the check), run the ownership
 * pre-flight over the changed manifests, then report as the `tidegate/edge-plan` and
 * `tidegate/preflight` commit statuses and one comment, edited in place on every push.
 * The job is handed the edge's reads and nothing that writes to Cloudflare.
 */
import type { PullRequestMessage } from '../../contracts/queue.ts'
import { loadDesiredState } from '../../domain/desired-state/load.ts'
import type { DesiredState } from '../../domain/desired-state/model.ts'
import { formatDiagnostic } from '../../domain/diagnostics.ts'
import type { DnsApi } from '../../domain/edge/ports.ts'
import {
	type CheckVerdict,
	type CommitStatus,
	GITHUB_PERMISSIONS,
	type PullRequestCheck,
	type PullRequestInfo,
} from '../../domain/github/ports.ts'
import {
	COMMENT_MARKER,
	EDGE_PLAN_CONTEXT,
	renderComment,
} from '../../domain/github/pull-request-report.ts'
import type { ApiFailure } from '../../domain/ports.ts'
import type { PreflightStatus } from '../../domain/preflight/ports.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import type { Deps } from '../deps.ts'
import { alertOnTokenRefused, noteTokenWorked } from '../ops/run-alerts.ts'
import {
	type CutOff,
	checkChangedFiles,
	PREFLIGHT_CONTEXT,
	readConfigText,
	retryOrAlert,
	type Stop,
} from '../preflight/job.ts'
import { type JobOutcome, retryWhileAttemptsRemain } from '../retry.ts'
import { type EdgeReads, previewEdgePlan } from './edge-preview.ts'

/** After this many attempts a retryable failure is reported on the pull request instead of retried. */
export const PULL_REQUEST_MAX_ATTEMPTS = 5

/** Changed files listed per head (3 pages); a pull request changing more is checked in part, and says so. */
export const PULL_REQUEST_MAX_FILES = 300

/** Comments scanned for tidegate's own when its id is not known. */
const COMMENTS_SCANNED = 300

/** What the job may use: the edge only through its reads. */
export type PullRequestDeps = Pick<
	Deps,
	| 'now'
	| 'log'
	| 'source'
	| 'repositoryName'
	| 'publicUrl'
	| 'repository'
	| 'pullRequests'
	| 'fileCache'
	| 'settings'
	| 'pullRequestChecks'
	| 'planForkPullRequests'
	| 'alerts'
	| 'jobs'
	| 'alertTracks'
	| 'deadLetters'
> & { edge: EdgeReads }

/** The job's dependencies out of the Worker's: every Cloudflare writer left behind. */
export function pullRequestDeps(deps: Deps): PullRequestDeps {
	return {
		now: deps.now,
		log: deps.log,
		source: deps.source,
		repositoryName: deps.repositoryName,
		publicUrl: deps.publicUrl,
		repository: deps.repository,
		pullRequests: deps.pullRequests,
		fileCache: deps.fileCache,
		settings: deps.settings,
		pullRequestChecks: deps.pullRequestChecks,
		planForkPullRequests: deps.planForkPullRequests,
		alerts: deps.alerts,
		jobs: deps.jobs,
		alertTracks: deps.alertTracks,
		deadLetters: deps.deadLetters,
		edge: {
			tunnelApi: {
				getConfig: (ref) => deps.tunnelApi.getConfig(ref),
				getConnectors: (ref) => deps.tunnelApi.getConnectors(ref),
			},
			splitTunnelApi: { get: (ref) => deps.splitTunnelApi.get(ref) },
			dnsApi: dnsReads(deps.dnsApi),
			routesApi: { list: (accountId) => deps.routesApi.list(accountId) },
			applications: {
				history: (resource) => deps.applications.history(resource),
				lastOwner: () => deps.applications.lastOwner(),
			},
			pinnedOwner: deps.pinnedOwner,
		},
	}
}

/** Runs one `pull_request` message. */
export async function pullRequestJob(
	deps: PullRequestDeps,
	message: PullRequestMessage,
	attempts: number,
): Promise<JobOutcome> {
	const read = await deps.pullRequests.get(message.number)
	if (!read.ok) {
		return stopped(deps, message, attempts, {
			failure: read.error,
			what: `reading pull request #${message.number}`,
		})
	}
	const pull = read.value
	const skipped = whySkipped(deps, pull, message)
	if (skipped) {
		deps.log.log('info', 'pull_request.skipped', { number: pull.number, reason: skipped })
		return { retry: false }
	}
	const existing = await deps.pullRequestChecks.find(pull.number, pull.headSha)
	if (existing && existing.deliveryId === message.deliveryId) {
		// Checked already (a retry because GitHub refused a status or the comment for now): report again.
		return report(deps, existing, attempts)
	}
	const checked = await checkHead(deps, message, pull)
	if (!checked.ok) {
		return stopped(deps, message, attempts, checked.error)
	}
	await deps.pullRequestChecks.record(checked.value)
	deps.log.log('info', 'pull_request.checked', {
		number: pull.number,
		headSha: pull.headSha,
		edge: checked.value.edge.state,
		preflight: checked.value.preflight.state,
	})
	return report(deps, checked.value, attempts)
}

/** Why the message asks for nothing now, or undefined. */
function whySkipped(
	deps: PullRequestDeps,
	pull: PullRequestInfo,
	message: PullRequestMessage,
): string | undefined {
	if (pull.state !== 'open') {
		return 'the pull request is closed'
	}
	if (pull.baseRef !== deps.source.branch) {
		return `the pull request now targets ${pull.baseRef}, not ${deps.source.branch}`
	}
	if (pull.headSha !== message.headSha) {
		// A newer push queued its own message; that one checks the new head.
		return `superseded: the head moved from ${message.headSha.slice(0, 7)} to ${pull.headSha.slice(0, 7)}`
	}
	return undefined
}

/** A check of `head` with nothing found yet. */
function blank(
	deps: PullRequestDeps,
	message: PullRequestMessage,
	pull: Pick<PullRequestInfo, 'number' | 'headSha' | 'headRepository' | 'baseRef'>,
) {
	return {
		number: pull.number,
		headSha: pull.headSha,
		headRepository: pull.headRepository,
		baseRef: pull.baseRef,
		deliveryId: message.deliveryId,
		planText: null,
		planFingerprint: null,
		warnings: [],
		findings: [],
		preflightCutOff: null,
		commentId: null,
		checkedAt: deps.now(),
	}
}

/** Both checks of the head. Retryable failures stop the job (to be retried); others become verdicts. */
async function checkHead(
	deps: PullRequestDeps,
	message: PullRequestMessage,
	pull: PullRequestInfo,
): Promise<Result<PullRequestCheck, Stop>> {
	const base = blank(deps, message, pull)
	const path = deps.source.path
	const fork = pull.headRepository?.toLowerCase() !== deps.repositoryName?.toLowerCase()
	if (fork && !deps.planForkPullRequests) {
		const summary = `not checked: the head is in the fork ${pull.headRepository ?? '(deleted)'}; forks are checked only with GITHUB_PLAN_FORKS=true`
		const notChecked: CheckVerdict = { state: 'error', summary }
		return ok({ ...base, edge: notChecked, preflight: notChecked })
	}
	const text = await readConfigText(deps, pull.headSha)
	if (!text.ok) {
		return text
	}
	if (text.value === null) {
		return ok({
			...base,
			edge: { state: 'failure', summary: `${path} does not exist at this commit` },
			preflight: { state: 'error', summary: `not run: ${path} does not exist at this commit` },
		})
	}
	const loaded = loadDesiredState(text.value)
	if (!loaded.ok) {
		const errors = loaded.error.filter((d) => d.severity === 'error')
		const first = errors[0] ? formatDiagnostic(path, errors[0]) : 'unknown error'
		return ok({
			...base,
			edge: {
				state: 'failure',
				summary: `${path} is invalid (${errors.length} error${errors.length === 1 ? '' : 's'}): ${first}`,
			},
			preflight: {
				state: 'error',
				summary: `not run: ${path} is invalid at this commit (${first})`,
			},
		})
	}
	const { state } = loaded.value
	const edge = await edgeVerdict(deps, pull, state)
	if (!edge.ok) {
		return edge
	}
	const preflight = await preflightVerdict(deps, pull, state)
	if (!preflight.ok) {
		return preflight
	}
	return ok({
		...base,
		...edge.value,
		...preflight.value,
		warnings: [
			...loaded.value.warnings.map((w) => `${path}: ${w.message}`),
			...edge.value.warnings,
		],
	})
}

/** The read-only plan as a verdict; a refused token is a verdict (and an alert), not a retry. */
async function edgeVerdict(
	deps: PullRequestDeps,
	pull: PullRequestInfo,
	state: DesiredState,
): Promise<
	Result<Pick<PullRequestCheck, 'edge' | 'planText' | 'planFingerprint' | 'warnings'>, Stop>
> {
	const blockedUntil = Number(await deps.settings.get('cloudflare.blocked_until'))
	if (Number.isFinite(blockedUntil) && blockedUntil > deps.now()) {
		// The token's budget is shared with the reconcile: wait out Cloudflare's rate limit like it does.
		return err({
			what: 'waiting out the Cloudflare rate limit',
			failure: {
				kind: 'rate_limited',
				retryable: true,
				retryAfterSeconds: Math.ceil((blockedUntil - deps.now()) / 1000),
				message: `the Cloudflare API rate-limited tidegate's token until ${new Date(blockedUntil).toISOString()}`,
			},
		})
	}
	const preview = await previewEdgePlan(deps.edge, state, deps.now)
	if (!preview.ok) {
		if (preview.error.retryable) {
			return err({ failure: preview.error, what: 'reading the live edge' })
		}
		await alertOnTokenRefused(deps, preview.error.message, `planning pull request #${pull.number}`)
		return ok({
			edge: { state: 'error', summary: `not planned: ${preview.error.message}` },
			planText: null,
			planFingerprint: null,
			warnings: [],
		})
	}
	const plan = preview.value
	const summary = plan.refused
		? plan.summary
		: plan.inSync
			? 'in sync: merging changes nothing at the edge'
			: `merging applies ${plan.summary}`
	return ok({
		edge: { state: plan.refused ? 'failure' : 'success', summary },
		planText: plan.text,
		planFingerprint: plan.fingerprint,
		warnings: plan.warnings,
	})
}

const PREFLIGHT_STATE: Record<PreflightStatus, CheckVerdict['state']> = {
	clean: 'success',
	conflicts: 'failure',
	incomplete: 'error',
	error: 'error',
}

/** The ownership pre-flight over the pull request's changed manifests, at its head. */
async function preflightVerdict(
	deps: PullRequestDeps,
	pull: PullRequestInfo,
	state: DesiredState,
): Promise<Result<Pick<PullRequestCheck, 'preflight' | 'findings' | 'preflightCutOff'>, Stop>> {
	const ownership = state.ownership
	if (!ownership) {
		return ok({
			preflight: {
				state: 'success',
				summary: `nothing to check: ${deps.source.path} has no ownership section`,
			},
			findings: [],
			preflightCutOff: null,
		})
	}
	const listed = await deps.pullRequests.files(pull.number, PULL_REQUEST_MAX_FILES)
	if (!listed.ok) {
		return notRun(deps, pull, { failure: listed.error, what: 'listing the changed files' })
	}
	const files = listed.value.files
	const cutOff: CutOff[] =
		listed.value.truncated || pull.changedFiles > files.length
			? [
					{
						long: `only the first ${files.length} of the pull request's ${Math.max(pull.changedFiles, files.length)} changed files were listed and checked`,
						short: `over ${files.length} files changed`,
					},
				]
			: []
	const checked = await checkChangedFiles(deps, pull.headSha, files, ownership, cutOff)
	if (!checked.ok) {
		return notRun(deps, pull, checked.error)
	}
	return ok({
		preflight: { state: PREFLIGHT_STATE[checked.value.status], summary: checked.value.summary },
		findings: checked.value.findings,
		preflightCutOff: checked.value.cutOff,
	})
}

/** A pre-flight GitHub failure: retried if it may pass, else the check's verdict (the plan stands). */
async function notRun(
	deps: PullRequestDeps,
	pull: PullRequestInfo,
	stop: Stop,
): Promise<Result<Pick<PullRequestCheck, 'preflight' | 'findings' | 'preflightCutOff'>, Stop>> {
	if (stop.failure.retryable) {
		return err(stop)
	}
	await alertOnTokenRefused(
		deps,
		stop.failure.message,
		`pre-flighting pull request #${pull.number}`,
	)
	return ok({
		preflight: { state: 'error', summary: `not run: ${stop.what} failed: ${stop.failure.message}` },
		findings: [],
		preflightCutOff: null,
	})
}

/** A failure: retried with backoff while attempts remain, then reported on the head as an error. */
async function stopped(
	deps: PullRequestDeps,
	message: PullRequestMessage,
	attempts: number,
	stop: Stop,
): Promise<JobOutcome> {
	const { failure } = stop
	const retry = await retryOrAlert(deps, stop, attempts, {
		maxAttempts: PULL_REQUEST_MAX_ATTEMPTS,
		doing: `checking pull request #${message.number}`,
		event: 'pull_request.retry',
		fields: { number: message.number },
	})
	if (retry) {
		return retry
	}
	const summary = `not checked: ${stop.what} failed: ${failure.message}${failure.retryable ? ` (gave up after ${attempts} attempts)` : ''}`
	const verdict: CheckVerdict = { state: 'error', summary }
	const check: PullRequestCheck = {
		...blank(deps, message, {
			number: message.number,
			headSha: message.headSha,
			headRepository: null,
			baseRef: deps.source.branch,
		}),
		edge: verdict,
		preflight: verdict,
	}
	await deps.pullRequestChecks.record(check)
	return report(deps, check, PULL_REQUEST_MAX_ATTEMPTS)
}

/** Posts both statuses and the comment; what GitHub refuses for now is retried while attempts remain. */
async function report(
	deps: PullRequestDeps,
	check: PullRequestCheck,
	attempts: number,
): Promise<JobOutcome> {
	const link = deps.publicUrl ? `${deps.publicUrl}/pulls/${check.number}/${check.headSha}` : null
	const status = (context: string, verdict: CheckVerdict): CommitStatus => ({
		state: verdict.state,
		context,
		description: verdict.summary,
		...(link && { targetUrl: link }),
	})
	const outcomes = [
		await deps.repository.postStatus(check.headSha, status(EDGE_PLAN_CONTEXT, check.edge)),
		await deps.repository.postStatus(check.headSha, status(PREFLIGHT_CONTEXT, check.preflight)),
		await upsertComment(deps, check, link),
	]
	const failures = outcomes.flatMap((o) => (o.ok ? [] : [o.error]))
	const doing = `reporting on pull request #${check.number}`
	for (const failure of failures) {
		deps.log.log('warn', 'pull_request.report_failed', {
			number: check.number,
			error: failure.message,
		})
		if (failure.kind === 'auth') {
			await alertOnTokenRefused(deps, failure.message, doing)
		}
	}
	if (failures.length === 0) {
		const { contents, statuses, pullRequests } = GITHUB_PERMISSIONS
		await noteTokenWorked(deps, 'GITHUB_TOKEN', [contents, statuses, pullRequests], doing)
	}
	const retry = failures.find((f) => f.retryable)
	return retry
		? retryWhileAttemptsRemain(retry, attempts, PULL_REQUEST_MAX_ATTEMPTS)
		: { retry: false }
}

/** Edits tidegate's comment on the pull request in place, finding it again if its id is unknown or gone. */
async function upsertComment(
	deps: PullRequestDeps,
	check: PullRequestCheck,
	link: string | null,
): Promise<Result<void, ApiFailure>> {
	const body = renderComment(check, { edge: EDGE_PLAN_CONTEXT, preflight: PREFLIGHT_CONTEXT }, link)
	const remember = (id: number) =>
		deps.pullRequestChecks.setCommentId(check.number, check.headSha, id)
	const known = check.commentId ?? (await deps.pullRequestChecks.commentId(check.number))
	if (known !== null) {
		const updated = await deps.pullRequests.updateComment(known, body)
		if (updated.ok) {
			await remember(known)
			return ok(undefined)
		}
		if (updated.error.kind !== 'not_found') {
			return updated
		}
	}
	// Not known (or deleted): find ours among the comments, else start one.
	const listed = await deps.pullRequests.comments(check.number, COMMENTS_SCANNED)
	if (!listed.ok) {
		return listed
	}
	const ours = listed.value.find((c) => c.id !== known && c.body.startsWith(COMMENT_MARKER))
	if (ours) {
		const updated = await deps.pullRequests.updateComment(ours.id, body)
		if (!updated.ok) {
			return updated
		}
		await remember(ours.id)
		return ok(undefined)
	}
	const created = await deps.pullRequests.createComment(check.number, body)
	if (!created.ok) {
		return created
	}
	await remember(created.value.id)
	return ok(undefined)
}

/** The DNS port's reads alone (undefined when CF_DNS_API_TOKEN is not set). */
function dnsReads(api: DnsApi | undefined): EdgeReads['dnsApi'] {
	return (
		api && {
			zones: (accountId) => api.zones(accountId),
			records: (zoneId, name) => api.records(zoneId, name),
		}
	)
}
