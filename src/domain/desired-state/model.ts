/**
 * @module The normalised desired state and the cross-field rules that make it safe to apply:
 * catch-all last and only last, no shadowed or duplicate rules, canonical non-overlapping CIDRs,
 * descriptions that still fit Cloudflare's limit once the ownership suffix is added.
 */

import { type Diagnostic, error, warning, type YamlPath } from '../diagnostics.ts'
import { type Cidr, type CidrTrie, cidrContains, cidrTrie, parseCidr } from '../edge/cidr.ts'
import { hostnameCovers, parseHostname } from '../edge/hostname.ts'
import { parseService } from '../edge/service.ts'
import { namePatternProblem, pathGlobProblem, valuesPathProblem } from '../preflight/patterns.ts'
import { checkPathRegex } from './path-regex.ts'
import type { OriginRequest, RawDesiredState } from './schema.ts'

/** One tunnel ingress rule as it is sent to Cloudflare. No hostname means "any host". */
export interface IngressRule {
	hostname?: string
	path?: string
	service: string
	originRequest?: OriginRequest
}

/**
 * One entry of a split-tunnel list (include or exclude) that tidegate owns, as it is sent to
 * Cloudflare (the description carries the owner suffix) plus tidegate-only flags.
 */
export interface OwnedEntry {
	address?: string
	host?: string
	description: string
	/** tidegate-only: never removed by automation. Not sent to Cloudflare. */
	protected: boolean
	/** tidegate-only: take over a live entry at the same address or host written by someone else. */
	adopt: boolean
	/** tidegate-only: false when the CIDR reaches its network through something else than tunnel.routes. */
	tunnelRoute: boolean
}

/** The proxied CNAME an ingress hostname needs (`<hostname>` → `<tunnelId>.cfargotunnel.com`). */
export interface DnsRecordSpec {
	hostname: string
	/** Take over an existing record of this name that tidegate did not create. */
	adopt: boolean
	/** Where the rule is written, for messages found only when the zones are read. */
	at: YamlPath
	line?: number
}

/** A private-network route from a CIDR to the tunnel (the comment carries the owner suffix). */
export interface RouteSpec {
	network: string
	comment: string
	virtualNetworkId?: string
	adopt: boolean
	at: YamlPath
	line?: number
}

/** The tunnel section, normalised: `ingress` ends with the catch-all rule. */
export interface TunnelState {
	accountId: string
	tunnelId: string
	warpRouting?: boolean
	originRequest?: OriginRequest
	ingress: IngressRule[]
	/** One record per distinct hostname whose rule keeps `dns` on. */
	dns: DnsRecordSpec[]
	/** Absent when tidegate.yaml does not manage routes (`tunnel.routes` not written). */
	routes?: RouteSpec[]
}

/** One device profile's split-tunnel list, normalised. */
export interface SplitTunnelState {
	accountId: string
	policy: string
	/** The profile's mode as tidegate.yaml states it; a live profile in the other mode is refused. */
	mode: 'include' | 'exclude'
	entries: OwnedEntry[]
	/** Where the profile is written (`splitTunnel` or `splitTunnel[i]`). */
	at: YamlPath
}

/** `tidegate.yaml` after validation and normalisation: what tidegate makes true. */
export interface DesiredState {
	version: 1
	owner: string
	tunnel?: TunnelState
	/** Every device profile tidegate manages (`splitTunnel` may be one profile or a list). */
	splitTunnels: SplitTunnelState[]
	egress: NonNullable<RawDesiredState['egress']>
	sync: RawDesiredState['sync']
	ownership?: OwnershipConfig
}

/** The `ownership` section with defaults: what the pre-flight check enforces (docs/preflight.md). */
export type OwnershipConfig = NonNullable<RawDesiredState['ownership']>

/** Cloudflare's limit on a split-tunnel description, a route comment and a DNS record comment. */
export const MAX_DESCRIPTION = 100

/** The suffix that marks a split-tunnel entry, a route or a DNS record as tidegate's: ` - <owner>`. */
export const ownerSuffix = (owner: string): string => ` - ${owner}`

