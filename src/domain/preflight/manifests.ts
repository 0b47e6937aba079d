/**
 * @module Kubernetes manifests as the pre-flight check reads them: multi-document YAML files
 * parsed with positions kept, so every finding can point at a file and line. A file that does not
 * parse is a finding, never an exception; documents that are not Kubernetes objects (Helm values
 * files, kustomize configuration) are recognised and set aside.
 */

import {
	type Alias,
	type Document,
	isMap,
	isScalar,
	isSeq,
	LineCounter,
	type Node,
	parseAllDocuments,
	visit,
	type YAMLError,
} from 'yaml'
import { yamlOffset } from '../yaml-locate.ts'

/** One file of the repository, by repository-relative path. */
export interface ManifestFile {
	path: string
	text: string
}

/** A place in a file: 1-based line and column. */
export interface Position {
	line: number
	column: number
}

/** A Kubernetes object declared in a file, with what the checks need and where each part is. */
export interface Resource {
	file: string
	/** 0-based index of the document in its file. */
	document: number
	apiVersion: string
	/** The API group (`''` for the core group), from apiVersion. */
	group: string
	kind: string
	name: string | undefined
	/** As written in metadata.namespace, or set by the directory's kustomization.yaml. */
	namespace: string | undefined
	/** Where the namespace came from, so a message can say so. */
	namespaceFrom: 'metadata' | 'kustomization' | undefined
	annotations: Readonly<Record<string, string>>
	/** The plain data of the document (aliases expanded). */
	data: Readonly<Record<string, unknown>>
	/** The position of a key or value by its path from the document root, or the nearest parent's. */
	at(path: readonly (string | number)[]): Position
	/** The document's YAML node under a path (for walking HelmRelease values with positions). */
	node(path: readonly (string | number)[]): Node | undefined
	/** Position of a node (its start). */
	positionOf(node: Node): Position
}

/** A kustomize `kustomization.yaml`: not applied itself, but it sets the namespace of what it lists. */
export interface KustomizeConfig {
	file: string
	namespace: string | undefined
	/** Repository-relative paths of the files and directories under `resources:`. */
	resources: string[]
}

/** A file that could not be read as YAML. */
export interface ParseProblem {
	file: string
	position: Position
	message: string
}

/** Everything the parser found in a set of files. */
export interface ParsedManifests {
	resources: Resource[]
	kustomizations: KustomizeConfig[]
	problems: ParseProblem[]
}

/**
 * Bound on alias expansion per document (the yaml package's `maxAliasCount`), so an alias bomb is a
 * finding rather than exhausted memory. Kubernetes manifests rarely use aliases at all.
 */
const MAX_ALIAS_COUNT = 100

/** At most this many YAML errors are reported per file; one broken bracket can cause dozens. */
const MAX_ERRORS_PER_FILE = 5

const KUSTOMIZE_FILE = /(^|\/)(kustomization\.ya?ml|Kustomization)$/

/** Parses every file; kustomize namespaces are applied to the resources their configs list. */
export function parseManifests(files: readonly ManifestFile[]): ParsedManifests {
	const resources: Resource[] = []
	const kustomizations: KustomizeConfig[] = []
	const problems: ParseProblem[] = []
	for (const file of files) {
		parseFile(file, { resources, kustomizations, problems })
	}
	applyKustomizeNamespaces(resources, kustomizations)
	return { resources, kustomizations, problems }
}

