/**
 * @module Turns the text of `tidegate.yaml` into a DesiredState, or into located diagnostics.
 * Every finding carries its YAML path and line:column, because the file is edited by hand.
 */

import {
	type Alias,
	type Document,
	isMap,
	isScalar,
	isSeq,
	Lexer,
	LineCounter,
	type Node,
	parseDocument,
	visit,
	type YAMLError,
	YAMLParseError,
} from 'yaml'
import type * as z from 'zod'
import { err, ok, type Result } from '../../lib/result.ts'
import { type Diagnostic, error, warning, type YamlPath } from '../diagnostics.ts'
import { yamlOffset } from '../yaml-locate.ts'
import { readBlockYaml } from './block-yaml.ts'
import { type DesiredState, validateDesiredState } from './model.ts'
import { desiredStateSchema } from './schema.ts'

/** A desired-state file larger than this is refused before parsing. */
export const MAX_DESIRED_STATE_BYTES = 256 * 1024

/**
 * Bound on alias expansion (the yaml package's `maxAliasCount`), so a "billion laughs" document
 * cannot exhaust memory. A hand-written tidegate.yaml needs a few aliases at most.
 */
export const MAX_ALIAS_COUNT = 50

/**
 * Flow collections (`[…]`, `{…}`) nested deeper than this are refused before parsing: the parser's
 * cost grows with the square of the depth (100,000 levels take seconds), and a hand-written
 * tidegate.yaml nests a few.
 */
export const MAX_FLOW_DEPTH = 32

/** At most this many YAML syntax errors are listed; one broken bracket can cause hundreds. */
const MAX_YAML_ERRORS = 20

/**
 * At most this many findings are located and listed; a file of 20,000 unknown keys would
 * otherwise cost seconds to locate, and nobody reads past the first screen.
 */
export const MAX_DIAGNOSTICS = 50

/**
 * The version of LoadedDesiredState's shape and of what validation produces, part of every cache
 * key: bump it whenever either changes, so an upgraded Worker never reads a state an older one
 * cached (test/unit/domain/desired-state-cache.test.ts fails until it is bumped).
 */
export const DESIRED_STATE_FORMAT = 1

/** A valid desired state and the warnings it still deserves. */
export interface LoadedDesiredState {
	state: DesiredState
	warnings: Diagnostic[]
}

/** Parses, validates and normalises `tidegate.yaml`. Fails with every error found, each located. */
export function loadDesiredState(text: string): Result<LoadedDesiredState, Diagnostic[]> {
	const size = new TextEncoder().encode(text).byteLength
	if (size > MAX_DESIRED_STATE_BYTES) {
		return err([
			{
				...error(
					[],
					`file is ${size} bytes; the limit is ${MAX_DESIRED_STATE_BYTES} (${MAX_DESIRED_STATE_BYTES / 1024} KiB)`,
				),
				line: 1,
				column: 1,
			},
		])
	}
	// A leading BOM is legal in YAML but invisible in editors; positions are counted without it.
	const source = text.replace(/^\uFEFF/, '')
	const clean = loadBlockStyle(source)
	if (clean) {
		return ok(clean)
	}
	const deep = tooDeep(source)
	if (deep) {
		return err([deep])
	}
	const lines = new LineCounter()
	// Duplicate keys are found below in one pass: the yaml package's own check compares every key
	// with every other (20,000 keys: 11 s).
	const doc = parseDocument(source, {
		lineCounter: lines,
		uniqueKeys: false,
		prettyErrors: false,
	})
	const scanned = scan(doc)
	doc.errors.push(...scanned.duplicates)
	if (doc.errors.length > 0) {
		return err(syntaxErrors(doc, lines))
	}
	const yamlWarnings = doc.warnings.map((w) => fromYamlError(doc, lines, w, 'warning'))
	const aliasProblem = checkAliases(doc, lines, scanned.unresolved)
	if (aliasProblem) {
		return err([aliasProblem])
	}
	let data: unknown
	try {
		data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
	} catch (e) {
		// The yaml package throws only for alias expansion beyond the bound (checked above otherwise).
		const first = firstAlias(doc)
		const offset = first?.range?.[0]
		return err([
			{
				...error(
					offset === undefined ? [] : pathAt(doc, offset),
					`invalid YAML: aliases expand too much (a "billion laughs" alias bomb?); tidegate refuses it (${lowerFirst((e as Error).message)})`,
				),
				...at(lines.linePos(offset ?? 0)),
			},
		])
	}
	if (data === null || data === undefined) {
		return err([
			{ ...error([], 'file is empty; expected a tidegate.yaml document'), line: 1, column: 1 },
		])
	}
	const parsed = desiredStateSchema.safeParse(data, { error: friendlyMessage })
	if (!parsed.success) {
		const keyed = new WeakSet<Diagnostic>()
		const diagnostics = parsed.error.issues.flatMap((issue) => toDiagnostics(issue, keyed))
		const fromSoundSections = checkSoundSections(data, parsed.error.issues)
		return err(
			capped(
				sortByPosition([
					...locate(doc, lines, diagnostics.slice(0, MAX_DIAGNOSTICS), keyed),
					...locate(doc, lines, fromSoundSections.slice(0, MAX_DIAGNOSTICS)),
					...yamlWarnings,
				]),
				diagnostics.length + fromSoundSections.length + yamlWarnings.length,
			),
		)
	}
	const { state, diagnostics } = validateDesiredState(parsed.data)
	const located = capped(
		sortByPosition([...locate(doc, lines, diagnostics.slice(0, MAX_DIAGNOSTICS)), ...yamlWarnings]),
		diagnostics.length + yamlWarnings.length,
	)
	if (!state) {
		return err(located)
	}
	keepLines(state, (path) => {
		const offset = yamlOffset(doc.contents, path)
		return offset === undefined ? undefined : lines.linePos(offset).line
	})
	return ok({ state, warnings: located })
}

