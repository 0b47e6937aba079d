/**
 * @module cloudflared compiles an ingress rule's `path` with Go's RE2: this module checks a path
 * against RE2's syntax by translating it into JavaScript's dialect, refusing what RE2 refuses.
 */

/** Go's RE2 refuses a repetition count above this (regexp/syntax maxRepeat, "invalid repeat count"). */
const RE2_MAX_REPEAT = 1000
/** Go's RE2 refuses groups nested deeper than this (regexp/syntax maxHeight, "nests too deeply"). */
const RE2_MAX_DEPTH = 1000
/**
 * Go's RE2 refuses a program of more instructions than this (regexp/syntax maxSize, "expression
 * too large"); nested repeats multiply, so `((a{1000}){1000}){1000}` is far past it.
 */
const RE2_MAX_SIZE = Math.floor((128 << 20) / 40)
/** Property names already judged, so a pattern of thousands of `\pL` asks once. */
const knownProperties = new Map<string, boolean>()
const RE2_FLAGS = /^[imsU]*(?:-[imsU]+)?$/
const POSIX_CLASSES = new Set([
	'alnum',
	'alpha',
	'ascii',
	'blank',
	'cntrl',
	'digit',
	'graph',
	'lower',
	'print',
	'punct',
	'space',
	'upper',
	'word',
	'xdigit',
])
// Escapes RE2 knows besides punctuation and octal: \a \f \t \n \r \v \x \d \D \s \S \w \W \b \B \A \z \p \P \Q.
const RE2_LETTER_ESCAPES = new Set('aftnrvxdDsSwWbBAzpPQ')
const ASCII_PUNCTUATION = /^[!-/:-@[-`{-~]$/

function isUnicodeProperty(name: string): boolean {
	let known = knownProperties.get(name)
	if (known === undefined) {
		try {
			new RegExp(`\\p{${name}}`, 'u')
			known = true
		} catch {
			known = false
		}
		if (knownProperties.size < 256) {
			knownProperties.set(name, known)
		}
	}
	return known
}

/**
 * A path regex checked against RE2's syntax: whether every alternative is anchored at the start,
 * and whether there is more than one (a top-level `|`).
 */
export type PathRegex =
	| { ok: true; anchored: boolean; alternation: boolean }
	| { ok: false; error: string }

/**
 * cloudflared compiles `path` with Go's RE2, which is not JavaScript's dialect. The pattern is
 * translated token by token into an equivalent JavaScript `u` pattern (RE2-only syntax such as
 * `(?i)`, `(?P<name>`, `\A`, `\z`, `\Q…\E`, `[[:alpha:]]`, `\-`, a literal `{`), constructs RE2
 * refuses (lookarounds, backreferences, atomic groups, repeats over 1000, groups nested over 1000
 * deep, nested repeats past its size limit) are refused by name, and JavaScript's engine judges
 * the rest of the syntax. The check is linear in the pattern's length and never runs the pattern,
 * so no pattern can make validation hang (`\p{…}` classes, which V8 builds in full at compile
 * time, are checked by name and stand in as `\d` for that syntax check).
 */
export function checkPathRegex(path: string): PathRegex {
	// A pattern is quoted in messages, but a hostile one can be 200 KB long.
	const shown = path.length > 80 ? `${path.slice(0, 77)}…` : path
	const refuse = (what: string): PathRegex => ({
		ok: false,
		error: `path "${shown}" uses ${what}, which Go's RE2 (used by cloudflared) does not support`,
	})
	const invalid = (why: string): PathRegex => ({
		ok: false,
		error: `path "${shown}" is not a valid regular expression: ${why}`,
	})
	let out = ''
	let depth = 0
	// The largest product of repeat counts inside each open group (RE2 copies a repeated group).
	const repeated: number[] = [1]
	let justClosed = 0
	const openGroup = (): PathRegex | undefined => {
		depth += 1
		repeated.push(1)
		return depth > RE2_MAX_DEPTH
			? invalid(`groups nest more than ${RE2_MAX_DEPTH} deep (RE2's limit)`)
			: undefined
	}
	let inClass = false
	let classStart = false
	let atAlternativeStart = true
	let anchored = true
	let alternation = false
	const startsAlternative = (anchor: boolean): void => {
		if (depth === 0 && atAlternativeStart) {
			anchored &&= anchor
			atAlternativeStart = false
		}
	}
	let i = 0
	let closed = false
	while (i < path.length) {
		const c = path[i] as string
		// Whether this token directly follows a `)`, so a repeat here applies to that group.
		const closedBefore = closed
		closed = c === ')'
		if (c === '\\') {
			const next = path[i + 1]
			if (next === undefined) {
				return invalid('it ends with a lone backslash')
			}
			if (!inClass) {
				startsAlternative(next === 'A')
			}
			classStart = false
			if (/[1-9]/.test(next)) {
				return refuse(`a backreference (\\${next})`)
			}
			if (next === 'k') {
				return refuse('a named backreference (\\k)')
			}
			if (ASCII_PUNCTUATION.test(next)) {
				// RE2 lets any punctuation be escaped; JavaScript's u mode only its own syntax characters.
				out += `\\x${next.charCodeAt(0).toString(16).padStart(2, '0')}`
				i += 2
				continue
			}
			if (/[A-Za-z]/.test(next) && !RE2_LETTER_ESCAPES.has(next)) {
				return invalid(`\\${next} is not an escape RE2 knows`)
			}
			if (next === 'A' || next === 'z') {
				if (inClass) {
					return invalid(`\\${next} cannot appear inside [...]`)
				}
				out += next === 'A' ? '^' : '$'
				i += 2
				continue
			}
			if (next === 'a') {
				out += '\\x07'
				i += 2
				continue
			}
			if (next === 'x' && path[i + 2] === '{') {
				const close = path.indexOf('}', i + 3)
				if (close === -1) {
					return invalid('\\x{ is not closed')
				}
				out += `\\u{${path.slice(i + 3, close)}}`
				i = close + 1
				continue
			}
			if (next === 'p' || next === 'P') {
				const braced = path[i + 2] === '{'
				const close = braced ? path.indexOf('}', i + 3) : i + 2
				if (close === -1 || close >= path.length) {
					return invalid(`\\${next} needs a class name, e.g. \\pL or \\p{Greek}`)
				}
				let name = braced ? path.slice(i + 3, close) : (path[i + 2] as string)
				let negate = next === 'P'
				if (name.startsWith('^')) {
					negate = !negate
					name = name.slice(1)
				}
				// RE2 names general categories (L, Lu) and scripts (Greek) alike; JavaScript spells scripts out.
				if (!isUnicodeProperty(name) && !isUnicodeProperty(`Script=${name}`)) {
					return invalid(`\\${next}{${name}} is not a Unicode class RE2 knows`)
				}
				out += negate ? '\\D' : '\\d'
				i = close + 1
				continue
			}
			if (next === 'Q') {
				const end = path.indexOf('\\E', i + 2)
				const literal = path.slice(i + 2, end === -1 ? path.length : end)
				for (const ch of literal) {
					out += `\\u{${(ch.codePointAt(0) ?? 0).toString(16)}}`
				}
				i = end === -1 ? path.length : end + 2
				continue
			}
			out += c + next
			i += 2
			continue
		}
		if (inClass) {
			if (c === ']' && !classStart) {
				inClass = false
				out += c
				i += 1
				continue
			}
			if (c === ']') {
				// RE2 reads a `]` right after `[` or `[^` as a literal.
				out += '\\]'
				classStart = false
				i += 1
				continue
			}
			classStart = false
			if (c === '[' && path[i + 1] === ':') {
				const close = path.indexOf(':]', i + 2)
				const name = close === -1 ? undefined : path.slice(i + 2, close).replace(/^\^/, '')
				if (name !== undefined && POSIX_CLASSES.has(name)) {
					out += 'a'
					i = close + 2
					continue
				}
				if (name !== undefined && /^\^?[a-z]+$/.test(path.slice(i + 2, close))) {
					return invalid(`[:${name}:] is not a character class RE2 knows`)
				}
			}
			out += c
			i += 1
			continue
		}
		if (c === '[') {
			startsAlternative(false)
			inClass = true
			classStart = true
			out += c
			i += 1
			if (path[i] === '^') {
				out += '^'
				i += 1
			}
			continue
		}
		if (c === '(') {
			if (path[i + 1] === '?') {
				const rest = path.slice(i + 2)
				if (/^<?[=!]/.test(rest)) {
					return refuse('a lookaround assertion')
				}
				if (rest.startsWith('P=')) {
					return refuse('a named backreference')
				}
				if (rest.startsWith('>')) {
					return refuse('an atomic group')
				}
				const named = /^P?<([A-Za-z0-9_]+)>/.exec(rest)
				const flags = /^([^:)]*)([:)])/.exec(rest)
				if (named) {
					startsAlternative(false)
					const tooDeep = openGroup()
					if (tooDeep) {
						return tooDeep
					}
					out += `(?<${named[1]}>`
					i += 2 + named[0].length
					continue
				}
				if (flags && RE2_FLAGS.test(flags[1] ?? '') && flags[1] !== '') {
					// Flags change matching, not syntax: `(?i)` vanishes, `(?i:` becomes a plain group.
					if (flags[2] === ':') {
						startsAlternative(false)
						const tooDeep = openGroup()
						if (tooDeep) {
							return tooDeep
						}
						out += '(?:'
					}
					i += 2 + (flags[0] ?? '').length
					continue
				}
				if (!rest.startsWith(':')) {
					return invalid(`(?${rest.slice(0, 2)} is not group syntax RE2 knows`)
				}
			}
			startsAlternative(false)
			const tooDeep = openGroup()
			if (tooDeep) {
				return tooDeep
			}
			out += c
			i += 1
			continue
		}
		if (c === ')') {
			depth -= 1
			const inner = repeated.pop() ?? 1
			const outer = repeated.length - 1
			repeated[outer] = Math.max(repeated[outer] ?? 1, inner)
			justClosed = inner
			out += c
			i += 1
			continue
		}
		if (c === '|') {
			if (depth === 0) {
				if (atAlternativeStart) {
					anchored = false
				}
				atAlternativeStart = true
				alternation = true
			}
			out += c
			i += 1
			continue
		}
		if (c === '{') {
			const repeat = /^\{(\d+)(,(\d*))?\}/.exec(path.slice(i))
			if (repeat) {
				const counts = [repeat[1], repeat[3]].filter((n) => n !== undefined && n !== '')
				if (counts.some((n) => Number(n) > RE2_MAX_REPEAT)) {
					return invalid(`a repeat count above ${RE2_MAX_REPEAT} (RE2's limit)`)
				}
				// A repeat of a group copies everything repeated inside it.
				const copies = Math.max(1, ...counts.map(Number)) * (closedBefore ? justClosed : 1)
				if (copies > RE2_MAX_SIZE) {
					return invalid(
						`its repeats nest to ${copies.toLocaleString('en-US')} copies, past RE2's size limit ("expression too large")`,
					)
				}
				const top = repeated.length - 1
				repeated[top] = Math.max(repeated[top] ?? 1, copies)
				out += repeat[0]
				i += repeat[0].length
				continue
			}
			// RE2 reads a brace that does not start a repeat as a literal.
			startsAlternative(false)
			out += '\\{'
			i += 1
			continue
		}
		if (c === '}' || c === ']') {
			startsAlternative(false)
			out += `\\${c}`
			i += 1
			continue
		}
		startsAlternative(c === '^')
		out += c
		i += 1
	}
	if (atAlternativeStart && depth === 0) {
		// An empty last alternative (`^/a|`) matches everywhere.
		anchored = false
	}
	try {
		new RegExp(out, 'u')
	} catch (e) {
		const message = (e as Error).message
		return invalid(message.slice(message.lastIndexOf(': ') + 2).toLowerCase())
	}
	return { ok: true, anchored, alternation }
}
