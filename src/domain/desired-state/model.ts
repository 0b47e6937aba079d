/**
 * @module The normalised desired state and the cross-field rules that make it safe to apply:
 * catch-all last and only last, no shadowed or duplicate rules, canonical non-overlapping CIDRs,
 * descriptions that still fit Cloudflare's limit once the ownership suffix is added.
 */

import { type Diagnostic, error, warning, type YamlPath } from '../diagnostics.ts'
import { type Cidr, cidrContains, parseCidr } from '../edge/cidr.ts'
import { hostnameCovers, parseHostname } from '../edge/hostname.ts'
import { parseService } from '../edge/service.ts'
import { namePatternProblem, pathGlobProblem, valuesPathProblem } from '../preflight/patterns.ts'
import type { OriginRequest, RawDesiredState } from './schema.ts'

/** One tunnel ingress rule as it is sent to Cloudflare. No hostname means "any host". */
export interface IngressRule {
	hostname?: string
	path?: string
	service: string
	originRequest?: OriginRequest
}

/** One split-tunnel include entry as it is sent to Cloudflare (description carries the owner suffix). */
export interface IncludeEntry {
	address?: string
	host?: string
	description: string
	/** tidegate-only: never removed by automation. Not sent to Cloudflare. */
	protected: boolean
}

/** The tunnel section, normalised: `ingress` ends with the catch-all rule. */
export interface TunnelState {
	accountId: string
	tunnelId: string
	warpRouting?: boolean
	originRequest?: OriginRequest
	ingress: IngressRule[]
}

/** The split-tunnel section, normalised. */
export interface SplitTunnelState {
	accountId: string
	policy: string
	include: IncludeEntry[]
}

/** `tidegate.yaml` after validation and normalisation: what tidegate makes true. */
export interface DesiredState {
	version: 1
	owner: string
	tunnel?: TunnelState
	splitTunnel?: SplitTunnelState
	egress: NonNullable<RawDesiredState['egress']>
	sync: RawDesiredState['sync']
	ownership?: OwnershipConfig
}

/** The `ownership` section with defaults: what the pre-flight check enforces (docs/preflight.md). */
export type OwnershipConfig = NonNullable<RawDesiredState['ownership']>

/** Cloudflare's limit on a split-tunnel description. */
export const MAX_DESCRIPTION = 100

/** The suffix that marks a split-tunnel entry as tidegate's: ` - <owner>`. */
export const ownerSuffix = (owner: string): string => ` - ${owner}`

/** Applies every cross-field rule; returns the normalised state only when there is no error. */
export function validateDesiredState(raw: RawDesiredState): {
	state?: DesiredState
	diagnostics: Diagnostic[]
} {
	const diagnostics: Diagnostic[] = []
	const tunnel = raw.tunnel && normaliseTunnel(raw.tunnel, diagnostics)
	const splitTunnel = raw.splitTunnel && normaliseSplitTunnel(raw, raw.splitTunnel, diagnostics)
	const egress = raw.egress ?? { targets: [], expect: [], checkIngressTargets: false }
	checkEgress(egress, diagnostics)
	if (raw.ownership) {
		checkOwnership(raw.ownership, diagnostics)
	}
	if (diagnostics.some((d) => d.severity === 'error')) {
		return { diagnostics }
	}
	const state: DesiredState = { version: 1, owner: raw.owner, egress, sync: raw.sync }
	if (tunnel) {
		state.tunnel = tunnel
	}
	if (splitTunnel) {
		state.splitTunnel = splitTunnel
	}
	if (raw.ownership) {
		state.ownership = raw.ownership
	}
	return { state, diagnostics }
}

