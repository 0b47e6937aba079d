/**
 * @module Request validation for the Cloudflare stand-in, in two layers, as the API applies them:
 * 1. structure — zod schemas mirroring the OpenAPI subset with the errata of `openapi.ts` applied
 *    (the contract test holds both to the same verdicts);
 * 2. meaning — what the published schema cannot say: cloudflared's ingress validation
 *    (`ingress/ingress.go`, which the API runs and reports as 400 code 1056), and split-tunnel
 *    entries that must be an IP/CIDR or a domain.
 * Unknown keys: tunnel configuration objects keep them (the API stores the configuration as sent
 * and cloudflared reads it); split-tunnel items drop them (the API stores fixed fields).
 */
import { z } from 'zod'

/** JSON Schema `integer`: any whole number (zod's z.int() stops at safe integers). */
const integer = z.number().refine(Number.isInteger, 'expected an integer')

/** JSON Schema `maxLength` counts code points; zod's `.max()` would count UTF-16 units. */
const maxCodePoints = (limit: number) =>
	z.string().refine((s) => [...s].length <= limit, `must be at most ${limit} characters`)

const accessSchema = z.looseObject({
	audTag: z.array(z.string()),
	teamName: z.string(),
	required: z.boolean().optional(),
})

/** `tunnel_originRequest`, plus matchSNItoHost (erratum origin-request-match-sni-to-host). */
export const originRequestSchema = z.looseObject({
	access: accessSchema.optional(),
	caPool: z.string().optional(),
	connectTimeout: integer.optional(),
	disableChunkedEncoding: z.boolean().optional(),
	http2Origin: z.boolean().optional(),
	httpHostHeader: z.string().optional(),
	keepAliveConnections: integer.optional(),
	keepAliveTimeout: integer.optional(),
	matchSNItoHost: z.boolean().optional(),
	noHappyEyeballs: z.boolean().optional(),
	noTLSVerify: z.boolean().optional(),
	originServerName: z.string().optional(),
	proxyType: z.string().optional(),
	tcpKeepAlive: integer.optional(),
	tlsTimeout: integer.optional(),
})

/** `tunnel_ingressRule`; hostname optional (erratum catch-all-without-hostname). */
export const ingressRuleSchema = z.looseObject({
	hostname: z.string().optional(),
	path: z.string().optional(),
	service: z.string(),
	originRequest: originRequestSchema.optional(),
})

/** `tunnel_config`; `warp-routing` tolerated (erratum warp-routing-tolerated). */
export const tunnelConfigSchema = z.looseObject({
	ingress: z.array(ingressRuleSchema).optional(),
	originRequest: originRequestSchema.optional(),
	'warp-routing': z.looseObject({ enabled: z.boolean().optional() }).optional(),
})

/** Body of `PUT …/cfd_tunnel/{tunnel_id}/configurations`. */
export const tunnelConfigurationPutBodySchema = z.looseObject({
	config: tunnelConfigSchema.optional(),
})

const description = maxCodePoints(100)

/**
 * A split-tunnel item: `{address, description?}` or `{host, description?}`, exclusively — the same
 * verdicts as the erratum's `oneOf` with `not: {required: [other]}`, with clearer messages.
 */
export const splitTunnelItemSchema = z
	.object({
		address: z.string().optional(),
		host: z.string().optional(),
		description: description.optional(),
	})
	.refine((item) => (item.address === undefined) !== (item.host === undefined), {
		error: 'needs exactly one of "address" or "host"',
	})

/** Body of `PUT …/devices/policy[/{policy_id}]/include` and `/exclude`: a bare array. */
export const splitTunnelListSchema = z.array(splitTunnelItemSchema)

/** One ingress rule as stored (unknown keys kept). */
export type IngressRule = z.infer<typeof ingressRuleSchema>
/** A tunnel configuration as stored (unknown keys kept). */
export type TunnelConfig = z.infer<typeof tunnelConfigSchema>
/** One split-tunnel item as stored. */
export type SplitTunnelItem =
	| { address: string; description?: string }
	| { host: string; description?: string }

/** A verdict: the parsed value, or a message naming the first problem. */
export type Verdict<T> = { ok: true; value: T } | { ok: false; message: string }

/** Structural check of a tunnel configuration PUT body. */
export function parseTunnelConfigurationPutBody(
	body: unknown,
): Verdict<{ config?: TunnelConfig | undefined }> {
	return fromZod(tunnelConfigurationPutBodySchema.safeParse(body))
}

/** Structural check of a split-tunnel list PUT body. */
export function parseSplitTunnelList(body: unknown): Verdict<SplitTunnelItem[]> {
	const parsed = fromZod(splitTunnelListSchema.safeParse(body))
	return parsed.ok ? { ok: true, value: parsed.value.map(cleanItem) } : parsed
}