/** The comment tidegate writes on the DNS records it creates (ownership is the suffix). */
export const dnsComment = (owner: string): string => `tidegate ingress${ownerSuffix(owner)}`

/** The comment of a route written without one. */
export const DEFAULT_ROUTE_COMMENT = 'tidegate route'

/** Applies every cross-field rule; returns the normalised state only when there is no error. */
export function validateDesiredState(raw: RawDesiredState): {
	state?: DesiredState
	diagnostics: Diagnostic[]
} {
	const diagnostics: Diagnostic[] = []
	const tunnel = raw.tunnel && normaliseTunnel(raw.tunnel, raw.owner, diagnostics)
	const splitTunnels = normaliseSplitTunnels(raw, diagnostics)
	if (tunnel) {
		checkRouteCoverage(tunnel, splitTunnels, diagnostics)
	}
	const egress = raw.egress ?? { targets: [], expect: [], checkIngressTargets: false }
	checkEgress(egress, diagnostics)
	if (raw.ownership) {
		checkOwnership(raw.ownership, diagnostics)
	}
	if (diagnostics.some((d) => d.severity === 'error')) {
		return { diagnostics }
	}
	const state: DesiredState = {
		version: 1,
		owner: raw.owner,
		splitTunnels,
		egress,
		sync: raw.sync,
	}
	if (tunnel) {
		state.tunnel = tunnel
	}
	if (raw.ownership) {
		state.ownership = raw.ownership
	}
	return { state, diagnostics }
}

/**
 * Earlier ingress rules by hostname. The first rule that covers a new one can only be a rule for
 * any host, for the same name, or a wildcard over one of its suffixes, so only those few are
 * compared, not every earlier rule (shadowing checks were quadratic in the number of rules).
 */
function ruleIndex() {
	type Seen = { rule: IngressRule; index: number }
	const anyHost: Seen[] = []
	const byHost = new Map<string, Seen[]>()
	return {
		add(rule: IngressRule, index: number): void {
			const name = rule.hostname
			if (name === undefined || name === '*') {
				anyHost.push({ rule, index })
				return
			}
			const list = byHost.get(name)
			if (list) {
				list.push({ rule, index })
			} else {
				byHost.set(name, [{ rule, index }])
			}
		},
		/** The earliest rule that matches every request `rule` would. */
		firstCovering(rule: IngressRule): Seen | undefined {
			const name = rule.hostname
			const names = new Set<string>()
			if (name !== undefined && name !== '*') {
				names.add(name)
				for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
					names.add(`*${name.slice(dot)}`)
				}
			}
			let first: Seen | undefined
			for (const list of [anyHost, ...[...names].map((n) => byHost.get(n) ?? [])]) {
				// Each list is in file order: its first covering rule is its earliest.
				const found = list.find(
					(s) =>
						(first === undefined || s.index < first.index) &&
						hostnameCovers(s.rule.hostname, name) &&
						pathCovers(s.rule.path, rule.path),
				)
				if (found) {
					first = found
				}
			}
			return first
		},
	}
}

