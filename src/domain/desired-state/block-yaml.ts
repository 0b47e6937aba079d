/**
 * @module A fast reader for the plain block-style YAML that tidegate.yaml files are written in:
 * `key: value` mappings and `- item` sequences, plain and quoted one-line scalars, comments.
 *
 * Why by hand: the `yaml` package stays in the bundle because it locates every finding, but it
 * parses at about 4 MB/s (5 ms for a 100-rule file, 50 ms for 1,000, the whole CPU budget), and
 * js-yaml, ten times faster, would add 11–14 KiB gzip to a bundle held under 200 KiB. This reader
 * returns exactly what the `yaml` package (YAML 1.2, core schema) returns for the same text, or
 * `undefined` for anything beyond the subset (flow collections, anchors, tags, block scalars,
 * escapes, multi-line scalars, duplicate keys, errors), which then takes the full path. A
 * differential property test holds it to the `yaml` package.
 */

import type { YamlPath } from '../diagnostics.ts'

/** What was read: the document's value, and where each mapping and sequence in it begins. */
export interface BlockYaml {
	value: unknown
	/** The 1-based line of the mapping or sequence at `path`, when there is one. */
	lineOf(path: YamlPath): number | undefined
}

/** A line that holds content (blank and comment-only lines are dropped up front). */
interface Line {
	/** 1-based line number in the source. */
	number: number
	/** Spaces before the content. */
	indent: number
	content: string
}

/** Nesting beyond this is left to the full parser (a compact `- - - …` line could nest deeply). */
const MAX_DEPTH = 64

/** A key the reader takes: a plain identifier-like word, followed by `:` and a space or the end. */
const KEY = /^([A-Za-z_][A-Za-z0-9_-]*):(?: |$)/

/** Core-schema scalars (the `yaml` package's own patterns) that read as something else than a string. */
const NULL = /^(?:~|[Nn]ull|NULL)?$/
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/
const INT = /^[-+]?[0-9]+$/
/** Octal, hexadecimal, float, infinity and NaN: rare in tidegate.yaml, left to the full parser. */
const OTHER_NUMBER =
	/^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/

/** Tabs, control characters, a byte-order mark inside the text, a lone CR: left to the full parser. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters it looks for
const UNREAD = /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f\ufeff]|\r(?!\n)/

/** Thrown to leave the subset; caught once at the top. */
class Declined extends Error {}

function decline(): never {
	throw new Declined()
}

/** Reads `source`, or answers `undefined` when it is not in the subset (see the module comment). */
export function readBlockYaml(source: string): BlockYaml | undefined {
	if (UNREAD.test(source)) {
		return undefined
	}
	const lines = contentLines(source)
	if (!lines || lines.length === 0) {
		return undefined
	}
	const starts = new WeakMap<object, number>()
	try {
		const reader = new Reader(lines, starts)
		const first = lines[0] as Line
		const value = reader.node(first.indent, 0)
		if (reader.at < lines.length) {
			return undefined
		}
		return { value, lineOf: (path) => lineOf(value, path, starts) }
	} catch (e) {
		if (e instanceof Declined) {
			return undefined
		}
		throw e
	}
}

/** The lines with content, or `undefined` for directives and document markers. */
function contentLines(source: string): Line[] | undefined {
	const lines: Line[] = []
	let opened = false
	const raw = source.split('\n')
	for (let i = 0; i < raw.length; i++) {
		let text = raw[i] as string
		if (text.endsWith('\r')) {
			text = text.slice(0, -1)
		}
		let indent = 0
		while (text.charCodeAt(indent) === 0x20) {
			indent++
		}
		const content = text.slice(indent)
		if (content === '' || content.startsWith('#')) {
			continue
		}
		if (indent === 0 && (content.startsWith('%') || isMarker(content, '...'))) {
			return undefined
		}
		if (indent === 0 && isMarker(content, '---')) {
			// Only an opening `---` with nothing after it (a second one starts another document).
			if (opened || lines.length > 0 || withoutComment(content.slice(3)) !== '') {
				return undefined
			}
			opened = true
			continue
		}
		lines.push({ number: i + 1, indent, content })
	}
	return lines
}

function isMarker(content: string, marker: string): boolean {
	return content.startsWith(marker) && (content.length === 3 || content[3] === ' ')
}

/** A recursive-descent reader over the content lines. */
class Reader {
	at = 0
	private readonly lines: Line[]
	private readonly starts: WeakMap<object, number>

	constructor(lines: Line[], starts: WeakMap<object, number>) {
		this.lines = lines
		this.starts = starts
	}

	/** The mapping or sequence whose first line is the next one, at `indent`. */
	node(indent: number, depth: number): unknown {
		if (depth > MAX_DEPTH) {
			decline()
		}
		const line = this.lines[this.at] as Line
		if (line.indent !== indent) {
			decline()
		}
		return isItem(line.content) ? this.sequence(indent, depth) : this.mapping(indent, depth)
	}

