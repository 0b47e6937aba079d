// A malicious tidegate.yaml (docs/threat-model.md): whoever can push to the tracked branch writes
// the file the consumer parses. Each is refused with a located error, and none takes long: the
// bound below is far above what each needs (tens of milliseconds) and far below what each cost
// before it was guarded (a flow nesting: 2.6 s; 20,000 keys: 11 s; 20,000 duplicate keys: 170 s;
// a path of 60,000 \pL: 12 s).
import { describe, expect, it } from 'vitest'
import { loadDesiredState, MAX_DIAGNOSTICS } from '../../../src/domain/desired-state/load.ts'
import { checkPathRegex } from '../../../src/domain/desired-state/path-regex.ts'
import { formatDiagnostic } from '../../../src/domain/diagnostics.ts'

// Generous: the machines that run the suite are shared, and parsing 256 KiB costs half a second.
const QUICK_MS = 5_000

function timed<T>(fn: () => T): { value: T; ms: number } {
	const started = performance.now()
	const value = fn()
	return { value, ms: performance.now() - started }
}

/** The diagnostics of a refused file as `line:col path message`. */
function refused(text: string): string[] {
	const { value, ms } = timed(() => loadDesiredState(text))
	expect(ms).toBeLessThan(QUICK_MS)
	if (value.ok) {
		throw new Error('expected the file to be refused')
	}
	return value.error.map((d) => formatDiagnostic('tidegate.yaml', d).replace('tidegate.yaml:', ''))
}

const ruleWithPath = (path: string) => `version: 1
owner: oceanid
tunnel:
  accountId: 0123456789abcdef0123456789abcdef
  tunnelId: 6ff4dfd7-2b77-4a4f-84d9-3241bea658dc
  ingress:
    - hostname: a.example.com
      path: '${path}'
      service: http://a:80
`

describe('a hostile tidegate.yaml', () => {
	it('too big: refused before parsing', () => {
		expect(refused(`# ${'x'.repeat(300 * 1024)}\n`)).toEqual([
			'1:1 (document) file is 307203 bytes; the limit is 262144 (256 KiB)',
		])
	})

	it('flow collections nested 50,000 deep: refused at the 33rd level', () => {
		expect(refused(`version: 1\nowner: ${'{a: '.repeat(50_000)}1${'}'.repeat(50_000)}\n`)).toEqual([
			'2:136 (document) invalid YAML: […] and {…} nested more than 32 levels deep; tidegate refuses it',
		])
	})

	it('brackets inside quoted strings and comments are text, not nesting', () => {
		const result = loadDesiredState(`version: 1
owner: oceanid # ${'['.repeat(100)}
splitTunnel:
  accountId: 0123456789abcdef0123456789abcdef
  include:
    - address: 10.42.0.0/16
      description: "${'['.repeat(40)}"
`)
		expect(result.ok && result.value.state.splitTunnels[0]?.entries[0]?.description).toBe(
			`${'['.repeat(40)} - oceanid`,
		)
	})

	it('an alias bomb ("billion laughs"): refused at the first alias', () => {
		const bomb = [
			'version: 1',
			'owner: oceanid',
			'a: &a ["x","x","x","x","x","x","x","x","x"]',
			...'bcdefgh'
				.split('')
				.map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`),
		].join('\n')
		expect(refused(bomb)[0]).toMatch(
			/^4:8 b\[0\] invalid YAML: aliases expand too much \(a "billion laughs" alias bomb\?\)/,
		)
	})

	it('20,000 copies of one key: the first duplicates listed, located', () => {
		const lines = refused(
			`version: 1\nowner: oceanid\n${Array.from({ length: 20_000 }, (_, i) => `k: ${i}`).join('\n')}\n`,
		)
		expect(lines[0]).toBe('4:1 k invalid YAML: duplicate key "k"; each key may appear only once')
		expect(lines.length).toBeLessThanOrEqual(22)
	})

	it(`20,000 unknown keys: the first ${MAX_DIAGNOSTICS} listed, located, and how many more`, () => {
		const lines = refused(
			`version: 1\nowner: oceanid\n${Array.from({ length: 20_000 }, (_, i) => `k${i}: v`).join('\n')}\n`,
		)
		expect(lines).toHaveLength(MAX_DIAGNOSTICS + 1)
		expect(lines[0]).toBe('3:1 k0 unknown key "k0"')
		expect(lines[MAX_DIAGNOSTICS]).toBe(
			`${MAX_DIAGNOSTICS + 2}:1 (document) ${20_000 - MAX_DIAGNOSTICS} more findings not shown; fix these and run again`,
		)
	})
})

describe('a hostile path regex (RE2 in cloudflared; never run by tidegate)', () => {
	it('a nested quantifier that backtracks in JavaScript is fine for RE2, and checked at once', () => {
		const { value, ms } = timed(() => checkPathRegex('^(a+)+$'))
		expect(value).toEqual({ ok: true, anchored: true, alternation: false })
		expect(ms).toBeLessThan(QUICK_MS)
	})

	it('60,000 Unicode classes are checked by name, not compiled one by one', () => {
		const { value, ms } = timed(() => checkPathRegex(`^${'\\pL'.repeat(60_000)}`))
		expect(value).toMatchObject({ ok: true })
		expect(ms).toBeLessThan(QUICK_MS)
		expect(checkPathRegex('^\\p{Klingon}')).toEqual({
			ok: false,
			error:
				'path "^\\p{Klingon}" is not a valid regular expression: \\p{Klingon} is not a Unicode class RE2 knows',
		})
	})

	it('groups nested 60,000 deep: refused as RE2 refuses them, the pattern abbreviated', () => {
		const lines = refused(ruleWithPath(`^${'('.repeat(60_000)}a${')'.repeat(60_000)}`))
		expect(lines).toEqual([
			`8:13 tunnel.ingress[0].path path "^${'('.repeat(76)}…" is not a valid regular expression: groups nest more than 1000 deep (RE2's limit)`,
		])
	})

	it('nested repeats past RE2’s size limit: refused ("expression too large")', () => {
		expect(refused(ruleWithPath('^((a{1000}){1000}){1000}$'))).toEqual([
			`8:13 tunnel.ingress[0].path path "^((a{1000}){1000}){1000}$" is not a valid regular expression: its repeats nest to 1,000,000,000 copies, past RE2's size limit ("expression too large")`,
		])
		expect(checkPathRegex('^(a{1000}){1000}$')).toMatchObject({ ok: true })
	})
})