function normaliseTunnel(
	raw: NonNullable<RawDesiredState['tunnel']>,
	owner: string,
	out: Diagnostic[],
): TunnelState {
	const dns = new Map<string, DnsRecordSpec>()
	const rules: IngressRule[] = []
	const seen = ruleIndex()
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
			const earlier = seen.firstCovering(rule)
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
			seen.add(rule, index)
		}
		rules.push(rule)
		if (written.dns && hostname !== undefined && !dns.has(hostname)) {
			dns.set(hostname, { hostname, adopt: written.adopt, at })
		} else if (written.adopt && (!written.dns || hostname === undefined)) {
			out.push(
				warning(
					[...at, 'adopt'],
					'adopt has no effect here: it takes over the DNS record of the hostname, and this rule manages none',
				),
			)
		}
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
		dns: [...dns.values()],
	}
	if (raw.routes) {
		tunnel.routes = normaliseRoutes(raw.routes, owner, out)
		if (tunnel.routes.length > 0 && raw.warpRouting !== true) {
			out.push(
				error(
					raw.warpRouting === undefined ? ['tunnel', 'routes'] : ['tunnel', 'warpRouting'],
					'private-network routes need warpRouting: true on the tunnel, or cloudflared drops the traffic WARP sends it',
				),
			)
		}
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

type RawProfile = Exclude<NonNullable<RawDesiredState['splitTunnel']>, unknown[]>

/** `splitTunnel` as one profile or a list of them; a profile appears once. */
function normaliseSplitTunnels(raw: RawDesiredState, out: Diagnostic[]): SplitTunnelState[] {
	if (raw.splitTunnel === undefined) {
		return []
	}
	const listed = Array.isArray(raw.splitTunnel)
	const profiles: RawProfile[] = listed
		? (raw.splitTunnel as RawProfile[])
		: [raw.splitTunnel as RawProfile]
	const seen = new Map<string, number>()
	return profiles.map((profile, index) => {
		const at: YamlPath = listed ? ['splitTunnel', index] : ['splitTunnel']
		const id = `${profile.accountId}/${profile.policy}`
		const first = seen.get(id)
		if (first !== undefined) {
			out.push(
				error(
					[...at, 'policy'],
					`device profile ${profile.policy} of account ${profile.accountId} is already splitTunnel[${first}]`,
				),
			)
		}
		seen.set(id, index)
		return normaliseProfile(raw.owner, profile, at, out)
	})
}

function normaliseProfile(
	owner: string,
	section: RawProfile,
	at: YamlPath,
	out: Diagnostic[],
): SplitTunnelState {
	const mode = section.exclude === undefined ? 'include' : 'exclude'
	const written = section[mode] ?? []
	const suffix = ownerSuffix(owner)
	const entries: OwnedEntry[] = []
	const networks = cidrTrie<number>()
	const hosts = new Map<string, number>()
	written.forEach((item, index) => {
		const here: YamlPath = [...at, mode, index]
		const entry: OwnedEntry = {
			description: item.description + suffix,
			protected: item.protected,
			adopt: item.adopt,
			tunnelRoute: item.tunnelRoute,
		}
		if (item.address !== undefined) {
			const cidr = parseCidr(item.address)
			if (cidr.ok) {
				entry.address = cidr.value.text
				for (const clash of overlapProblems(cidr.value, networks, mode)) {
					out.push(error([...here, 'address'], clash))
				}
				networks.add(cidr.value, index)
			} else {
				out.push(error([...here, 'address'], cidr.error))
			}
		}
		if (item.host !== undefined) {
			const host = parseHostname(item.host)
			if (host.ok) {
				entry.host = host.value.name
				const first = hosts.get(host.value.name)
				if (first !== undefined) {
					out.push(
						error([...here, 'host'], `duplicate: ${host.value.name} is already ${mode}[${first}]`),
					)
				} else {
					hosts.set(host.value.name, index)
				}
			} else {
				out.push(error([...here, 'host'], host.error))
			}
		}
		const long = descriptionTooLong('description', entry.description, suffix)
		if (long) {
			out.push(error([...here, 'description'], long))
		}
		entries.push(entry)
	})
	return { accountId: section.accountId, policy: section.policy, mode, entries, at }
}

/** Every earlier network of one list that `cidr` repeats or overlaps; `where` names the list. */
function overlapProblems(cidr: Cidr, networks: CidrTrie<number>, where: string): string[] {
	const overlapping = networks
		.overlapping(cidr)
		.map(({ cidr, value }) => ({ cidr, index: value }))
		.sort((a, b) => a.index - b.index)
	return overlapping.flatMap((other) => {
		const there = `${where}[${other.index}] (${other.cidr.text})`
		if (other.cidr.text === cidr.text) {
			return [`duplicate: ${cidr.text} is already ${where}[${other.index}]`]
		}
		if (cidrContains(other.cidr, cidr)) {
			return [`${cidr.text} lies inside ${there}; keep one of them`]
		}
		if (cidrContains(cidr, other.cidr)) {
			return [`${cidr.text} contains ${there}; keep one of them`]
		}
		return []
	})
}

function descriptionTooLong(noun: string, text: string, suffix: string): string | undefined {
	return text.length > MAX_DESCRIPTION
		? `${noun} is ${text.length} characters once the ownership suffix "${suffix}" is added; Cloudflare allows ${MAX_DESCRIPTION} (shorten it by ${text.length - MAX_DESCRIPTION})`
		: undefined
}

function normaliseRoutes(
	raw: NonNullable<NonNullable<RawDesiredState['tunnel']>['routes']>,
	owner: string,
	out: Diagnostic[],
): RouteSpec[] {
	const suffix = ownerSuffix(owner)
	const byNetwork = new Map<string, CidrTrie<number>>()
	const routes: RouteSpec[] = []
	raw.forEach((written, index) => {
		const at: YamlPath = ['tunnel', 'routes', index]
		const cidr = parseCidr(written.network)
		if (!cidr.ok) {
			out.push(error([...at, 'network'], cidr.error))
			return
		}
		// A network is routed once per virtual network; overlapping routes in one are ambiguous.
		const vnet = written.virtualNetworkId ?? 'default'
		const others = byNetwork.get(vnet) ?? cidrTrie<number>()
		for (const clash of overlapProblems(cidr.value, others, 'routes')) {
			out.push(error([...at, 'network'], clash))
		}
		others.add(cidr.value, index)
		byNetwork.set(vnet, others)
		const comment = (written.comment ?? DEFAULT_ROUTE_COMMENT) + suffix
		const long = descriptionTooLong('comment', comment, suffix)
		if (long) {
			out.push(error([...at, 'comment'], long))
		}
		routes.push({
			network: cidr.value.text,
			comment,
			...(written.virtualNetworkId !== undefined && { virtualNetworkId: written.virtualNetworkId }),
			adopt: written.adopt,
			at,
		})
	})
	return routes
}

/**
 * WARP only sends traffic into the tunnel for networks that both a route and the split-tunnel
 * list let through: an owned include CIDR without a route is unreachable (error), a route no
 * include entry covers never sees traffic (warning), and so does one an exclude entry covers.
 */
function checkRouteCoverage(
	tunnel: TunnelState,
	profiles: SplitTunnelState[],
	out: Diagnostic[],
): void {
	if (!tunnel.routes) {
		return
	}
	const routes = tunnel.routes.flatMap((r) => {
		const cidr = parseCidr(r.network)
		return cidr.ok ? [{ route: r, cidr: cidr.value }] : []
	})
	const routed = cidrTrie<RouteSpec>()
	for (const { route, cidr } of routes) {
		routed.add(cidr, route)
	}
	const sameAccount = profiles.filter((p) => p.accountId === tunnel.accountId)
	for (const profile of sameAccount.filter((p) => p.mode === 'include')) {
		profile.entries.forEach((entry, index) => {
			const cidr = entry.address === undefined ? undefined : parseCidr(entry.address)
			if (!cidr?.ok || !entry.tunnelRoute) {
				return
			}
			if (routed.containing(cidr.value).length === 0) {
				out.push(
					error(
						[...profile.at, 'include', index, 'address'],
						`${cidr.value.text} has no route in tunnel.routes: WARP sends this traffic to Cloudflare, which then has nowhere to deliver it. Add "- network: ${cidr.value.text}" under tunnel.routes, or set tunnelRoute: false if another tunnel or connector routes it`,
					),
				)
			}
		})
	}
	const lists = sameAccount.map((p) => {
		const cidrs = cidrTrie<true>()
		for (const e of p.entries) {
			const c = e.address === undefined ? undefined : parseCidr(e.address)
			if (c?.ok) {
				cidrs.add(c.value, true)
			}
		}
		return { mode: p.mode, cidrs }
	})
	for (const { route, cidr } of routes) {
		const unreachable = lists.some((l) =>
			l.mode === 'include'
				? l.cidrs.overlapping(cidr).length === 0
				: l.cidrs.containing(cidr).length > 0,
		)
		if (unreachable) {
			out.push(
				warning(
					[...route.at, 'network'],
					`WARP never sends traffic for ${cidr.text} into the tunnel: the split-tunnel list of this account ${lists.some((l) => l.mode === 'include') ? 'includes no entry covering it' : 'excludes it'}`,
				),
			)
		}
	}
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
