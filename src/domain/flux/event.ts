/**
 * @module A Flux notification-controller event as tidegate understands it (docs/outside-apis.md, Flux):
 * metadata keys with or without their API-group prefix, every revision format Flux has used, and
 * the outcome an event reports for its object (success, failure, or progress on the way).
 */
import { classifyFailure, type FailureClass } from './classify.ts'

/** Which Flux object an event is about. */
export interface FluxObjectRef {
	kind: string
	namespace: string
	name: string
}

/** What an event can say about its object's reconcile. */
export const FLUX_OUTCOMES = ['success', 'failure', 'progress'] as const

/** What an event says about its object's reconcile. */
export type FluxOutcome = (typeof FLUX_OUTCOMES)[number]

/** A revision, taken apart. */
export interface ParsedRevision {
	/** The revision as Flux sent it. */
	raw: string
	/** `git` (a commit), `oci` (a digest), `chart` (a Helm chart version) or `other`. */
	type: 'git' | 'oci' | 'chart' | 'other'
	/** Branch or tag, when the revision names one. */
	ref: string | null
	/** The 40-hex commit for `git` revisions. */
	commitSha: string | null
}

/** The fields of an accepted event tidegate records and reasons about. */
export interface FluxEvent {
	object: FluxObjectRef & { uid: string | null; apiVersion: string | null }
	severity: string
	reason: string
	message: string
	reportingController: string
	reportingInstance: string | null
	/** Metadata with prefixes stripped (`kustomize.toolkit.fluxcd.io/revision` → `revision`). */
	metadata: Record<string, string>
	revision: ParsedRevision | null
	/** The commit the event is about: from `revision`, else from `originRevision`, else inferred (see ingest). */
	commitSha: string | null
	/** True when `commitSha` was inferred rather than sent (HelmReleases carry chart versions). */
	commitInferred: boolean
	outcome: FluxOutcome
	/** Set for failures only. */
	failureClass: FailureClass | null
	/** The event's own time (Unix ms); the received time when Flux sent none. */
	occurredAt: number
	receivedAt: number
}

const SHA40 = /^[0-9a-f]{40}$/

/**
 * Parses every revision form Flux has sent: `main@sha1:<sha>` (current), `sha1:<sha>`,
 * `main/<sha>` (legacy, pre RFC-0005), a bare sha, `<tag>@sha256:<digest>` / `sha256:<digest>`
 * (OCI), and Helm chart versions such as `6.5.3` or `1.2.0+abc123`.
 */
export function parseRevision(raw: string): ParsedRevision | null {
	const value = raw.trim()
	if (value === '') {
		return null
	}
	const at = value.lastIndexOf('@')
	const head = at === -1 ? '' : value.slice(0, at)
	const tail = at === -1 ? value : value.slice(at + 1)
	const sha1 = /^sha1:([0-9a-f]{40})$/i.exec(tail)
	if (sha1?.[1]) {
		return { raw: value, type: 'git', ref: head || null, commitSha: sha1[1].toLowerCase() }
	}
	if (/^(sha256|sha384|sha512|blake3):[0-9a-f]+$/i.test(tail)) {
		return { raw: value, type: 'oci', ref: head || null, commitSha: null }
	}
	if (SHA40.test(value)) {
		return { raw: value, type: 'git', ref: null, commitSha: value }
	}
	// Legacy `<branch>/<sha>`; branch names may themselves contain `/`.
	const slash = value.lastIndexOf('/')
	if (slash > 0 && SHA40.test(value.slice(slash + 1).toLowerCase())) {
		return {
			raw: value,
			type: 'git',
			ref: value.slice(0, slash),
			commitSha: value.slice(slash + 1).toLowerCase(),
		}
	}
	// SemVer 2 with optional pre-release and build metadata: a Helm chart version.
	if (
		/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(value) ||
		/^v?\d+\.\d+(\.\d+)?$/.test(value)
	) {
		return { raw: value, type: 'chart', ref: null, commitSha: null }
	}
	return { raw: value, type: 'other', ref: null, commitSha: null }
}

/**
 * Strips `<api group>/` prefixes from metadata keys (what notification-controller ≥ v1.5 does
 * before posting; older ones send them prefixed). A prefixed key wins over a bare one, as the
 * controller's own keys have the highest precedence in notification-controller.
 */
export function normalizeMetadata(metadata: Record<string, unknown>): Record<string, string> {
	const bare: Record<string, string> = {}
	const prefixed: Record<string, string> = {}
	for (const [key, value] of Object.entries(metadata)) {
		const text = typeof value === 'string' ? value : JSON.stringify(value)
		if (text === undefined) {
			continue
		}
		const match = /^[a-z0-9-]+(\.[a-z0-9-]+)+\/(.+)$/i.exec(key)
		if (match?.[2]) {
			prefixed[match[2]] = text
		} else {
			bare[key] = text
		}
	}
	return { ...bare, ...prefixed }
}

