/**
 * The fast block-style reader (src/domain/desired-state/block-yaml.ts) against the `yaml` package:
 * whatever it reads, it reads exactly as `yaml` does (value and the line of every collection), and
 * everything else it declines, leaving it to the full path. Differential, over generated documents
 * in the subset and over documents broken by random edits.
 */
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LineCounter, parseDocument } from 'yaml'
import { readBlockYaml } from '../../../src/domain/desired-state/block-yaml.ts'
import { loadDesiredState } from '../../../src/domain/desired-state/load.ts'
import type { YamlPath } from '../../../src/domain/diagnostics.ts'

const RUNS = Number(process.env.FC_RUNS ?? 300)

/** The `yaml` package's reading of `text`: its value when it finds no error and no warning. */
function reference(
	text: string,
): { value: unknown; lineOf: (path: YamlPath) => number } | undefined {
	const lines = new LineCounter()
	const doc = parseDocument(text, { lineCounter: lines })
	if (doc.errors.length > 0 || doc.warnings.length > 0) {
		return undefined
	}
	return {
		value: doc.toJS(),
		lineOf: (path) => {
			const node = path.length === 0 ? doc.contents : doc.getIn(path, true)
			const start = (node as { range?: [number] } | null)?.range?.[0]
			return start === undefined ? -1 : lines.linePos(start).line
		},
	}
}

/** Every path to a mapping or sequence inside `value`. */
function collectionPaths(value: unknown, path: YamlPath = []): YamlPath[] {
	if (value === null || typeof value !== 'object') {
		return []
	}
	const children = Array.isArray(value)
		? value.map((v, i) => [i, v] as const)
		: Object.entries(value as Record<string, unknown>)
	return [path, ...children.flatMap(([k, v]) => collectionPaths(v, [...path, k]))]
}

describe('readBlockYaml', () => {
	it('reads the example tidegate.yaml as the yaml package does, with the line of each rule', () => {
		const text = readFileSync('examples/tidegate.yaml', 'utf8')
		const read = readBlockYaml(text)
		expect(read?.value).toEqual(reference(text)?.value)
		expect(read?.lineOf(['tunnel', 'ingress', 1])).toBe(16)
		expect(read?.lineOf(['tunnel', 'routes', 0])).toBe(23)
		expect(read?.lineOf(['tunnel', 'ingress', 1, 'hostname'])).toBeUndefined()
	})

	it.each([
		[
			'a leading --- and CRLF line ends',
			'---\r\nversion: 1\r\nowner: a # c\r\n',
			{ version: 1, owner: 'a' },
		],
		['a compact sequence under its key', 'a:\n- x\n- y\nb: 1\n', { a: ['x', 'y'], b: 1 }],
		['a sequence of sequences', 'a:\n  - - 1\n    - 2\n  - - 3\n', { a: [[1, 2], [3]] }],
		[
			'core-schema scalars',
			"a: ~\nb: null\nc: True\nd: -007\ne: yes\nf: \"1\"\ng: 'it''s'\nh: a#b\ni:\n",
			{ a: null, b: null, c: true, d: -7, e: 'yes', f: '1', g: "it's", h: 'a#b', i: null },
		],
		['quoted text holding # and :', 'a: "x: #y" # a comment\n', { a: 'x: #y' }],
	])('reads %s', (_name, text, expected) => {
		expect(readBlockYaml(text)?.value).toEqual(expected)
		expect(reference(text)?.value).toEqual(expected)
	})

	it.each([
		['a flow sequence', 'a: [1, 2]\n'],
		['an anchor and an alias', 'a: &x 1\nb: *x\n'],
		['a tag', 'a: !!str 1\n'],
		['a block scalar', 'a: |\n  text\n'],
		['an escape in double quotes', 'a: "x\\ny"\n'],
		['a scalar over two lines', 'a: one\n  two\n'],
		['a duplicate key', 'a: 1\na: 2\n'],
		['a directive', '%YAML 1.2\n---\na: 1\n'],
		['a second document', 'a: 1\n---\nb: 2\n'],
		['a document end marker', 'a: 1\n...\n'],
		['a tab', 'a:\t1\n'],
		['hexadecimal, octal and floats', 'a: 0x1f\n'],
		['a space before the colon', 'a : 1\n'],
		['a key that is not a string', 'true: 1\n'],
		['an empty item', 'a:\n  -\n    b: 1\n'],
		['a mapping inside a plain scalar', 'a: b: c\n'],
		['a syntax error', 'a: "open\n'],
		['nothing but comments', '# only a comment\n'],
		['nesting deeper than the bound', `a: ${'- '.repeat(100)}x\n`],
	])('declines %s', (_name, text) => {
		expect(readBlockYaml(text)).toBeUndefined()
	})
})

const keyArb = fc.constantFrom('a', 'b', 'version', 'hostname', 'x-y', 'k_1', 'on', 'yes', 'Z')
/** Plain scalars inside the subset, some of which resolve to null, booleans or integers. */
const plainArb = fc.constantFrom(
	'oceanid',
	'http://a.b.svc:8080',
	'10.0.0.0/8',
	'a#b',
	'a b  c',
	'-1',
	'+12',
	'0012',
	'42',
	'true',
	'FALSE',
	'Null',
	'~',
	'yes',
	'-x',
	'?x',
	'a,b',
	'a[0]',
	'é ü',
	'a\u00a0b',
	"it's",
	'x"y',
)
const quotedArb = fc.oneof(
	fc
		.string({ unit: fc.constantFrom('a', ' ', '#', ':', "'", '-', 'é'), maxLength: 8 })
		.map((s) => `'${s.replaceAll("'", "''")}'`),
	fc
		.string({ unit: fc.constantFrom('a', ' ', '#', ':', "'", '-'), maxLength: 8 })
		.map((s) => `"${s}"`),
)