function normaliseTunnel(
	raw: NonNullable<RawDesiredState['tunnel']>,
	out: Diagnostic[],
): TunnelState {
	const rules: IngressRule[] = []
	const seen: { rule: IngressRule; index: number }[] = []
	raw.ingress.forEach((written, index) => {
		const at: YamlPath = ['tunnel', 'ingress', index]
		let hostname: string | undefined
		let valid = true
		if (written.hostname !== undefined && written.hostname !== '*') {
			const host = parseHostname(written.hostname)
			if (host.ok) {
				hostname = host.value.name
			} else {
				out.push(error([...at, 'hostname'], host.error))
				valid = false
			}
		}
		if (written.path !== undefined) {
			const regex = checkPathRegex(written.path)
			if (!regex.ok) {
				out.push(error([...at, 'path'], regex.error))
				valid = false
			} else if (!regex.anchored) {
				out.push(
					warning(
						[...at, 'path'],
						`path "${written.path}" is not anchored: cloudflared matches it anywhere in the request path, not only at the start; ${regex.alternation ? 'start every alternative with ^' : `write "^${written.path}"`} to match a prefix`,
					),
				)
			}
		}
		const service = parseService(written.service)
		if (!service.ok) {
			out.push(error([...at, 'service'], service.error))
		}
		// Key order is the order Cloudflare's dashboard and API show, so stored documents diff cleanly.
		const rule: IngressRule = {
			...(hostname !== undefined && { hostname }),
			...(written.path !== undefined && { path: written.path }),
			service: service.ok ? service.value.text : written.service,
			...(written.originRequest && { originRequest: written.originRequest }),
		}
		const anyHost = written.hostname === undefined || written.hostname === '*'
		if (anyHost && written.path === undefined) {
			out.push(
				error(
					at,
					`this rule matches every request (${written.hostname === '*' ? 'hostname "*"' : 'no hostname'}, no path), so the rules after it could never match; the catch-all belongs in tunnel.catchAll, which is always last`,
				),
			)
			valid = false
		}
		if (valid) {
			const earlier = seen.find(
				(s) => hostnameCovers(s.rule.hostname, rule.hostname) && pathCovers(s.rule.path, rule.path),
			)
			if (earlier && sameMatch(earlier.rule, rule)) {
				out.push(
					error(
						at,
						`duplicate rule: ${describeMatch(rule)} is already ingress[${earlier.index}] (hostnames are compared in lowercase)`,
					),
				)
			} else if (earlier) {
				out.push(
					error(
						at,
						`rule can never match: ingress[${earlier.index}] (${describeMatch(earlier.rule)}) matches every request this one would, and the first match wins; move this rule above it`,
					),
				)
			}
			seen.push({ rule, index })
		}
		rules.push(rule)
	})
	const catchAll = parseService(raw.catchAll)
	if (!catchAll.ok) {
		out.push(error(['tunnel', 'catchAll'], catchAll.error))
	}
	rules.push({ service: catchAll.ok ? catchAll.value.text : raw.catchAll })
	const tunnel: TunnelState = {
		accountId: raw.accountId,
		tunnelId: raw.tunnelId,
		ingress: rules,
	}
	if (raw.warpRouting !== undefined) {
		tunnel.warpRouting = raw.warpRouting
	}
	if (raw.originRequest) {
		tunnel.originRequest = raw.originRequest
	}
	return tunnel
}

function describeMatch(rule: IngressRule): string {
	return `hostname "${rule.hostname ?? '*'}"${rule.path === undefined ? '' : ` path "${rule.path}"`}`
}

function sameMatch(a: IngressRule, b: IngressRule): boolean {
	return a.hostname === b.hostname && a.path === b.path
}

/** A missing path matches every path; otherwise only an identical regex is known to cover another. */
function pathCovers(outer: string | undefined, inner: string | undefined): boolean {
	return outer === undefined || outer === inner
}

/** Go's RE2 refuses a repetition count above this (regexp/syntax maxRepeat, "invalid repeat count"). */
const RE2_MAX_REPEAT = 1000
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
	try {
		new RegExp(`\\p{${name}}`, 'u')
		return true
	} catch {
		return false
	}
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
 * refuses (lookarounds, backreferences, atomic groups, repeats over 1000) are refused by name,
 * and JavaScript's engine judges the rest of the syntax.
 */