/**
 * The common case at a tenth of the cost: a file in plain block style (src/domain/desired-state/
 * block-yaml.ts) that validates without a single finding. Anything else — YAML beyond that style,
 * an error or a warning to locate — answers `undefined` and takes the full path, which reads the
 * same file to the same state.
 */
function loadBlockStyle(source: string): LoadedDesiredState | undefined {
	const read = readBlockYaml(source)
	const parsed = read && desiredStateSchema.safeParse(read.value)
	if (!(read && parsed?.success)) {
		return undefined
	}
	const { state, diagnostics } = validateDesiredState(parsed.data)
	if (!state || diagnostics.length > 0) {
		return undefined
	}
	keepLines(state, read.lineOf)
	return { state, warnings: [] }
}

/** Zones are known only when Cloudflare is read: keeps the lines of what may be refused then. */
function keepLines(state: DesiredState, lineOf: (path: YamlPath) => number | undefined): void {
	for (const spec of [...(state.tunnel?.dns ?? []), ...(state.tunnel?.routes ?? [])]) {
		const line = lineOf(spec.at)
		if (line !== undefined) {
			spec.line = line
		}
	}
}

/**
 * YAML errors, located. One broken bracket can set off an error per nesting level, so when the
 * parser ran out of stack only that is said, repeats are dropped, and the list is capped.
 */
function syntaxErrors(doc: Document, lines: LineCounter): Diagnostic[] {
	const exhausted = doc.errors.find((e) => e.code === 'RESOURCE_EXHAUSTION')
	const seen = new Set<string>()
	const unique = sortByPosition(
		(exhausted ? [exhausted] : doc.errors).map((e) => fromYamlError(doc, lines, e, 'error')),
	).filter((d) => {
		const key = `${d.line}:${d.column}:${d.message}`
		return !seen.has(key) && seen.add(key) !== undefined
	})
	if (unique.length <= MAX_YAML_ERRORS) {
		return unique
	}
	const rest = unique.length - MAX_YAML_ERRORS
	const next = unique[MAX_YAML_ERRORS]
	return [
		...unique.slice(0, MAX_YAML_ERRORS),
		{
			...error(
				[],
				`${rest} more YAML error${rest === 1 ? '' : 's'} not shown; fix these and run again`,
			),
			...(next?.line !== undefined && { line: next.line, column: next.column ?? 1 }),
		},
	]
}

/**
 * The first `MAX_DIAGNOSTICS` findings, and a last one saying how many more there are (`total`
 * counts them all, also those not passed in because they were never located).
 */
function capped(diagnostics: Diagnostic[], total: number): Diagnostic[] {
	if (total <= MAX_DIAGNOSTICS) {
		return diagnostics
	}
	const shown = diagnostics.slice(0, MAX_DIAGNOSTICS)
	const last = shown[shown.length - 1]
	return [
		...shown,
		{
			...error([], `${total - shown.length} more findings not shown; fix these and run again`),
			...(last?.line !== undefined && { line: last.line, column: last.column ?? 1 }),
		},
	]
}

