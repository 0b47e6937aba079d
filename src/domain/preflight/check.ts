/**
 * @module The pre-flight ownership check: given the manifests Flux applies and the `ownership`
 * section of tidegate.yaml, find what would fail at apply time because another layer (or another
 * Helm release) owns it. Pure: files in, findings out. docs/preflight.md describes every rule.
 */
import { isMap, isNode, isScalar, isSeq, type Node } from 'yaml'
import type { OwnershipConfig } from '../desired-state/model.ts'
import {
	CLUSTER_SCOPED,
	dirname,
	type ManifestFile,
	type Position,
	parseManifests,
	type Resource,
} from './manifests.ts'
import { compileNamePattern, compilePathGlob, compileValuesPath } from './patterns.ts'

/** What kind of problem a finding is. */
export type FindingClass =
	/** A kind reserved for another layer. */
	| 'reserved-kind'
	/** An object in a reserved namespace, or a Namespace object named like one. */
	| 'reserved-namespace'
	/** A name matching a reserved name pattern. */
	| 'reserved-name'
	/** A HelmRelease or Flux Kustomization that installs into a reserved namespace. */
	| 'reserved-target-namespace'
	/** Two HelmReleases that make the same Helm release. */
	| 'release-collision'
	/** An object a HelmRelease would render, annotated as belonging to another Helm release. */
	| 'release-ownership'
	/** HelmRelease values that break an `ownership.valuesRules` rule. */
	| 'values-rule'
	/** A file that is not valid YAML: nothing in it could be checked. */
	| 'invalid-yaml'

/** One problem, located, with who owns the thing and how to fix it. */
export interface PreflightFinding {
	class: FindingClass
	/** Repository-relative path. */
	file: string
	line: number
	column: number
	/** The object the finding is about (absent for a YAML error). */
	resource?: { kind: string; namespace?: string; name?: string }
	/** Who owns it: a `reserved` owner, a HelmRelease, a values rule. */
	owner?: string
	/** One line: what is wrong. */
	message: string
	/** One line: what to do. */
	fix: string
}

/** What a check found, and how much it looked at. */
export interface PreflightReport {
	findings: PreflightFinding[]
	/** Files read (only those `isManifestPath` accepts). */
	files: number
	/** Kubernetes objects found in them. */
	resources: number
}

const HELM_GROUP = 'helm.toolkit.fluxcd.io'
const FLUX_KUSTOMIZE_GROUP = 'kustomize.toolkit.fluxcd.io'
const RELEASE_NAME = 'meta.helm.sh/release-name'
const RELEASE_NAMESPACE = 'meta.helm.sh/release-namespace'

/** Which repository paths the check reads: YAML files under `fluxPaths`, minus `excludePaths`. */
export function manifestPathFilter(ownership: OwnershipConfig): (path: string) => boolean {
	const include = ownership.fluxPaths.map(compilePathGlob)
	const exclude = ownership.excludePaths.map(compilePathGlob)
	return (path) =>
		/\.ya?ml$/i.test(path) && include.some((m) => m(path)) && !exclude.some((m) => m(path))
}

