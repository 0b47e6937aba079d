/**
 * @module Classification of Flux failures: a stable id and a one-line remediation hint per class,
 * from the event's reason and message (docs/outside-apis.md, Flux: messages). Rules are ordered, most specific first;
 * anything unrecognised is `other`. Pure and total: no input makes it throw.
 */

/** The failure classes. The ids are stable: they are stored, filtered on and named in alerts. */
export const FAILURE_CLASSES = [
	'helm-ownership-conflict',
	'validation-error',
	'retries-exhausted',
	'health-check-timeout',
	'dependency-not-ready',
	'artifact-failure',
	'other',
] as const

/** A failure class id. */
export type FailureClass = (typeof FAILURE_CLASSES)[number]

/** What each class means, and the one thing to do about it. */
export const FAILURE_HINTS: Record<FailureClass, { title: string; hint: string }> = {
	'helm-ownership-conflict': {
		title: 'Helm ownership conflict',
		hint: "a resource the chart renders already exists without this release's ownership: adopt it (label app.kubernetes.io/managed-by=Helm, annotate meta.helm.sh/release-name and release-namespace) or delete it; `tidegate preflight` catches this before a push",
	},
	'validation-error': {
		title: 'values or schema validation error',
		hint: "the manifests or Helm values do not render or validate: fix the value, template or field the message names (see the chart's values.schema.json) and push again",
	},
	'retries-exhausted': {
		title: 'install/upgrade retries exhausted',
		hint: 'helm-controller stopped retrying: fix the earlier failure, then run `flux reconcile helmrelease <name> --reset` (or change the spec) to start again',
	},
	'health-check-timeout': {
		title: 'timeout or health check failed',
		hint: 'applied, but workloads did not become ready in time: check pods (`kubectl describe`, events, image pulls, probes, resources) or raise spec.timeout',
	},
	'dependency-not-ready': {
		title: 'dependency not ready',
		hint: 'waiting on a dependsOn object that is not Ready: fix that dependency first; this one follows on its own',
	},
	'artifact-failure': {
		title: 'artifact or source failure',
		hint: 'Flux could not fetch or load its source (Git, Helm repository, OCI, chart): check `flux get sources all`, the credentials and that the source is reachable',
	},
	other: {
		title: 'other failure',
		hint: "not a known pattern: read the message; `flux events --for <Kind>/<name>` shows the object's history",
	},
}

/** The remediation hint of a class. */
export const hintFor = (failureClass: FailureClass): string => FAILURE_HINTS[failureClass].hint

/** True for a known class id (for values read back from storage or a query string). */
export function isFailureClass(value: string): value is FailureClass {
	return (FAILURE_CLASSES as readonly string[]).includes(value)
}

/** Kinds served by source-controller: their failures are source failures unless the text says otherwise. */
const SOURCE_KINDS = new Set([
	'GitRepository',
	'HelmRepository',
	'HelmChart',
	'OCIRepository',
	'Bucket',
])

interface Rule {
	id: FailureClass
	reasons?: readonly string[]
	patterns?: readonly RegExp[]
}

// Ordered: the first rule that matches wins. Ownership comes before validation because Helm's
// ownership text contains "annotation validation error"; retries before timeout because a stalled
// release's message may quote the timeout that used up its retries.
const RULES: readonly Rule[] = [
	{
		id: 'helm-ownership-conflict',
		patterns: [
			/invalid ownership metadata/i,
			/cannot be imported into the current release/i,
			/rendered manifests contain a resource that already exists/i,
		],
	},
	{
		id: 'retries-exhausted',
		reasons: ['RetriesExceeded'],
		patterns: [
			/failed to (install|upgrade|rollback|uninstall|test) after \d+ attempt\(?s?\)?/i,
			/(install|upgrade) retries exhausted/i,
			/retries exhausted/i,
		],
	},
	{
		id: 'dependency-not-ready',
		reasons: ['DependencyNotReady'],
		patterns: [
			/dependenc(y|ies) .*(is )?not ready/i,
			/dependencies do not meet ready condition/i,
			/dependency '[^']*' not found/i,
		],
	},
	{
		id: 'artifact-failure',
		reasons: [
			'ArtifactFailed',
			'GitOperationFailed',
			'ChartPullFailed',
			'ChartPackageFailed',
			'OCIPullFailed',
			'OCIArtifactPullFailed',
			'AuthenticationFailed',
			'StorageOperationFailed',
			'SourceNotReady',
			'URLInvalid',
			'IndexationFailed',
			'FetchFailed',
		],
		patterns: [
			/failed to (download|fetch) (archive|artifact)/i,
			/artifact not found/i,
			/source (artifact )?not found/i,
			/source '[^']*' not found/i,
			/could not load chart/i,
			/failed to (get|load|pull) (the )?(helm )?chart/i,
			/chart pull error/i,
			/failed to checkout and determine revision/i,
			/unable to clone/i,
			/authentication required/i,
			/repository not found/i,
			/failed to fetch helm repository index/i,
			/no chart (name|version) found/i,
		],
	},
	{
		id: 'health-check-timeout',
		reasons: ['HealthCheckFailed', 'HealthCheckCanceled'],
		patterns: [
			/health ?check failed/i,
			/timeout waiting for/i,
			/timed out waiting for the condition/i,
			/context deadline exceeded/i,
			/failed early due to stalled resources/i,
			/resource [^ ]+ not ready/i,
		],
	},
	{
		id: 'validation-error',
		reasons: ['ValidationFailed', 'BuildFailed', 'ValuesError', 'ArtifactInvalid'],
		patterns: [
			/values don't meet the specifications of the schema/i,
			/values\.schema\.json/i,
			/schema\(s\)/i,
			/dry-run failed/i,
			/kustomize build failed/i,
			/execution error at \(/i,
			/parse error (at|on)/i,
			/error converting yaml to json/i,
			/unable to build kubernetes objects from (release|new release) manifest/i,
			/is invalid:/i,
			/strict decoding error/i,
			/unknown field/i,
			/field is immutable/i,
			/no matches for kind/i,
			/could not find (key|configmap|secret)/i,
			/validation (error|failed)/i,
		],
	},
]

/**
 * Helm appends the last lines of its log to the message ("\n\nLast Helm logs:\n\n…"); those lines
 * mention waits and timeouts on every install, so they are left out of the match.
 */
function essence(message: string): string {
	const cut = message.search(/\n\s*Last Helm logs:/i)
	return (cut === -1 ? message : message.slice(0, cut)).slice(0, 20_000)
}

/** Classifies a failure from its object kind, reason and message. Never throws; unknown is `other`. */
export function classifyFailure(input: {
	kind?: string | null | undefined
	reason?: string | null | undefined
	message?: string | null | undefined
}): FailureClass {
	const reason = typeof input.reason === 'string' ? input.reason : ''
	const message = typeof input.message === 'string' ? essence(input.message) : ''
	for (const rule of RULES) {
		if (rule.patterns?.some((p) => p.test(message))) {
			return rule.id
		}
	}
	// Reasons only decide when no message pattern did: controllers reuse reasons loosely
	// (e.g. kustomize-controller's ReconciliationFailed covers both validation and apply errors).
	for (const rule of RULES) {
		if (rule.reasons?.includes(reason)) {
			return rule.id
		}
	}
	if (input.kind && SOURCE_KINDS.has(input.kind)) {
		return 'artifact-failure'
	}
	return 'other'
}