/**
 * One walk over the document: every map key that repeats an earlier scalar key of the same map, as
 * the yaml package's own DUPLICATE_KEY error (so it is reported the same way), at most as many as
 * are ever listed; and the first alias whose anchor is not defined before it.
 */
function scan(doc: Document): { duplicates: YAMLParseError[]; unresolved: Alias | undefined } {
	const found: YAMLParseError[] = []
	let unresolved: Alias | undefined
	visit(doc, {
		Alias(_, node) {
			if (unresolved === undefined && node.resolve(doc) === undefined) {
				unresolved = node
			}
		},
		Map(_, map) {
			const seen = new Set<unknown>()
			for (const pair of map.items) {
				if (!isScalar(pair.key)) {
					continue
				}
				if (seen.has(pair.key.value)) {
					const [start, end] = pair.key.range ?? [0, 0]
					found.push(new YAMLParseError([start, end], 'DUPLICATE_KEY', 'Map keys must be unique'))
					if (found.length > MAX_YAML_ERRORS) {
						return visit.BREAK
					}
				}
				seen.add(pair.key.value)
			}
			return undefined
		},
	})
	return { duplicates: found, unresolved }
}

/**
 * Refuses flow collections nested deeper than `MAX_FLOW_DEPTH`, found by YAML's own lexer (so
 * brackets inside quoted strings do not count), pointing at the bracket that went too deep.
 */
function tooDeep(source: string): Diagnostic | undefined {
	// Fewer opening brackets than the bound cannot nest past it: skip lexing the file a second time
	// (a tenth of loading a block-style file, which has none).
	let open = 0
	for (let i = 0; i < source.length && open <= MAX_FLOW_DEPTH; i++) {
		const c = source.charCodeAt(i)
		if (c === 0x5b || c === 0x7b) {
			open++
		}
	}
	if (open <= MAX_FLOW_DEPTH) {
		return undefined
	}
	let depth = 0
	let offset = 0
	for (const token of new Lexer().lex(source)) {
		if (token === '[' || token === '{') {
			depth += 1
			if (depth > MAX_FLOW_DEPTH) {
				const before = source.slice(0, offset)
				const line = before.split('\n').length
				return {
					...error(
						[],
						`invalid YAML: […] and {…} nested more than ${MAX_FLOW_DEPTH} levels deep; tidegate refuses it`,
					),
					line,
					column: offset - before.lastIndexOf('\n'),
				}
			}
		} else if (token === ']' || token === '}') {
			depth -= 1
		}
		// The lexer's document, scalar and flow-end markers take no room in the source.
		if (
			!(token.length === 1 && token < ' ' && token !== '\n' && token !== '\t' && token !== '\r')
		) {
			offset += token.length
		}
	}
	return undefined
}

/**
 * A structural error in one section must not hide the rule errors of another: the sections that
 * parsed cleanly are checked on their own, so one run reports every error it can.
 */
function checkSoundSections(data: unknown, issues: readonly z.core.$ZodIssue[]): Diagnostic[] {
	if (typeof data !== 'object' || data === null || Array.isArray(data)) {
		return []
	}
	const broken = new Set<unknown>()
	for (const issue of issues) {
		const section =
			issue.code === 'unrecognized_keys' && issue.path.length === 0 ? undefined : issue.path[0]
		if (section === undefined) {
			continue
		}
		broken.add(section)
	}
	const sound: Record<string, unknown> = {}
	for (const [key, value] of Object.entries(data)) {
		if (!broken.has(key) && key in desiredStateSchema.shape) {
			sound[key] = value
		}
	}
	// The owner suffix decides description lengths, so without a valid owner the include list waits.
	if (broken.has('owner')) {
		delete sound.splitTunnel
	}
	sound.version = 1
	sound.owner = broken.has('owner') ? 'owner' : sound.owner
	const reparsed = desiredStateSchema.safeParse(sound)
	return reparsed.success ? validateDesiredState(reparsed.data).diagnostics : []
}