/** Runs every check over the files (callers pass only paths `manifestPathFilter` accepts). */
export function checkManifests(
	files: readonly ManifestFile[],
	ownership: OwnershipConfig,
): PreflightReport {
	const parsed = parseManifests(files)
	const findings: PreflightFinding[] = parsed.problems.map((p) => ({
		class: 'invalid-yaml',
		file: p.file,
		line: p.position.line,
		column: p.position.column,
		message: p.message,
		fix: 'fix the YAML: Flux cannot apply this file, and nothing in it was checked',
	}))
	const reserved = ownership.reserved.map(compileReserved)
	const releases: HelmReleaseInfo[] = []
	for (const resource of parsed.resources) {
		checkReserved(resource, reserved, findings)
		if (resource.group === HELM_GROUP && resource.kind === 'HelmRelease') {
			const release = helmRelease(resource)
			if (release) {
				releases.push(release)
			}
			checkTargets(resource, ['targetNamespace', 'storageNamespace'], reserved, findings)
			checkValues(resource, release, ownership.valuesRules, findings)
		}
		if (resource.group === FLUX_KUSTOMIZE_GROUP && resource.kind === 'Kustomization') {
			checkTargets(resource, ['targetNamespace'], reserved, findings)
		}
	}
	checkReleaseCollisions(releases, findings)
	checkReleaseAnnotations(parsed.resources, releases, findings)
	findings.sort(
		(a, b) =>
			(a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column,
	)
	return { findings, files: files.length, resources: parsed.resources.length }
}

/** `file:line message; fix: …`, the form the CLI prints and editors turn into links. */
export function formatFinding(finding: PreflightFinding, file = finding.file): string {
	return visible(`${file}:${finding.line} ${finding.message}; fix: ${finding.fix}`)
}

/** "2 conflicts", "1 conflict and 1 file with invalid YAML". */
export function countFindings(findings: readonly PreflightFinding[]): string {
	const yaml = new Set(findings.filter((f) => f.class === 'invalid-yaml').map((f) => f.file)).size
	const conflicts = findings.filter((f) => f.class !== 'invalid-yaml').length
	const parts: string[] = []
	if (conflicts > 0 || yaml === 0) {
		parts.push(`${conflicts} conflict${conflicts === 1 ? '' : 's'}`)
	}
	if (yaml > 0) {
		parts.push(`${yaml} file${yaml === 1 ? '' : 's'} with invalid YAML`)
	}
	return parts.join(' and ')
}

/** `Kind namespace/name`, or `Kind name` for an object without a namespace. */
export function describeResource(resource: {
	kind: string
	namespace?: string | undefined
	name?: string | undefined
}): string {
	const name = resource.name ?? '(no name)'
	return `${resource.kind} ${resource.namespace ? `${resource.namespace}/` : ''}${name}`
}

// Messages quote what the manifests say, so control and bidi characters are shown escaped.
const INVISIBLE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu

function visible(text: string): string {
	return text.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

interface CompiledReserved {
	index: number
	owner: string
	reason: string | undefined
	kinds: { kind: string; group: string | undefined }[] | undefined
	namespaces: { pattern: string; match: (ns: string) => boolean }[] | undefined
	names: { pattern: string; match: (name: string) => boolean }[] | undefined
}

function compileReserved(
	entry: OwnershipConfig['reserved'][number],
	index: number,
): CompiledReserved {
	return {
		index,
		owner: entry.owner,
		reason: entry.reason,
		kinds: entry.kinds?.map((k) => {
			const dot = k.indexOf('.')
			return dot === -1
				? { kind: k, group: undefined }
				: { kind: k.slice(0, dot), group: k.slice(dot + 1) }
		}),
		namespaces: entry.namespaces?.map((pattern) => ({
			pattern,
			match: compileNamePattern(pattern),
		})),
		names: entry.names?.map((pattern) => ({ pattern, match: compileNamePattern(pattern) })),
	}
}

function resourceRef(resource: Resource): PreflightFinding['resource'] {
	return {
		kind: resource.kind,
		...(resource.namespace !== undefined &&
			!CLUSTER_SCOPED.has(resource.kind) && { namespace: resource.namespace }),
		...(resource.name !== undefined && { name: resource.name }),
	}
}

function describe(resource: Resource): string {
	const ref = resourceRef(resource) ?? { kind: resource.kind }
	return describeResource(ref)
}

function finding(
	resource: Resource,
	cls: FindingClass,
	at: Position,
	owner: string,
	message: string,
	fix: string,
): PreflightFinding {
	return {
		class: cls,
		file: resource.file,
		line: at.line,
		column: at.column,
		resource: resourceRef(resource),
		owner,
		message,
		fix,
	}
}

/** Reserved entries: an object matches an entry when it matches every selector the entry gives. */
function checkReserved(
	resource: Resource,
	reserved: readonly CompiledReserved[],
	out: PreflightFinding[],
): void {
	for (const entry of reserved) {
		const kind = entry.kinds?.find(
			(k) => k.kind === resource.kind && (k.group === undefined || k.group === resource.group),
		)
		if (entry.kinds && !kind) {
			continue
		}
		const isNamespace = resource.kind === 'Namespace' && resource.group === ''
		let namespace: { pattern: string; how: 'named' | 'in' } | undefined
		if (entry.namespaces) {
			const named =
				isNamespace && resource.name !== undefined
					? entry.namespaces.find((n) => n.match(resource.name as string))
					: undefined
			const inside =
				!CLUSTER_SCOPED.has(resource.kind) && resource.namespace !== undefined
					? entry.namespaces.find((n) => n.match(resource.namespace as string))
					: undefined
			if (named) {
				namespace = { pattern: named.pattern, how: 'named' }
			} else if (inside) {
				namespace = { pattern: inside.pattern, how: 'in' }
			} else {
				continue
			}
		}
		const name =
			entry.names && resource.name !== undefined
				? entry.names.find((n) => n.match(resource.name as string))
				: undefined
		if (entry.names && !name) {
			continue
		}
		out.push(reservedFinding(resource, entry, { kind: kind?.kind, namespace, name: name?.pattern }))
		// One finding per object: the first entry that reserves it names the owner.
		return
	}
}

function reservedFinding(
	resource: Resource,
	entry: CompiledReserved,
	matched: {
		kind: string | undefined
		namespace: { pattern: string; how: 'named' | 'in' } | undefined
		name: string | undefined
	},
): PreflightFinding {
	const by: string[] = []
	if (matched.kind) {
		by.push(`kind ${matched.kind}`)
	}
	if (matched.namespace) {
		by.push(
			matched.namespace.how === 'named'
				? `namespace ${quoteIfPattern(matched.namespace.pattern)}`
				: `namespace ${quoteIfPattern(matched.namespace.pattern)}${resource.namespaceFrom === 'kustomization' ? ' (set by kustomization.yaml)' : ''}`,
		)
	}
	if (matched.name) {
		by.push(`name ${quoteIfPattern(matched.name)}`)
	}
	const why = `reserved for ${entry.owner} (ownership.reserved[${entry.index}]: ${by.join(', ')})${entry.reason ? `: ${entry.reason}` : ''}`
	const what = describe(resource)
	if (matched.namespace?.how === 'named') {
		return finding(
			resource,
			'reserved-namespace',
			resource.at(['metadata', 'name']),
			entry.owner,
			`${what} is ${why}`,
			`remove this Namespace from the Flux manifests; ${entry.owner} creates and owns it`,
		)
	}
	if (matched.namespace) {
		return finding(
			resource,
			'reserved-namespace',
			resource.namespaceFrom === 'metadata'
				? resource.at(['metadata', 'namespace'])
				: resource.at(['kind']),
			entry.owner,
			`${what} is in namespace ${resource.namespace}, ${why}`,
			`move it to a namespace Flux owns, or let ${entry.owner} manage it and remove it here`,
		)
	}
	if (matched.name) {
		return finding(
			resource,
			'reserved-name',
			resource.at(['metadata', 'name']),
			entry.owner,
			`${what} is ${why}`,
			`rename it, or let ${entry.owner} manage it and remove it here`,
		)
	}
	return finding(
		resource,
		'reserved-kind',
		resource.at(['kind']),
		entry.owner,
		`${what} is ${why}`,
		`remove it from the Flux manifests and declare it in ${entry.owner}, which owns every ${resource.kind}`,
	)
}

function quoteIfPattern(pattern: string): string {
	return /[*?]/.test(pattern) ? `"${pattern}"` : pattern
}

/**
 * A HelmRelease's targetNamespace and storageNamespace, and a Flux Kustomization's targetNamespace,
 * put objects into that namespace: a namespace reserved as a whole (an entry with only
 * `namespaces`) must not be one of them.
 */
function checkTargets(
	resource: Resource,
	fields: readonly ('targetNamespace' | 'storageNamespace')[],
	reserved: readonly CompiledReserved[],
	out: PreflightFinding[],
): void {
	const spec = record(resource.data.spec)
	for (const field of fields) {
		const target = spec?.[field]
		if (typeof target !== 'string' || target === '') {
			continue
		}
		for (const entry of reserved) {
			if (entry.kinds || entry.names || !entry.namespaces) {
				continue
			}
			const hit = entry.namespaces.find((n) => n.match(target))
			if (!hit) {
				continue
			}
			const puts =
				field === 'storageNamespace'
					? 'stores its Helm release in'
					: resource.kind === 'HelmRelease'
						? 'installs its chart into'
						: 'applies its manifests into'
			out.push(
				finding(
					resource,
					'reserved-target-namespace',
					resource.at(['spec', field]),
					entry.owner,
					`${describe(resource)} ${puts} namespace ${target} (spec.${field}), reserved for ${entry.owner} (ownership.reserved[${entry.index}]: namespace ${quoteIfPattern(hit.pattern)})${entry.reason ? `: ${entry.reason}` : ''}`,
					`point spec.${field} at a namespace Flux owns`,
				),
			)
			break
		}
	}
}

interface HelmReleaseInfo {
	resource: Resource
	/** The Helm release name, as helm-controller composes it. */
	release: string
	/** Where the chart's objects go (targetNamespace, else the HelmRelease's own). */
	targetNamespace: string | undefined
	/** Where Helm keeps the release (storageNamespace, else the HelmRelease's own). */
	storageNamespace: string | undefined
	chart: string | undefined
	/** Position of what decides the release name. */
	at: Position
}

/**
 * helm-controller's release name: `spec.releaseName`, else `[<targetNamespace>-]<name>`
 * (GetReleaseName). Names over 53 characters are shortened by Flux with a hash of the whole name;
 * comparing the unshortened names finds the same collisions.
 */
function helmRelease(resource: Resource): HelmReleaseInfo | undefined {
	if (resource.name === undefined) {
		return undefined
	}
	const spec = record(resource.data.spec) ?? {}
	const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)
	const releaseName = text(spec.releaseName)
	const target = text(spec.targetNamespace)
	const chartSpec = record(record(spec.chart)?.spec)
	return {
		resource,
		release: releaseName ?? (target ? `${target}-${resource.name}` : resource.name),
		targetNamespace: target ?? resource.namespace,
		storageNamespace: text(spec.storageNamespace) ?? resource.namespace,
		chart: text(chartSpec?.chart) ?? text(record(spec.chartRef)?.name),
		at: resource.at(releaseName ? ['spec', 'releaseName'] : ['metadata', 'name']),
	}
}

/**
 * An object without a namespace is put in one by whatever applies it (a Flux Kustomization's
 * targetNamespace); files in one directory are taken to share it, files elsewhere not.
 */
function namespaceKey(namespace: string | undefined, file: string): string {
	return namespace ?? `?${dirname(file)}`
}

function nsText(namespace: string | undefined): string {
	return namespace ?? '(not set in the manifest)'
}

function identity(resource: Resource): string {
	return `${resource.kind}|${namespaceKey(resource.namespace, resource.file)}|${resource.name}`
}

/** Two HelmReleases (different objects) that make the same Helm release fight over it. */
function checkReleaseCollisions(
	releases: readonly HelmReleaseInfo[],
	out: PreflightFinding[],
): void {
	releases.forEach((later, j) => {
		for (const earlier of releases.slice(0, j)) {
			// The same HelmRelease in two files is a base and its patch (or two clusters), not a collision.
			if (identity(earlier.resource) === identity(later.resource)) {
				continue
			}
			if (earlier.release !== later.release) {
				continue
			}
			const sameStorage =
				namespaceKey(earlier.storageNamespace, earlier.resource.file) ===
				namespaceKey(later.storageNamespace, later.resource.file)
			const sameTarget =
				namespaceKey(earlier.targetNamespace, earlier.resource.file) ===
				namespaceKey(later.targetNamespace, later.resource.file)
			if (!sameStorage && !sameTarget) {
				continue
			}
			const where = sameStorage
				? `stored in namespace ${nsText(later.storageNamespace)}`
				: `installed into namespace ${nsText(later.targetNamespace)}`
			const other = describe(earlier.resource)
			out.push(
				finding(
					later.resource,
					'release-collision',
					later.at,
					other,
					`${describe(later.resource)} makes Helm release "${later.release}" ${where}, as ${other} (${earlier.resource.file}:${earlier.at.line}) already does; the two would overwrite each other's release`,
					'give one of them a different spec.releaseName',
				),
			)
			return
		}
	})
}

/**
 * Helm adopts an existing object only when its `meta.helm.sh/release-name` and
 * `meta.helm.sh/release-namespace` annotations name the release being installed. Charts name their
 * objects after the release (`<release>` or `<release>-…`), so an object in a HelmRelease's target
 * namespace named that way but annotated for another release makes the install fail with
 * "invalid ownership metadata".
 */
function checkReleaseAnnotations(
	resources: readonly Resource[],
	releases: readonly HelmReleaseInfo[],
	out: PreflightFinding[],
): void {
	for (const resource of resources) {
		const claimed = resource.annotations[RELEASE_NAME]
		if (claimed === undefined || resource.name === undefined) {
			continue
		}
		const clusterScoped = CLUSTER_SCOPED.has(resource.kind)
		const sameNamespace = (release: HelmReleaseInfo) =>
			clusterScoped ||
			namespaceKey(resource.namespace, resource.file) ===
				namespaceKey(release.targetNamespace, release.resource.file)
		const own = releases.find((r) => r.release === claimed && sameNamespace(r))
		if (own) {
			const claimedNamespace = resource.annotations[RELEASE_NAMESPACE]
			if (
				claimedNamespace !== undefined &&
				own.targetNamespace !== undefined &&
				claimedNamespace !== own.targetNamespace
			) {
				out.push(
					finding(
						resource,
						'release-ownership',
						resource.at(['metadata', 'annotations', RELEASE_NAMESPACE]),
						describe(own.resource),
						`${describe(resource)} is annotated ${RELEASE_NAMESPACE}: ${claimedNamespace}, but Helm release "${claimed}" of ${describe(own.resource)} (${own.resource.file}:${own.at.line}) lives in ${own.targetNamespace}; Helm refuses to adopt it`,
						`set ${RELEASE_NAMESPACE} to "${own.targetNamespace}"`,
					),
				)
			}
			continue
		}
		const renderer = releases
			.filter(
				(r) =>
					r.release !== claimed &&
					sameNamespace(r) &&
					(resource.name === r.release || resource.name?.startsWith(`${r.release}-`)),
			)
			.sort((a, b) => b.release.length - a.release.length)[0]
		if (!renderer) {
			continue
		}
		out.push(
			finding(
				resource,
				'release-ownership',
				resource.at(['metadata', 'annotations', RELEASE_NAME]),
				describe(renderer.resource),
				`${describe(resource)} is annotated for Helm release "${claimed}" (${RELEASE_NAME}), but its name is one that release "${renderer.release}" of ${describe(renderer.resource)} (${renderer.resource.file}:${renderer.at.line}) renders (charts name objects "<release>-…"); Helm refuses to adopt an object of another release`,
				`remove this copy and let the chart render it, or set ${RELEASE_NAME} to "${renderer.release}"`,
			),
		)
	}
}

/** Values rules: a forbidden key anywhere it is set in `spec.values`, except the `use` path itself. */
function checkValues(
	resource: Resource,
	release: HelmReleaseInfo | undefined,
	rules: OwnershipConfig['valuesRules'],
	out: PreflightFinding[],
): void {
	const values = resource.node(['spec', 'values'])
	if (!values || rules.length === 0) {
		return
	}
	rules.forEach((rule, index) => {
		if (rule.charts) {
			const chart = release?.chart
			if (chart === undefined || !rule.charts.some((c) => compileNamePattern(c)(chart))) {
				return
			}
		}
		if (
			rule.releases &&
			!rule.releases.some((pattern) => {
				const match = compileNamePattern(pattern)
				return (
					(resource.name !== undefined && match(resource.name)) ||
					(release !== undefined && match(release.release))
				)
			})
		) {
			return
		}
		const forbidden = compileValuesPath(rule.forbid)
		walkValues(values, [], (keys, keyNode) => {
			const dotted = keys.join('.')
			if (!forbidden(keys) || dotted === rule.use) {
				return
			}
			const at = resource.positionOf(keyNode)
			out.push(
				finding(
					resource,
					'values-rule',
					at,
					`ownership.valuesRules[${index}]`,
					`${describe(resource)} sets spec.values.${dotted}, which ownership.valuesRules[${index}] forbids (${rule.forbid})${rule.reason ? `: ${rule.reason}` : ''}`,
					rule.use ? `move the value to spec.values.${rule.use}` : `remove spec.values.${dotted}`,
				),
			)
		})
	})
}

/** Visits every key (and list item) under a values node, with its path and the node to point at. */
function walkValues(node: Node, keys: string[], visit: (keys: string[], at: Node) => void): void {
	if (isMap(node)) {
		for (const pair of node.items) {
			if (!isScalar(pair.key)) {
				continue
			}
			const path = [...keys, String(pair.key.value)]
			visit(path, pair.key)
			if (isNode(pair.value)) {
				walkValues(pair.value, path, visit)
			}
		}
	} else if (isSeq(node)) {
		node.items.forEach((item, index) => {
			if (isNode(item)) {
				const path = [...keys, String(index)]
				visit(path, item)
				walkValues(item, path, visit)
			}
		})
	}
}

function record(value: unknown): Record<string, unknown> | undefined {
	return typeof value === 'object' && value !== null && !Array.isArray(value)
		? (value as Record<string, unknown>)
		: undefined
}