type Tree =
	| { scalar: string }
	| { map: [string, Tree][]; step: number }
	| { seq: Tree[]; step: number; compact: boolean }

const treeArb = fc.letrec<{ tree: Tree }>((tie) => ({
	tree: fc.oneof(
		{ depthSize: 'small', withCrossShrink: true },
		fc.oneof(plainArb, quotedArb).map((scalar) => ({ scalar })),
		fc.record({
			map: fc.uniqueArray(fc.tuple(keyArb, tie('tree')), {
				minLength: 1,
				maxLength: 4,
				selector: ([k]) => k,
			}),
			step: fc.integer({ min: 1, max: 4 }),
		}),
		fc.record({
			seq: fc.array(tie('tree'), { minLength: 1, maxLength: 4 }),
			step: fc.integer({ min: 1, max: 3 }),
			compact: fc.boolean(),
		}),
	),
})).tree

/** Renders a tree as block-style YAML lines at `indent`. */
function render(tree: Tree, indent: number, comments: boolean): string[] {
	const pad = ' '.repeat(indent)
	const note = comments ? ' # note' : ''
	if ('scalar' in tree) {
		return [`${pad}${tree.scalar}`]
	}
	if ('map' in tree) {
		return tree.map.flatMap(([key, value]) => {
			if ('scalar' in value) {
				return [`${pad}${key}: ${value.scalar}${note}`]
			}
			const deeper = 'seq' in value && value.compact ? indent : indent + value.step
			return [`${pad}${key}:${note}`, ...render(value, deeper, comments)]
		})
	}
	return tree.seq.flatMap((item) => {
		const step = 'scalar' in item ? 1 : tree.step
		const lines = render(item, indent + 1 + step, comments)
		lines[0] = `${pad}-${' '.repeat(step)}${(lines[0] as string).trimStart()}`
		return lines
	})
}

const docArb = fc
	.record({
		root: treeArb.filter((t) => !('scalar' in t)),
		comments: fc.boolean(),
		commentLines: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 6 })), { maxLength: 3 }),
		crlf: fc.boolean(),
		marker: fc.boolean(),
	})
	.map(({ root, comments, commentLines, crlf, marker }) => {
		const lines = render(root, 0, comments)
		for (const [at, indent] of commentLines) {
			lines.splice(at % (lines.length + 1), 0, `${' '.repeat(indent)}# between`, '')
		}
		return `${marker ? '---\n' : ''}${lines.join('\n')}\n`.replaceAll('\n', crlf ? '\r\n' : '\n')
	})

describe('readBlockYaml against the yaml package', () => {
	it('reads every generated block-style document as yaml does, collections on the same lines', () => {
		fc.assert(
			fc.property(docArb, (text) => {
				const read = readBlockYaml(text)
				const ref = reference(text)
				expect(read).toBeDefined()
				expect(ref).toBeDefined()
				expect(read?.value).toEqual(ref?.value)
				for (const path of collectionPaths(ref?.value)) {
					expect([path, read?.lineOf(path)]).toEqual([path, ref?.lineOf(path)])
				}
			}),
			{ numRuns: RUNS },
		)
	})

	it('either declines a randomly broken document or reads it as yaml does', () => {
		const edit = fc.record({
			at: fc.nat(),
			insert: fc.constantFrom(
				' ',
				'  ',
				'-',
				'- ',
				':',
				': ',
				'#',
				' #',
				"'",
				'"',
				'\t',
				'\n',
				'\r',
				'[',
				'{',
				'&a ',
				'*a',
				'!',
				'|',
				'>',
				'%',
				'?',
				',',
				'~',
				'\\',
				'0x1',
				'.5',
				'---\n',
				'...\n',
				'\u00a0',
				'',
			),
			remove: fc.nat({ max: 3 }),
		})
		fc.assert(
			fc.property(docArb, fc.array(edit, { minLength: 1, maxLength: 3 }), (doc, edits) => {
				let text = doc
				for (const { at, insert, remove } of edits) {
					const i = at % (text.length + 1)
					text = text.slice(0, i) + insert + text.slice(i + remove)
				}
				const read = readBlockYaml(text)
				if (read === undefined) {
					return
				}
				const ref = reference(text)
				expect(ref, text).toBeDefined()
				expect(read.value).toEqual(ref?.value)
			}),
			{ numRuns: RUNS * 4 },
		)
	})
})

describe('loadDesiredState on the fast path', () => {
	it('loads the example to the same state as the full path, rule and route lines included', () => {
		const text = readFileSync('examples/tidegate.yaml', 'utf8')
		// A closing `...` is outside the fast reader's subset: the same file then takes the full path.
		const full = `${text}...\n`
		expect(readBlockYaml(full)).toBeUndefined()
		const fast = loadDesiredState(text)
		expect(fast).toEqual(loadDesiredState(full))
		expect(fast.ok && fast.value.state.tunnel?.routes?.map((r) => r.line)).toEqual([23, 25, 27])
	})
})