function cleanItem(item: z.infer<typeof splitTunnelItemSchema>): SplitTunnelItem {
	const base = item.address !== undefined ? { address: item.address } : { host: item.host ?? '' }
	return item.description === undefined ? base : { ...base, description: item.description }
}

function fromZod<T>(result: z.ZodSafeParseResult<T>): Verdict<T> {
	if (result.success) {
		return { ok: true, value: result.data }
	}
	const first = result.error.issues
		.slice(0, 3)
		.map((issue) => `${formatPath(issue.path)}: ${issue.message}`)
		.join('; ')
	return { ok: false, message: first }
}

function formatPath(path: readonly PropertyKey[]): string {
	let out = ''
	for (const part of path) {
		out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`
	}
	return out === '' ? '(body)' : out
}

// ---------------------------------------------------------------------------------------------
// cloudflared's ingress validation (ingress/ingress.go: ParseIngress → validate → validateHostname)

/** cloudflared's message for a last rule that is not a catch-all. */
export const LAST_RULE_NOT_CATCH_ALL =
	'The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)'
/** cloudflared's message for an empty rule list. */
export const NO_INGRESS_RULES = "The config file doesn't contain any ingress rules"
/** cloudflared's message for a hostname with a port. */
export const HOSTNAME_CONTAINS_PORT = 'Hostname cannot contain a port'
/** cloudflared's message for a wildcard anywhere but the first character. */
export const BAD_WILDCARD =
	'Hostname patterns can have at most one wildcard character ("*") and it can only be used for subdomains, e.g. "*.example.com"'

/**
 * Validates ingress rules the way cloudflared does, rule by rule, first error wins: the service,
 * then the hostname (port, wildcard, catch-all position), then the path regex. A configuration
 * without an ingress list counts as empty (cloudflared: "doesn't contain any ingress rules");
 * the stand-in is strict there because the API's answer to a PUT without rules is undocumented.
 * Returns the cloudflared message, or null when the rules are valid.
 */
export function validateIngress(config: TunnelConfig | undefined): string | null {
	const rules = config?.ingress ?? []
	if (rules.length === 0) {
		return NO_INGRESS_RULES
	}
	for (const [index, rule] of rules.entries()) {
		const problem =
			validateService(rule.service) ??
			validateHostname(rule.hostname ?? '', rule.path ?? '', index, rules.length) ??
			validatePathRegex(rule.path ?? '', index)
		if (problem !== null) {
			return problem
		}
	}
	return null
}

/** The API's 400 message for a configuration cloudflared rejects (code 1056). */
export function badConfigurationMessage(problem: string): string {
	return `Bad Configuration: Validation failed: ${problem}\n`
}

const NAMED_SERVICES = new Set([
	'hello_world',
	'hello-world',
	'helloworld',
	'bastion',
	'socks-proxy',
])

function validateService(service: string): string | null {
	if (service.startsWith('unix:') || service.startsWith('unix+tls:')) {
		return null
	}
	if (service.startsWith('http_status:')) {
		const text = service.slice('http_status:'.length)
		if (!/^[+-]?\d+$/.test(text)) {
			return `invalid HTTP status: strconv.Atoi: parsing "${text}": invalid syntax`
		}
		const status = Number(text)
		return status < 100 || status > 999 ? `invalid HTTP status code: ${status}` : null
	}
	if (NAMED_SERVICES.has(service)) {
		return null
	}
	const url = parseGoUrl(service)
	if (typeof url === 'string') {
		return url
	}
	if (url.scheme === '' || url.hostname === '') {
		return `${service} is an invalid address, please make sure it has a scheme and a hostname`
	}
	if (url.path !== '') {
		return `${service} is an invalid address, ingress rules don't support proxying to a different path on the origin service. The path will be the same as the eyeball request's path`
	}
	return null
}

/** Just enough of Go's net/url.Parse for cloudflared's checks: scheme, hostname, path. */
function parseGoUrl(raw: string): { scheme: string; hostname: string; path: string } | string {
	const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(raw)
	if (schemeMatch === null) {
		// No scheme: Go parses it as a path, so hostname is empty.
		return { scheme: '', hostname: '', path: raw }
	}
	const scheme = schemeMatch[1] ?? ''
	const rest = raw.slice(scheme.length + 1).replace(/[?#].*$/, '')
	if (!rest.startsWith('//')) {
		// Opaque form such as "localhost:8080": scheme "localhost", no host.
		return { scheme, hostname: '', path: '' }
	}
	const afterSlashes = rest.slice(2)
	const slash = afterSlashes.indexOf('/')
	const authority = slash === -1 ? afterSlashes : afterSlashes.slice(0, slash)
	const path = slash === -1 ? '' : afterSlashes.slice(slash)
	const host = authority.slice(authority.lastIndexOf('@') + 1)
	let hostname = host
	let port = ''
	if (host.startsWith('[')) {
		const end = host.indexOf(']')
		if (end === -1) {
			return `parse "${raw}": missing ']' in host`
		}
		hostname = host.slice(1, end)
		port = host.slice(end + 1)
	} else {
		const colon = host.lastIndexOf(':')
		if (colon !== -1) {
			hostname = host.slice(0, colon)
			port = host.slice(colon)
		}
	}
	if (port !== '' && !/^:\d*$/.test(port)) {
		return `parse "${raw}": invalid port "${port}" after host`
	}
	return { scheme, hostname, path }
}

function validateHostname(
	hostname: string,
	path: string,
	index: number,
	total: number,
): string | null {
	if (goSplitHostPortSucceeds(hostname)) {
		return HOSTNAME_CONTAINS_PORT
	}
	if (hostname.lastIndexOf('*') > 0) {
		return BAD_WILDCARD
	}
	const isCatchAll = (hostname === '' || hostname === '*') && path === ''
	const isLast = index === total - 1
	if (isLast && !isCatchAll) {
		return LAST_RULE_NOT_CATCH_ALL
	}
	if (!isLast && isCatchAll) {
		return `Rule #${index + 1} is matching the hostname '${hostname}', but this will match every hostname, meaning the rules which follow it will never be triggered.`
	}
	return null
}

