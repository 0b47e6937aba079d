/**
 * @module Which targets an egress check probes: `egress.targets` as written, plus, with
 * `checkIngressTargets`, every in-cluster service an ingress rule sends traffic to — so a wrong
 * service name or port (the Label Studio incident: `label-studio:8080` for
 * `label-studio-ls-app:8085`) shows up as a failing target before users see 502s. Also decides
 * which targets the Worker probes itself from the edge.
 */
import type { DesiredState } from '../desired-state/model.ts'
import { parseService } from '../edge/service.ts'
import type { EdgePlan, EgressProbe, EgressTarget } from './model.ts'

/** At most this many edge probes per check (each is a subrequest; Free plans have 50). */
export const EDGE_PROBE_LIMIT = 16

/** Prefix of the names of ingress-derived targets (`egress.targets` names cannot contain `:`). */
export const INGRESS_TARGET_PREFIX = 'ingress:'

const MAX_NAME = 100

// Names that only resolve inside a cluster or a LAN: the edge cannot reach them.
const INTERNAL_SUFFIXES = ['.svc', '.cluster.local', '.local', '.internal', '.lan', '.home.arpa']

/** Every target of the desired state, in order: `egress.targets` first, then ingress services. */
export function egressTargets(state: Pick<DesiredState, 'egress' | 'tunnel'>): EgressTarget[] {
	const targets: EgressTarget[] = state.egress.targets.map((t) => ({
		name: t.name,
		host: t.host,
		port: t.port,
		probe: t.probe,
		...(t.path === undefined ? {} : { path: t.path }),
		...(t.expectStatus === undefined ? {} : { expectStatus: t.expectStatus }),
		source: 'config',
		hostnames: [],
		edge: edgePlan(t.host),
	}))
	if (!state.egress.checkIngressTargets || !state.tunnel) {
		return targets
	}
	const byName = new Map<string, EgressTarget>()
	for (const rule of state.tunnel.ingress) {
		const derived = ingressTarget(rule.service)
		if (!derived) {
			continue
		}
		const seen = byName.get(derived.name)
		const hostname = rule.hostname ?? '*'
		if (seen) {
			if (!seen.hostnames.includes(hostname)) {
				seen.hostnames.push(hostname)
			}
			continue
		}
		const target: EgressTarget = { ...derived, hostnames: [hostname] }
		byName.set(target.name, target)
		targets.push(target)
	}
	return targets
}

/**
 * The target an ingress `service` stands for, or undefined for services with nothing to probe
 * (`http_status:`, unix sockets, cloudflared's built-ins). `http://` → http probe, `https://` →
 * http over TLS (not verified, as with `noTLSVerify`), `tcp://`, `ssh://`, `rdp://`, `smb://` →
 * tcp (cloudflared streams those as TCP).
 */
export function ingressTarget(service: string): Omit<EgressTarget, 'hostnames'> | undefined {
	const parsed = parseService(service)
	if (!parsed.ok || parsed.value.kind !== 'url' || parsed.value.port === undefined) {
		return undefined
	}
	const { scheme, port } = parsed.value
	// URL hosts keep IPv6 brackets; the agent wants the bare address.
	const host = parsed.value.host.replace(/^\[(.*)\]$/, '$1')
	const probe: EgressProbe = scheme === 'http' || scheme === 'https' ? 'http' : 'tcp'
	const authority = host.includes(':') ? `[${host}]` : host
	return {
		name: ingressTargetName(`${scheme}://${authority}:${port}`),
		host,
		port,
		probe,
		...(scheme === 'https' ? { tls: true } : {}),
		source: 'ingress',
		edge: edgePlan(host),
	}
}

function ingressTargetName(service: string): string {
	const name = `${INGRESS_TARGET_PREFIX}${service}`
	if (name.length <= MAX_NAME) {
		return name
	}
	// The agent protocol caps names at 100; keep them unique with a short hash of the whole.
	return `${name.slice(0, MAX_NAME - 9)}~${fnv1a(name)}`
}

function fnv1a(text: string): string {
	let hash = 0x811c9dc5
	for (let i = 0; i < text.length; i++) {
		hash ^= text.charCodeAt(i)
		hash = Math.imul(hash, 0x01000193)
	}
	return (hash >>> 0).toString(16).padStart(8, '0')
}

/**
 * Whether the Worker can usefully probe `host` from the edge. Cluster and LAN names and private,
 * shared (CGNAT) and link-local addresses are unreachable from Cloudflare by design, so a failure
 * there would say nothing. Loopback is probed: it only appears in local runs (`wrangler dev`,
 * tests), where the edge and the "nodes" are one machine.
 */
export function edgePlan(host: string): EdgePlan {
	const lower = host.toLowerCase().replace(/\.$/, '')
	const v4 = parseIpv4(lower)
	if (v4) {
		const [a = 0, b = 0] = v4
		if (
			a === 10 ||
			(a === 172 && b >= 16 && b <= 31) ||
			(a === 192 && b === 168) ||
			(a === 100 && b >= 64 && b <= 127) ||
			(a === 169 && b === 254) ||
			a === 0
		) {
			return { probe: false, reason: 'private address: not reachable from the edge' }
		}
		return { probe: true }
	}
	if (lower.includes(':')) {
		if (/^f[cd]/.test(lower) || /^fe[89ab]/.test(lower)) {
			return { probe: false, reason: 'private address: not reachable from the edge' }
		}
		return { probe: true }
	}
	if (lower === 'localhost') {
		return { probe: true }
	}
	if (!lower.includes('.') || INTERNAL_SUFFIXES.some((s) => lower.endsWith(s))) {
		return { probe: false, reason: 'cluster-internal name: not resolvable from the edge' }
	}
	return { probe: true }
}

function parseIpv4(host: string): number[] | undefined {
	const parts = host.split('.')
	if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
		return undefined
	}
	return parts.map(Number)
}

/** Caps the edge probes at `limit`, in target order; the rest say why they were not probed. */
export function capEdgeProbes(targets: EgressTarget[], limit = EDGE_PROBE_LIMIT): EgressTarget[] {
	let used = 0
	return targets.map((t) => {
		if (!t.edge.probe) {
			return t
		}
		used++
		return used <= limit
			? t
			: { ...t, edge: { probe: false, reason: `over the ${limit} edge probes per check` } }
	})
}
