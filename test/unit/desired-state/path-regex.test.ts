/**
 * The RE2 path-regex check (an ingress rule's `path`, compiled by cloudflared with Go's RE2):
 * what it reports of a pattern it accepts.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkPathRegex } from '../../../src/domain/desired-state/path-regex.ts'

describe('checkPathRegex', () => {
	it.each([
		['^/api', true, false],
		['/api', false, false],
		['^/a|^/b', true, true],
		['^/a|/b', false, true],
		['(?i)^/a', true, false],
		['\\A/a', true, false],
		['(^/a)', false, false], // conservative: a group at the start is not looked into
	] as const)('%s: anchored %s, alternation %s', (path, anchored, alternation) => {
		expect(checkPathRegex(path)).toEqual({ ok: true, anchored, alternation })
	})
})

// Patterns from the subset where RE2 and JavaScript agree: literals, `.`, escaped punctuation,
// simple classes, groups, alternation inside groups, and repeats well under RE2's limits.
const atom: fc.Arbitrary<string> = fc.letrec<{ atom: string; seq: string }>((tie) => ({
	atom: fc.oneof(
		{ depthSize: 'small', withCrossShrink: true },
		fc.constantFrom('a', 'b', 'z', '0', '9', '/', '-', '_', '.', '\\.', '\\/', '\\d', '\\w'),
		fc.constantFrom('[a-z]', '[^/]', '[0-9_]', '[.]'),
		fc
			.tuple(tie('seq'), fc.option(tie('seq'), { nil: undefined }), fc.boolean())
			.map(([a, b, capture]) => `(${capture ? '' : '?:'}${a}${b === undefined ? '' : `|${b}`})`),
	),
	seq: fc
		.array(
			fc.tuple(tie('atom'), fc.constantFrom('', '', '*', '+', '?', '{2}', '{1,3}', '{0,}', '*?')),
			{ minLength: 1, maxLength: 4 },
		)
		.map((parts) => parts.map(([a, q]) => a + q).join('')),
})).seq

/** A top-level alternative of the subset, anchored or not. */
const alternative = fc
	.tuple(fc.boolean(), atom, fc.boolean())
	.map(([anchor, body, end]) => ({ anchor, text: `${anchor ? '^' : ''}${body}${end ? '$' : ''}` }))

const subsetPattern = fc.array(alternative, { minLength: 1, maxLength: 3 }).map((alts) => ({
	path: alts.map((a) => a.text).join('|'),
	anchored: alts.every((a) => a.anchor),
	alternation: alts.length > 1,
}))

describe('checkPathRegex (properties)', () => {
	it('accepts every pattern of the subset RE2 and JavaScript share, reporting its anchoring', () => {
		fc.assert(
			fc.property(subsetPattern, ({ path, anchored, alternation }) => {
				// The generator only writes what JavaScript itself compiles: the reference.
				expect(() => new RegExp(path, 'u')).not.toThrow()
				expect(checkPathRegex(path)).toEqual({ ok: true, anchored, alternation })
			}),
		)
	})

	it('judges an RE2-only spelling exactly as its JavaScript twin', () => {
		const respell = fc.constantFrom<[string, string]>(
			['^', '\\A'],
			['(?:', '(?i:'],
			['(', '(?P<n>'],
			['\\.', '\\Q.\\E'],
			['-', '\\-'],
			['[a-z]', '[[:lower:]]'],
		)
		fc.assert(
			fc.property(subsetPattern, respell, ({ path }, [js, re2]) => {
				// `^` right after `[` negates a class rather than anchoring; `(?:` is not a capture.
				const at = [...path].findIndex(
					(_, i) =>
						path.startsWith(js, i) &&
						!(js === '^' && path[i - 1] === '[') &&
						!(js === '(' && path.startsWith('(?:', i)),
				)
				fc.pre(at !== -1)
				const twin = path.slice(0, at) + re2 + path.slice(at + js.length)
				expect(checkPathRegex(twin)).toEqual(checkPathRegex(path))
			}),
		)
	})

	it('refuses a construct RE2 lacks wherever it appears, naming it and quoting the path', () => {
		const unsupported = fc.constantFrom<[string, string]>(
			['(?=a)', 'a lookaround assertion'],
			['(?!a)', 'a lookaround assertion'],
			['(?<=a)', 'a lookaround assertion'],
			['(?<!a)', 'a lookaround assertion'],
			['(?>a)', 'an atomic group'],
			['(a)\\1', 'a backreference (\\1)'],
			['(?<n>a)\\k<n>', 'a named backreference (\\k)'],
		)
		fc.assert(
			fc.property(subsetPattern, fc.nat(), unsupported, ({ path }, cut, [construct, name]) => {
				// Cut between two alternatives or at the end, so the pattern around stays valid.
				const bars = [path.length, ...[...path].flatMap((c, i) => (c === '|' ? [i] : []))]
				const at = bars[cut % bars.length] ?? path.length
				const hostile = path.slice(0, at) + construct + path.slice(at)
				const result = checkPathRegex(hostile)
				expect(result.ok).toBe(false)
				expect(!result.ok && result.error).toMatch(/^path ".*" uses /s)
				expect(!result.ok && result.error).toContain(`uses ${name}, which Go's RE2`)
			}),
		)
	})

	it('never throws: any string is either accepted or refused with a message quoting it', () => {
		fc.assert(
			fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (path) => {
				const result = checkPathRegex(path)
				if (!result.ok) {
					expect(result.error.startsWith('path "')).toBe(true)
				}
			}),
		)
	})
})