/** Whether Go's net.SplitHostPort accepts the string, i.e. it carries a port (even an empty one). */
function goSplitHostPortSucceeds(hostport: string): boolean {
	const lastColon = hostport.lastIndexOf(':')
	if (lastColon < 0) {
		return false
	}
	let from = 0
	let to = 0
	if (hostport.startsWith('[')) {
		const end = hostport.indexOf(']')
		if (end < 0 || end + 1 !== lastColon) {
			return false
		}
		from = 1
		to = end + 1
	} else if (hostport.slice(0, lastColon).includes(':')) {
		return false
	}
	return !hostport.slice(from).includes('[') && !hostport.slice(to).includes(']')
}

function validatePathRegex(path: string, index: number): string | null {
	if (path === '') {
		return null
	}
	try {
		// JavaScript's RegExp approximates Go's RE2 here (RE2 also rejects lookarounds).
		new RegExp(path)
		return null
	} catch (e) {
		return `Rule #${index + 1} has an invalid regex: ${(e as Error).message}`
	}
}

// ---------------------------------------------------------------------------------------------
// Split-tunnel entries: what the published schema calls "address in CIDR format" and "domain"

/** Returns a message for the first item whose address is not an IP/CIDR or host not a domain. */
export function validateSplitTunnelItems(items: readonly SplitTunnelItem[]): string | null {
	for (const [index, item] of items.entries()) {
		if ('address' in item && !isIpOrCidr(item.address)) {
			return `[${index}].address: "${item.address}" is not an IP address or CIDR`
		}
		if ('host' in item && !isDomainPattern(item.host)) {
			return `[${index}].host: "${item.host}" is not a domain (example.com or *.example.com)`
		}
	}
	return null
}

/** An IPv4/IPv6 address, optionally with a prefix length in range. */
export function isIpOrCidr(value: string): boolean {
	const [address = '', prefix, ...extra] = value.split('/')
	if (extra.length > 0) {
		return false
	}
	const bits = isIpv4(address) ? 32 : isIpv6(address) ? 128 : 0
	if (bits === 0) {
		return false
	}
	return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits)
}

function isIpv4(value: string): boolean {
	const parts = value.split('.')
	return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)
}

function isIpv6(value: string): boolean {
	if (!/^[0-9A-Fa-f:.]+$/.test(value) || value.includes(':::')) {
		return false
	}
	const halves = value.split('::')
	if (halves.length > 2) {
		return false
	}
	const groups = (text: string) => (text === '' ? [] : text.split(':'))
	const all = halves.flatMap(groups)
	let count = 0
	for (const [i, group] of all.entries()) {
		if (i === all.length - 1 && group.includes('.')) {
			if (!isIpv4(group)) {
				return false
			}
			count += 2
		} else if (/^[0-9A-Fa-f]{1,4}$/.test(group)) {
			count += 1
		} else {
			return false
		}
	}
	return halves.length === 2 ? count < 8 : count === 8
}

function isDomainPattern(value: string): boolean {
	const name = value.startsWith('*.') ? value.slice(2) : value
	const labels = name.split('.')
	return (
		name.length <= 253 &&
		labels.length >= 1 &&
		labels.every((l) => /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l))
	)
}