const SUCCESS_REASONS = new Set([
	'ReconciliationSucceeded',
	'InstallSucceeded',
	'UpgradeSucceeded',
	'TestSucceeded',
	'Succeeded',
])
/** source-controller's info reasons for a fetched or unchanged artifact. */
const SOURCE_SUCCESS_REASONS = new Set([
	'NewArtifact',
	'ArtifactUpToDate',
	'GitOperationSucceeded',
	'ChartPullSucceeded',
	'ChartPackageSucceeded',
])
/** Reasons that report a wait rather than a result, whatever the severity says. */
const WAITING_FAILURE_REASONS = new Set(['DependencyNotReady'])
/** Success texts of controllers whose reason is only `info` (legacy helm-controller v2beta1). */
const SUCCESS_TEXT =
	/^(helm (install|upgrade) (has completed|succeeded)|release reconciliation succeeded|reconciliation finished)/i

/**
 * The outcome an event reports. Errors are failures; so is a dependency wait (both controllers
 * send it at `info`, and an object stuck behind a dependency has not been deployed). Success is an
 * explicit success reason (or the legacy success text); every other info event is progress.
 */
export function outcomeOf(event: {
	kind: string
	severity: string
	reason: string
	message: string
}): FluxOutcome {
	if (event.severity.toLowerCase() === 'error' || WAITING_FAILURE_REASONS.has(event.reason)) {
		return 'failure'
	}
	if (event.severity.toLowerCase() !== 'info') {
		return 'progress'
	}
	if (SUCCESS_REASONS.has(event.reason) || SOURCE_SUCCESS_REASONS.has(event.reason)) {
		return 'success'
	}
	if (['', 'info', 'Progressing'].includes(event.reason) && SUCCESS_TEXT.test(event.message)) {
		return 'success'
	}
	return 'progress'
}

/** The parsed webhook body (loose: unknown fields are allowed and kept in the raw body). */
export interface FluxEventInput {
	involvedObject: {
		kind: string
		namespace?: string | undefined
		name: string
		uid?: string | undefined
		apiVersion?: string | undefined
	}
	severity: string
	timestamp?: string | undefined
	message: string
	reason: string
	metadata?: Record<string, unknown> | undefined
	reportingController: string
	reportingInstance?: string | undefined
}

/** Builds the event tidegate records from a parsed body; `receivedAt` stands in for a missing timestamp. */
export function toFluxEvent(input: FluxEventInput, receivedAt: number): FluxEvent {
	const metadata = normalizeMetadata(input.metadata ?? {})
	const revision = metadata.revision ? parseRevision(metadata.revision) : null
	const origin = metadata.originRevision ? parseRevision(metadata.originRevision) : null
	const parsedTime = input.timestamp ? Date.parse(input.timestamp) : Number.NaN
	const kind = input.involvedObject.kind
	const outcome = outcomeOf({
		kind,
		severity: input.severity,
		reason: input.reason,
		message: input.message,
	})
	return {
		object: {
			kind,
			namespace: input.involvedObject.namespace ?? '',
			name: input.involvedObject.name,
			uid: input.involvedObject.uid ?? null,
			apiVersion: input.involvedObject.apiVersion ?? null,
		},
		severity: input.severity,
		reason: input.reason,
		message: input.message,
		reportingController: input.reportingController,
		reportingInstance: input.reportingInstance ?? null,
		metadata,
		revision,
		commitSha: revision?.commitSha ?? origin?.commitSha ?? null,
		commitInferred: false,
		outcome,
		failureClass:
			outcome === 'failure'
				? classifyFailure({ kind, reason: input.reason, message: input.message })
				: null,
		occurredAt: Number.isFinite(parsedTime) ? parsedTime : receivedAt,
		receivedAt,
	}
}

/** Kinds whose reconciles are deployments: counted in the per-revision ledger and the success rate. */
export const DEPLOYER_KINDS: readonly string[] = ['Kustomization', 'HelmRelease']

/** `Kind/namespace/name`, the way an operator names an object. */
export const objectLabel = (ref: FluxObjectRef): string =>
	ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`

/**
 * The key an event's reconcile outcome is filed under: its commit when known (so Kustomizations and
 * HelmReleases that applied one push line up), else its own revision (a chart version, an OCI digest).
 */
export function revisionKey(event: Pick<FluxEvent, 'commitSha' | 'revision'>): string | null {
	return event.commitSha ?? event.revision?.raw ?? null
}
