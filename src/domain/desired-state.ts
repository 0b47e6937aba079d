/**
 * @module The normalised desired state and the cross-field rules that make it safe to apply:
 * catch-all last and only last, no shadowed or duplicate rules, canonical non-overlapping CIDRs,
 * descriptions that still fit Cloudflare's limit once the ownership suffix is added.
 */
import { type Cidr, cidrContains, parseCidr } from './cidr.ts'
import type { OriginRequest, RawDesiredState } from './desired-state-schema.ts'
import { type Diagnostic, error, warning, type YamlPath } from './diagnostics.ts'
import { hostnameCovers, parseHostname } from './hostname.ts'
import { parseService } from './service.ts'

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
	ownership?: RawDesiredState['ownership']
}

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
			const problem = checkPathRegex(written.path)
			if (problem) {
				out.push(error([...at, 'path'], problem))
				valid = false
			} else if (!written.path.startsWith('^')) {
				out.push(
					warning(
						[...at, 'path'],
						`path "${written.path}" is not anchored; cloudflared matches it anywhere in the URL path, so it also matches e.g. "/x${written.path}". Start it with ^ to match a prefix`,
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
			service: written.service,
			...(written.originRequest && { originRequest: written.originRequest }),
		}
		const anyHost = written.hostname === undefined || written.hostname === '*'
		if (anyHost && written.path === undefined) {
			out.push(
				error(
					at,
					'this rule matches every request (no hostname, no path), so the rules after it could never match; the catch-all belongs in tunnel.catchAll, which is always last',
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
						`duplicate rule: hostname "${rule.hostname ?? '*'}"${rule.path ? ` path "${rule.path}"` : ''} is already rule ${earlier.index}`,
					),
				)
			} else if (earlier) {
				out.push(
					error(
						at,
						`rule can never match: rule ${earlier.index} (hostname "${earlier.rule.hostname ?? '*'}"${earlier.rule.path ? `, path "${earlier.rule.path}"` : ''}) matches every request it would, and the first match wins`,
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
	rules.push({ service: raw.catchAll })
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

function sameMatch(a: IngressRule, b: IngressRule): boolean {
	return a.hostname === b.hostname && a.path === b.path
}

/** A missing path matches every path; otherwise only an identical regex is known to cover another. */
function pathCovers(outer: string | undefined, inner: string | undefined): boolean {
	return outer === undefined || outer === inner
}

/**
 * cloudflared compiles `path` with Go's RE2. JavaScript's engine is close enough to catch
 * syntax errors once Go's leading flag group is set aside; RE2-only refusals are checked by hand.
 */
function checkPathRegex(path: string): string | undefined {
	if (/\(\?<?[=!]/.test(path)) {
		return `path "${path}" uses a lookaround, which Go's RE2 (used by cloudflared) does not support`
	}
	if (/\\[1-9]/.test(path)) {
		return `path "${path}" uses a backreference, which Go's RE2 (used by cloudflared) does not support`
	}
	try {
		new RegExp(path.replace(/^\(\?[imsU]+\)/, ''), 'u')
		return undefined
	} catch (e) {
		return `path "${path}" is not a valid regular expression: ${(e as Error).message}`
	}
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
					if (other.cidr.text === cidr.value.text) {
						out.push(
							error(
								[...at, 'address'],
								`duplicate of include[${other.index}] (${cidr.value.text})`,
							),
						)
					} else if (cidrContains(other.cidr, cidr.value) || cidrContains(cidr.value, other.cidr)) {
						out.push(
							error(
								[...at, 'address'],
								`${cidr.value.text} overlaps include[${other.index}] (${other.cidr.text}); keep one of them`,
							),
						)
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
					out.push(error([...at, 'host'], `duplicate of include[${first}] (${host.value.name})`))
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