function parseFile(file: ManifestFile, out: ParsedManifests): void {
	const lines = new LineCounter()
	// A leading BOM is legal but invisible in editors; positions are counted without it.
	const docs = parseAllDocuments(file.text.replace(/^\uFEFF/, ''), {
		lineCounter: lines,
		uniqueKeys: true,
		prettyErrors: false,
	})
	const position = (offset: number): Position => {
		const pos = lines.linePos(offset)
		return { line: pos.line, column: pos.col }
	}
	if ('empty' in docs) {
		// A stream without documents (comments only) declares nothing, unless it did not parse.
		for (const e of docs.errors.slice(0, MAX_ERRORS_PER_FILE)) {
			out.problems.push({ file: file.path, position: position(e.pos[0]), message: yamlMessage(e) })
		}
		return
	}
	let reported = 0
	const seen = new Set<number>()
	docs.forEach((doc, index) => {
		if (doc.errors.length > 0) {
			for (const e of doc.errors) {
				// One mistake often yields several errors at the same place; the first says it best.
				if (seen.has(e.pos[0])) {
					continue
				}
				seen.add(e.pos[0])
				if (reported < MAX_ERRORS_PER_FILE) {
					out.problems.push({
						file: file.path,
						position: position(e.pos[0]),
						message: yamlMessage(e),
					})
				}
				reported += 1
			}
			return
		}
		const contents = doc.contents
		if (contents === null || (isScalar(contents) && contents.value === null)) {
			return
		}
		const unresolved = unresolvedAlias(doc)
		if (unresolved) {
			out.problems.push({
				file: file.path,
				position: position(unresolved.range?.[0] ?? 0),
				message: `invalid YAML: alias *${unresolved.source} has no anchor &${unresolved.source} before it`,
			})
			reported += 1
			return
		}
		let data: unknown
		try {
			data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
		} catch (e) {
			out.problems.push({
				file: file.path,
				position: position(contents.range?.[0] ?? 0),
				message: `invalid YAML: ${lowerFirst((e as Error).message)}`,
			})
			reported += 1
			return
		}
		if (typeof data !== 'object' || data === null || Array.isArray(data)) {
			return
		}
		const record = data as Record<string, unknown>
		const apiVersion = typeof record.apiVersion === 'string' ? record.apiVersion : undefined
		if (isKustomizeConfig(file.path, apiVersion)) {
			out.kustomizations.push(kustomizeConfig(file.path, record))
			return
		}
		const kind = typeof record.kind === 'string' ? record.kind : undefined
		if (apiVersion === undefined || kind === undefined) {
			// Not a Kubernetes object: a Helm values file, a SOPS config, a README in YAML.
			return
		}
		if (kind.endsWith('List') && Array.isArray(record.items)) {
			// `kind: List` (what `kubectl get -o yaml` writes): each item is an object of its own.
			record.items.forEach((item, i) => {
				const resource = toResource(file.path, index, doc, position, item, ['items', i])
				if (resource) {
					out.resources.push(resource)
				}
			})
			return
		}
		const resource = toResource(file.path, index, doc, position, record, [])
		if (resource) {
			out.resources.push(resource)
		}
	})
	if (reported > MAX_ERRORS_PER_FILE) {
		const rest = reported - MAX_ERRORS_PER_FILE
		const last = out.problems.at(-1)
		out.problems.push({
			file: file.path,
			position: last?.position ?? { line: 1, column: 1 },
			message: `${rest} more YAML error${rest === 1 ? '' : 's'} in this file not shown`,
		})
	}
}

function isKustomizeConfig(path: string, apiVersion: string | undefined): boolean {
	if (apiVersion?.startsWith('kustomize.config.k8s.io/')) {
		return true
	}
	// kustomize reads kustomization.yaml without apiVersion/kind; a Flux Kustomization has its own group.
	return apiVersion === undefined && KUSTOMIZE_FILE.test(path)
}

function kustomizeConfig(path: string, record: Record<string, unknown>): KustomizeConfig {
	const dir = dirname(path)
	const resources = Array.isArray(record.resources)
		? record.resources
				.filter((r): r is string => typeof r === 'string' && !/^[a-z]+:\/\//i.test(r))
				.map((r) => joinPath(dir, r))
				.filter((r): r is string => r !== undefined)
		: []
	return {
		file: path,
		namespace:
			typeof record.namespace === 'string' && record.namespace !== ''
				? record.namespace
				: undefined,
		resources,
	}
}

function toResource(
	file: string,
	document: number,
	doc: Document,
	position: (offset: number) => Position,
	value: unknown,
	base: readonly (string | number)[],
): Resource | undefined {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		return undefined
	}
	const data = value as Record<string, unknown>
	if (typeof data.apiVersion !== 'string' || typeof data.kind !== 'string') {
		return undefined
	}
	const metadata = isRecord(data.metadata) ? data.metadata : {}
	const annotations: Record<string, string> = {}
	if (isRecord(metadata.annotations)) {
		for (const [key, v] of Object.entries(metadata.annotations)) {
			if (typeof v === 'string') {
				annotations[key] = v
			}
		}
	}
	const namespace =
		typeof metadata.namespace === 'string' && metadata.namespace !== ''
			? metadata.namespace
			: undefined
	const slash = data.apiVersion.indexOf('/')
	const nodeAt = (path: readonly (string | number)[]): Node | undefined =>
		nodeUnder(doc.contents, [...base, ...path])
	return {
		file,
		document,
		apiVersion: data.apiVersion,
		group: slash === -1 ? '' : data.apiVersion.slice(0, slash),
		kind: data.kind,
		name: typeof metadata.name === 'string' && metadata.name !== '' ? metadata.name : undefined,
		namespace,
		namespaceFrom: namespace === undefined ? undefined : 'metadata',
		annotations,
		data,
		at: (path) => position(yamlOffset(doc.contents, [...base, ...path]) ?? 0),
		node: nodeAt,
		positionOf: (node) => position(node.range?.[0] ?? 0),
	}
}