function toDiagnostics(
	issue: z.core.$ZodIssue,
	keyed: WeakSet<Diagnostic>,
	prefix: (string | number)[] = [],
): Diagnostic[] {
	const path = [...prefix, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')]
	if (issue.code === 'invalid_union') {
		// `splitTunnel` is one profile or a list: report the branch whose shape was written.
		const written = issue.errors.find(
			(branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0),
		)
		if (written) {
			return written.flatMap((nested) => toDiagnostics(nested, keyed, path))
		}
		return [error(path, 'must be one device profile (a mapping) or a list of them')]
	}
	if (issue.code === 'unrecognized_keys') {
		return issue.keys.map((key) => {
			const d = error([...path, key], `unknown key "${key}"${suggestion(key)}`)
			keyed.add(d)
			return d
		})
	}
	return [error(path, issue.message)]
}

/**
 * Zod's default messages ("Invalid input: expected number, received string") rewritten in the
 * operator's terms. Messages set on the schema itself take precedence over these.
 */
function friendlyMessage(issue: z.core.$ZodRawIssue): string | undefined {
	switch (issue.code) {
		case 'invalid_type': {
			const expected = describeType(issue.expected)
			if (issue.input === undefined) {
				return `is required (${expected})`
			}
			return `must be ${expected}, not ${describeValue(issue.input)}${typeHint(issue.expected, issue.input)}`
		}
		case 'too_small':
			if (issue.origin === 'string' && Number(issue.minimum) === 1) {
				return 'must not be empty'
			}
			if (issue.origin === 'array') {
				return Number(issue.minimum) === 1
					? 'must not be empty'
					: `must list at least ${issue.minimum} entries`
			}
			return `must be at least ${issue.minimum}${issue.inclusive === false ? ' (exclusive)' : ''}`
		case 'too_big':
			if (issue.origin === 'string' || issue.origin === 'array') {
				return `must have at most ${issue.maximum} ${issue.origin === 'string' ? 'characters' : 'entries'}`
			}
			return `must be at most ${issue.maximum}`
		case 'invalid_value':
			return issue.values.length === 1
				? `must be ${JSON.stringify(issue.values[0])}`
				: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
		case 'invalid_format':
			if (issue.format === 'starts_with') {
				return `must start with "${(issue as { prefix?: string }).prefix ?? ''}"`
			}
			return undefined
		default:
			return undefined
	}
}

function describeType(expected: string): string {
	const names: Record<string, string> = {
		string: 'a string',
		number: 'a number',
		int: 'a whole number',
		boolean: 'true or false',
		object: 'a mapping (key: value lines)',
		array: 'a list',
	}
	return names[expected] ?? expected
}

function describeValue(input: unknown): string {
	if (input === null) {
		return 'empty'
	}
	if (Array.isArray(input)) {
		return 'a list'
	}
	if (input instanceof Uint8Array) {
		return 'binary data'
	}
	switch (typeof input) {
		case 'string':
			return `the string ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`
		case 'number':
		case 'boolean':
			return String(input)
		case 'object':
			return 'a mapping'
		default:
			return typeof input
	}
}

function typeHint(expected: string, input: unknown): string {
	if (typeof input !== 'string') {
		return ''
	}
	if (expected === 'boolean' && /^(y|yes|n|no|on|off|true|false)$/i.test(input)) {
		return '; YAML 1.2 reads only true and false as booleans, without quotes'
	}
	if ((expected === 'number' || expected === 'int') && /^-?\d+(\.\d+)?$/.test(input)) {
		return '; remove the quotes'
	}
	return ''
}

const KNOWN_MISSPELLINGS: Record<string, string> = {
	hostName: 'hostname',
	host_name: 'hostname',
	catchall: 'catchAll',
	catch_all: 'catchAll',
	split_tunnel: 'splitTunnel',
	splittunnel: 'splitTunnel',
	tunnel_id: 'tunnelId',
	account_id: 'accountId',
	origin_request: 'originRequest',
	'warp-routing': 'warpRouting',
	warp_routing: 'warpRouting',
	kind: 'kinds',
	namespace: 'namespaces',
	fluxPath: 'fluxPaths',
	flux_paths: 'fluxPaths',
	exclude_paths: 'excludePaths',
	values_rules: 'valuesRules',
}

function suggestion(key: string): string {
	const hint = KNOWN_MISSPELLINGS[key]
	return hint ? `; did you mean ${hint}?` : ''
}

/** Refuses an alias whose anchor is not defined before it (found by scan), pointing at the alias. */
function checkAliases(
	doc: Document,
	lines: LineCounter,
	node: Alias | undefined,
): Diagnostic | undefined {
	if (node === undefined) {
		return undefined
	}
	const offset = node.range?.[0] ?? 0
	return {
		...error(
			pathAt(doc, offset),
			`invalid YAML: alias *${node.source} has no anchor &${node.source} before it`,
		),
		...at(lines.linePos(offset)),
	}
}

function firstAlias(doc: Document): Alias | undefined {
	let found: Alias | undefined
	visit(doc, {
		Alias(_, node) {
			found = node
			return visit.BREAK
		},
	})
	return found
}

/**
 * A YAML error or warning, located. Only a duplicate key or an unresolved tag leaves the document's
 * structure sound enough to name a path; a syntax error is reported against the document.
 */
function fromYamlError(
	doc: Document,
	lines: LineCounter,
	e: YAMLError,
	severity: 'error' | 'warning',
): Diagnostic {
	const offset = e.pos[0]
	const make = severity === 'error' ? error : warning
	const sound = e.code === 'DUPLICATE_KEY' || e.code === 'TAG_RESOLVE_FAILED'
	return {
		...make(sound ? pathAt(doc, offset) : [], yamlMessage(e, doc)),
		...at(lines.linePos(offset)),
	}
}

function yamlMessage(e: YAMLError, doc: Document): string {
	const plain = e.message.split('\n')[0] ?? e.message
	switch (e.code) {
		case 'DUPLICATE_KEY': {
			const key = keyAt(doc, e.pos[0])
			return `invalid YAML: duplicate key${key === undefined ? '' : ` "${key}"`}; each key may appear only once`
		}
		case 'MULTIPLE_DOCS':
			return 'invalid YAML: the file holds more than one document (a second "---"); tidegate.yaml is a single document'
		case 'TAB_AS_INDENT':
			return 'invalid YAML: tabs are not allowed for indentation; indent with spaces'
		case 'BAD_ALIAS':
			return plain === 'Alias cannot be an empty string'
				? 'invalid YAML: a bare * starts an alias; write "*" in quotes for a wildcard hostname'
				: `invalid YAML: ${lowerFirst(plain)}`
		case 'RESOURCE_EXHAUSTION':
			return 'invalid YAML: nested too deeply'
		case 'TAG_RESOLVE_FAILED':
			return `${lowerFirst(plain)}; the value is read as a plain string`
		default:
			return `invalid YAML: ${lowerFirst(plain)}`
	}
}

function lowerFirst(message: string): string {
	return message.charAt(0).toLowerCase() + message.slice(1)
}

/** The text of the map key that starts at `offset`, if any. */
function keyAt(doc: Document, offset: number): string | undefined {
	let key: string | undefined
	visit(doc, {
		Pair(_, pair) {
			if (isScalar(pair.key) && pair.key.range?.[0] === offset) {
				key = String(pair.key.value)
				return visit.BREAK
			}
			return undefined
		},
	})
	return key
}

/** The YAML path of the deepest map entry or list item that contains `offset`. */
function pathAt(doc: Document, offset: number): YamlPath {
	const path: (string | number)[] = []
	let node: unknown = doc.contents
	for (;;) {
		if (isMap(node)) {
			const pair = node.items.find((p) => {
				const start = (p.key as Node | null)?.range?.[0]
				const end = (p.value as Node | null)?.range?.[2] ?? (p.key as Node | null)?.range?.[2]
				return start !== undefined && end !== undefined && start <= offset && offset < end
			})
			if (!pair || !isScalar(pair.key)) {
				return path
			}
			path.push(String(pair.key.value))
			node = pair.value
		} else if (isSeq(node)) {
			const index = node.items.findIndex((item) => {
				const range = (item as Node | null)?.range
				return range != null && range[0] <= offset && offset < range[2]
			})
			if (index === -1) {
				return path
			}
			path.push(index)
			node = node.items[index]
		} else {
			return path
		}
	}
}

/**
 * Unknown keys (those in `atKey`) point at the key itself; everything else at the value when it
 * is a scalar, at the key when the value is a block, or at the nearest parent that exists.
 */
function locate(
	doc: Document,
	lines: LineCounter,
	diagnostics: Diagnostic[],
	atKey: WeakSet<Diagnostic> = new WeakSet(),
): Diagnostic[] {
	return diagnostics.map((d) => {
		const offset = yamlOffset(doc.contents, d.path, { atKey: atKey.has(d) })
		return offset === undefined ? d : { ...d, ...at(lines.linePos(offset)) }
	})
}

function sortByPosition(diagnostics: Diagnostic[]): Diagnostic[] {
	return diagnostics.sort(
		(a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
	)
}

function at(pos: { line: number; col: number }): { line: number; column: number } {
	return { line: pos.line, column: pos.col }
}