export function checkPathRegex(path: string): PathRegex {
	const refuse = (what: string): PathRegex => ({
		ok: false,
		error: `path "${path}" uses ${what}, which Go's RE2 (used by cloudflared) does not support`,
	})
	const invalid = (why: string): PathRegex => ({
		ok: false,
		error: `path "${path}" is not a valid regular expression: ${why}`,
	})
	let out = ''
	let depth = 0
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
	while (i < path.length) {
		const c = path[i] as string
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
				const property = isUnicodeProperty(name) ? name : `Script=${name}`
				out += `\\${negate ? 'P' : 'p'}{${property}}`
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
					depth += 1
					out += `(?<${named[1]}>`
					i += 2 + named[0].length
					continue
				}
				if (flags && RE2_FLAGS.test(flags[1] ?? '') && flags[1] !== '') {
					// Flags change matching, not syntax: `(?i)` vanishes, `(?i:` becomes a plain group.
					if (flags[2] === ':') {
						startsAlternative(false)
						depth += 1
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
			depth += 1
			out += c
			i += 1
			continue
		}
		if (c === ')') {
			depth -= 1
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

function normaliseSplitTunnel(
	raw: RawDesiredState,
	section: NonNullable<RawDesiredState['splitTunnel']>,
	out: Diagnostic[],
): SplitTunnelState {
	const suffix = ownerSuffix(raw.owner)
	const include: IncludeEntry[] = []
	const networks: { cidr: Cidr; index: number }[] = []
	const hosts = new Map<string, number>()
	section.include.forEach((written, index) => {
		const at: YamlPath = ['splitTunnel', 'include', index]
		const entry: IncludeEntry = {
			description: written.description + suffix,
			protected: written.protected,
		}
		if (written.address !== undefined) {
			const cidr = parseCidr(written.address)
			if (cidr.ok) {
				entry.address = cidr.value.text
				for (const other of networks) {
					const here = cidr.value.text
					const there = `include[${other.index}] (${other.cidr.text})`
					if (other.cidr.text === here) {
						out.push(
							error([...at, 'address'], `duplicate: ${here} is already include[${other.index}]`),
						)
					} else if (cidrContains(other.cidr, cidr.value)) {
						out.push(error([...at, 'address'], `${here} lies inside ${there}; keep one of them`))
					} else if (cidrContains(cidr.value, other.cidr)) {
						out.push(error([...at, 'address'], `${here} contains ${there}; keep one of them`))
					}
				}
				networks.push({ cidr: cidr.value, index })
			} else {
				out.push(error([...at, 'address'], cidr.error))
			}
		}
		if (written.host !== undefined) {
			const host = parseHostname(written.host)
			if (host.ok) {
				entry.host = host.value.name
				const first = hosts.get(host.value.name)
				if (first !== undefined) {
					out.push(
						error([...at, 'host'], `duplicate: ${host.value.name} is already include[${first}]`),
					)
				} else {
					hosts.set(host.value.name, index)
				}
			} else {
				out.push(error([...at, 'host'], host.error))
			}
		}
		if (entry.description.length > MAX_DESCRIPTION) {
			out.push(
				error(
					[...at, 'description'],
					`description is ${entry.description.length} characters once the ownership suffix "${suffix}" is added; Cloudflare allows ${MAX_DESCRIPTION} (shorten it by ${entry.description.length - MAX_DESCRIPTION})`,
				),
			)
		}
		include.push(entry)
	})
	return { accountId: section.accountId, policy: section.policy, include }
}

function checkEgress(egress: DesiredState['egress'], out: Diagnostic[]): void {
	const names = new Map<string, number>()
	egress.targets.forEach((target, index) => {
		const first = names.get(target.name)
		if (first !== undefined) {
			out.push(
				error(
					['egress', 'targets', index, 'name'],
					`duplicate target name (also targets[${first}])`,
				),
			)
		}
		names.set(target.name, index)
		if (
			target.probe !== 'http' &&
			(target.path !== undefined || target.expectStatus !== undefined)
		) {
			out.push(
				error(['egress', 'targets', index], 'path and expectStatus apply only to probe: http'),
			)
		}
	})
	egress.expect.forEach((expectation, index) => {
		if (!names.has(expectation.target)) {
			out.push(
				error(
					['egress', 'expect', index, 'target'],
					`unknown target "${expectation.target}"; define it under egress.targets`,
				),
			)
		}
	})
}

/** Pattern syntax and selector rules of `ownership`, each error at the entry it is about. */
function checkOwnership(ownership: OwnershipConfig, out: Diagnostic[]): void {
	for (const key of ['fluxPaths', 'excludePaths'] as const) {
		ownership[key].forEach((glob, index) => {
			const problem = pathGlobProblem(glob)
			if (problem) {
				out.push(error(['ownership', key, index], problem))
			}
		})
	}
	ownership.reserved.forEach((entry, index) => {
		const at: YamlPath = ['ownership', 'reserved', index]
		if (!entry.kinds && !entry.namespaces && !entry.names) {
			out.push(
				error(
					at,
					`reserves nothing: give at least one of kinds, namespaces, names (an entry reserves the resources that match all it gives)`,
				),
			)
		}
		entry.names?.forEach((pattern, i) => {
			const problem = namePatternProblem(pattern)
			if (problem) {
				out.push(error([...at, 'names', i], problem))
			}
		})
	})
	ownership.valuesRules.forEach((rule, index) => {
		const at: YamlPath = ['ownership', 'valuesRules', index]
		const forbid = valuesPathProblem(rule.forbid, true)
		if (forbid) {
			out.push(error([...at, 'forbid'], forbid))
		}
		if (rule.use !== undefined) {
			const use = valuesPathProblem(rule.use, false)
			if (use) {
				out.push(error([...at, 'use'], use))
			}
		}
	})
}