/**
 * kustomize's namespace transformer sets `namespace:` on every namespaced object of the files its
 * kustomization.yaml lists, overriding what they say. The nearest kustomization wins.
 */
function applyKustomizeNamespaces(
	resources: Resource[],
	kustomizations: readonly KustomizeConfig[],
): void {
	const withNamespace = kustomizations.filter((k) => k.namespace !== undefined)
	if (withNamespace.length === 0) {
		return
	}
	for (const resource of resources) {
		if (CLUSTER_SCOPED.has(resource.kind)) {
			continue
		}
		let best: { namespace: string; depth: number } | undefined
		for (const k of withNamespace) {
			for (const listed of k.resources) {
				if (resource.file === listed || resource.file.startsWith(`${listed}/`)) {
					const depth = listed.length
					if (k.namespace && (!best || depth > best.depth)) {
						best = { namespace: k.namespace, depth }
					}
				}
			}
		}
		if (best) {
			resource.namespace = best.namespace
			resource.namespaceFrom = 'kustomization'
		}
	}
}

/**
 * Kinds that are never in a namespace (core and well-known APIs). A namespace written on one of
 * these is ignored by the API server, so it must not make the object look "in" a namespace.
 */
export const CLUSTER_SCOPED: ReadonlySet<string> = new Set([
	'APIService',
	'CertificateSigningRequest',
	'ClusterIssuer',
	'ClusterRole',
	'ClusterRoleBinding',
	'ComponentStatus',
	'CSIDriver',
	'CSINode',
	'CustomResourceDefinition',
	'FlowSchema',
	'IngressClass',
	'MutatingWebhookConfiguration',
	'Namespace',
	'Node',
	'PersistentVolume',
	'PriorityClass',
	'PriorityLevelConfiguration',
	'RuntimeClass',
	'StorageClass',
	'ValidatingAdmissionPolicy',
	'ValidatingAdmissionPolicyBinding',
	'ValidatingWebhookConfiguration',
	'VolumeAttachment',
])

function nodeUnder(root: unknown, path: readonly (string | number)[]): Node | undefined {
	let node: unknown = root
	for (const segment of path) {
		if (isMap(node)) {
			const pair = node.items.find(
				(p) => isScalar(p.key) && String(p.key.value) === String(segment),
			)
			if (!pair) {
				return undefined
			}
			node = pair.value
		} else if (isSeq(node) && typeof segment === 'number') {
			node = node.items[segment]
		} else {
			return undefined
		}
	}
	return (node ?? undefined) as Node | undefined
}

/** The first alias whose anchor is not defined before it (toJS would throw on it). */
function unresolvedAlias(doc: Document): Alias | undefined {
	let found: Alias | undefined
	visit(doc, {
		Alias(_, node) {
			if (node.resolve(doc) === undefined) {
				found = node
				return visit.BREAK
			}
			return undefined
		},
	})
	return found
}

function yamlMessage(e: YAMLError): string {
	const plain = e.message.split('\n')[0] ?? e.message
	switch (e.code) {
		case 'DUPLICATE_KEY':
			return 'invalid YAML: a key appears twice in one mapping; kubectl and Flux refuse such a document'
		case 'TAB_AS_INDENT':
			return 'invalid YAML: tabs are not allowed for indentation; indent with spaces'
		case 'RESOURCE_EXHAUSTION':
			return 'invalid YAML: nested too deeply'
		default:
			return `invalid YAML: ${lowerFirst(plain)}`
	}
}

function lowerFirst(message: string): string {
	return message.charAt(0).toLowerCase() + message.slice(1)
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The directory of a repository-relative path (`''` at the root). */
export function dirname(path: string): string {
	const slash = path.lastIndexOf('/')
	return slash === -1 ? '' : path.slice(0, slash)
}

/** Joins a relative reference to a directory; undefined when it climbs out of the repository. */
function joinPath(dir: string, ref: string): string | undefined {
	const out = dir === '' ? [] : dir.split('/')
	for (const segment of ref.split('/')) {
		if (segment === '' || segment === '.') {
			continue
		}
		if (segment === '..') {
			if (out.length === 0) {
				return undefined
			}
			out.pop()
			continue
		}
		out.push(segment)
	}
	return out.join('/')
}