	private mapping(indent: number, depth: number): Record<string, unknown> {
		const map: Record<string, unknown> = {}
		this.starts.set(map, (this.lines[this.at] as Line).number)
		for (
			let line = this.lines[this.at];
			line && line.indent >= indent;
			line = this.lines[this.at]
		) {
			const key = KEY.exec(line.content)?.[1]
			if (line.indent > indent || key === undefined || key in map || !isString(key)) {
				decline()
			}
			this.at++
			const rest = withoutComment(line.content.slice(key.length + 1))
			map[key] = rest === '' ? this.nested(indent, depth) : this.scalarLast(rest, indent)
		}
		return map
	}

	private sequence(indent: number, depth: number): unknown[] {
		const list: unknown[] = []
		this.starts.set(list, (this.lines[this.at] as Line).number)
		for (
			let line = this.lines[this.at];
			line && line.indent === indent && isItem(line.content);
			line = this.lines[this.at]
		) {
			let spaces = 1
			while (line.content.charCodeAt(spaces) === 0x20) {
				spaces++
			}
			const rest = line.content.slice(spaces)
			if (isItem(rest) || KEY.test(rest)) {
				// `- key: value` and `- - item` open a collection on the item's own line: read the
				// rest of that line as if it were a line of its own, indented to where it starts.
				this.lines[this.at] = { number: line.number, indent: indent + spaces, content: rest }
				list.push(this.node(indent + spaces, depth + 1))
			} else {
				this.at++
				const text = withoutComment(rest)
				if (text === '') {
					decline()
				}
				list.push(this.scalarLast(text, indent))
			}
		}
		return list
	}

	/** The value of a key with nothing after it: a nested block, a compact sequence, or null. */
	private nested(indent: number, depth: number): unknown {
		const next = this.lines[this.at]
		if (next && next.indent > indent) {
			return this.node(next.indent, depth + 1)
		}
		if (next && next.indent === indent && isItem(next.content)) {
			return this.sequence(indent, depth + 1)
		}
		return null
	}

	/** A one-line scalar that nothing more indented may continue. */
	private scalarLast(text: string, indent: number): unknown {
		const next = this.lines[this.at]
		if (next && next.indent > indent) {
			decline()
		}
		return scalar(text)
	}
}

function isItem(content: string): boolean {
	return content === '-' || content.startsWith('- ')
}

/** Whether a key reads as a string under the core schema (and is no Object.prototype member). */
function isString(key: string): boolean {
	return !(NULL.test(key) || BOOL.test(key) || key in Object.prototype)
}

/** `text` without a trailing ` # comment` and surrounding spaces (quoted scalars are read whole). */
function withoutComment(text: string): string {
	const start = text.search(/[^ ]/)
	if (start === -1 || text[start] === '#') {
		return ''
	}
	const from = text.slice(start)
	if (from.startsWith('"') || from.startsWith("'")) {
		return from
	}
	const hash = from.indexOf(' #')
	return trimEndSpaces(hash === -1 ? from : from.slice(0, hash))
}

/** Only spaces: `String.prototype.trimEnd` would also drop no-break and other Unicode spaces. */
function trimEndSpaces(text: string): string {
	let end = text.length
	while (end > 0 && text.charCodeAt(end - 1) === 0x20) {
		end--
	}
	return text.slice(0, end)
}

/** A one-line scalar, as the core schema resolves it. */
function scalar(text: string): unknown {
	const first = text[0]
	if (first === '"' || first === "'") {
		return quoted(text, first)
	}
	// Indicators that start something beyond the subset (flow collections, anchors, aliases, tags,
	// block scalars, reserved characters), or a mapping inside a plain scalar (`a: b: c`).
	if (
		/^[[\]{}&*!|>%@`,#]/.test(text) ||
		/^[-?:](?: |$)/.test(text) ||
		text.includes(': ') ||
		text.endsWith(':')
	) {
		decline()
	}
	if (NULL.test(text)) {
		return null
	}
	if (BOOL.test(text)) {
		return text[0] === 't' || text[0] === 'T'
	}
	if (INT.test(text)) {
		return Number.parseInt(text, 10)
	}
	if (OTHER_NUMBER.test(text)) {
		decline()
	}
	return text
}

/** A quoted scalar closed on its own line, followed by nothing or a comment; escapes are declined. */
function quoted(text: string, quote: '"' | "'"): string {
	let value = ''
	let i = 1
	for (;;) {
		const close = text.indexOf(quote, i)
		if (close === -1) {
			decline()
		}
		value += text.slice(i, close)
		if (quote === "'" && text[close + 1] === "'") {
			value += "'"
			i = close + 2
			continue
		}
		i = close + 1
		break
	}
	if (quote === '"' && value.includes('\\')) {
		decline()
	}
	const after = text.slice(i)
	if (!(trimEndSpaces(after) === '' || /^ +#/.test(after))) {
		decline()
	}
	return value
}

/** The line where the collection at `path` begins. */
function lineOf(
	value: unknown,
	path: YamlPath,
	starts: WeakMap<object, number>,
): number | undefined {
	let node = value
	for (const step of path) {
		if (node === null || typeof node !== 'object') {
			return undefined
		}
		node = (node as Record<string | number, unknown>)[step]
	}
	return node !== null && typeof node === 'object' ? starts.get(node) : undefined
}
