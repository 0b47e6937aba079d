/**
 * @module The agent protocol: what the Worker (in workerd) and the in-cluster agent (in Node)
 * exchange, as zod schemas. No `node:` imports, so both sides run this same file. How requests
 * and answers are signed: ./agent-signing.ts.
 */

import * as z from 'zod'

/** The check endpoint. */
export const AGENT_CHECK_PATH = '/v1/check'
/** The unauthenticated liveness/readiness endpoint. */
export const AGENT_HEALTH_PATH = '/healthz'
/** Bounds of the per-probe timeout a request may ask for. */
export const AGENT_TIMEOUT_BOUNDS_MS = { min: 100, max: 30_000 } as const
/** At most this many targets per request (the agent's config may lower it). */
export const AGENT_MAX_TARGETS = 64
/** A caller should stop reading an agent answer past this size. */
export const AGENT_MAX_RESPONSE_BYTES = 1024 * 1024

/**
 * Probe error codes and what each means. `error` in a result is one of these; callers should
 * treat a code they do not know as a failure of unknown cause, not reject the answer.
 */
export const AGENT_PROBE_ERRORS = {
	dns: 'the name did not resolve',
	refused: 'connection refused (nothing listens, or a firewall rejects)',
	timeout: 'no answer within the timeout (see `phase` for the step that hung)',
	unreachable: 'no route to the host or network',
	reset: 'the connection was reset',
	closed: 'the server closed the connection before answering',
	tls: 'the TLS handshake failed',
	'cert-expired': 'the certificate is past its notAfter',
	'cert-untrusted': 'the certificate does not verify (asked for with tlsVerify)',
	'not-postgres': 'something answered, but not a PostgreSQL server',
	'http-status': 'the HTTP status was not the expected one',
	'http-protocol': 'the answer was not HTTP',
	overloaded: 'the agent had no free probe slot in time: the target is unknown, not failing',
	'blocked-address':
		'the target is or resolves to a link-local or cloud metadata address, which the agent does not probe unless its operator allows it (AGENT_ALLOW_ADDRESSES): unknown, not failing',
	error: 'any other local error (see `message`)',
} as const

/** A probe error code the agent emits. */
export type AgentProbeError = keyof typeof AGENT_PROBE_ERRORS

/** Why a peer agent has no results (`reachable: false`): its targets are unknown, not failing. */
export const AGENT_PEER_ERRORS = {
	refused: 'the peer agent refused the connection',
	timeout: 'the peer agent did not answer in time',
	unreachable: 'no route to the peer agent',
	unauthorized: 'the peer agent refused our signature (secret or clock mismatch)',
	'bad-status': 'the peer agent answered with an unexpected HTTP status',
	'bad-response': 'the peer agent answered something that is not a valid check answer',
	'too-large': 'the peer answer exceeded the size cap',
	error: 'any other error (see `message`)',
} as const

/**
 * Why an agent does not know its public egress IP (`egressIp.error`); the last address it learnt,
 * if any, is still reported beside it.
 */
export const AGENT_EGRESS_IP_ERRORS = {
	'not-configured': 'the agent has no AGENT_WORKER_URL to ask',
	timeout: 'the Worker did not answer within the probe timeout (asked again at the next check)',
	unreachable: 'the Worker could not be reached from this node',
	unauthorized: "the Worker refused the agent's signature, or its answer was not signed",
	'bad-status': 'the Worker answered with an unexpected HTTP status',
	'bad-response': 'the Worker answered something that is not an egress IP',
	error: 'any other error',
} as const

/** The Worker's echo of the caller's public IP, for the agents (GET, signed, no body). */
export const AGENT_EGRESS_IP_PATH = '/agent/egress-ip'
/** How long an agent keeps the egress IP it learnt before asking the Worker again. */
export const AGENT_EGRESS_IP_TTL_MS = 5 * 60 * 1000

const ms = z.number().nonnegative().max(3_600_000)
const code = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/)
const ip = z.union([z.ipv4(), z.ipv6()])

/** `GET /agent/egress-ip` answer: the address the request came from (CF-Connecting-IP). */
export const agentEgressIpAnswerSchema = z.object({ ip })

/** A node's public egress IP as its agent last learnt it from the Worker. */
export const agentEgressIpSchema = z.object({
	/** The last address learnt (null if never). */
	address: ip.nullable(),
	/** When the Worker saw it (Unix ms). */
	observedAt: z.number().int().nonnegative().nullable(),
	/** Why the last attempt to learn it failed (an AGENT_EGRESS_IP_ERRORS code); null when fresh. */
	error: code.nullable(),
})
/** A node's public egress IP. */
export type AgentEgressIp = z.infer<typeof agentEgressIpSchema>
const hostname = z
	.string()
	.min(1)
	.max(253)
	.regex(/^[A-Za-z0-9._:-]+$/, 'must be a hostname or an IP address (IPv6 without brackets)')

/** The kinds of probe. */
export const agentProbeSchema = z.enum(['tcp', 'tls', 'postgres', 'http'])
/** A kind of probe. */
export type AgentProbe = z.infer<typeof agentProbeSchema>

/** One target to probe. Unknown fields are dropped (a newer Worker may send more). */
export const agentTargetSchema = z.object({
	name: z.string().min(1).max(100),
	host: hostname,
	port: z.number().int().min(1).max(65535),
	probe: agentProbeSchema,
	/** http: request path; visible ASCII only, so it can never split the request line. */
	path: z
		.string()
		.max(2048)
		.regex(/^\/[\x21-\x7e]*$/, 'must start with / and contain only visible ASCII')
		.optional(),
	/** http: the status that counts as success; without it any 2xx or 3xx does. */
	expectStatus: z.number().int().min(100).max(599).optional(),
	/** http: speak HTTP over TLS (an `https://` service). */
	tls: z.boolean().optional(),
	/** TLS server name (SNI and verification) when it differs from `host`. */
	servername: hostname.optional(),
	/** TLS: fail with `cert-untrusted` unless the chain and name verify. Default false: reachability is the question. */
	tlsVerify: z.boolean().optional(),
})
/** One target to probe. */
export type AgentTarget = z.infer<typeof agentTargetSchema>

/** `POST /v1/check` body. */
export const agentCheckRequestSchema = z
	.object({
		targets: z.array(agentTargetSchema).max(AGENT_MAX_TARGETS),
		/** Per-probe timeout; the agent's default applies when absent. */
		timeoutMs: z
			.number()
			.int()
			.min(AGENT_TIMEOUT_BOUNDS_MS.min)
			.max(AGENT_TIMEOUT_BOUNDS_MS.max)
			.optional(),
		/** false: probe from the receiving agent only (what peers are sent). Default true. */
		fanout: z.boolean().optional(),
		/** Correlates logs across agents and keeps identical bodies from looking like replays. */
		requestId: z
			.string()
			.regex(/^[A-Za-z0-9._:-]{1,100}$/)
			.optional(),
		/**
		 * Sent to peers with `fanout: false`: the signature (hex) and timestamp of the request the
		 * receiving agent is fanning out. Each peer remembers it as used, so that request cannot be
		 * replayed to the peer afterwards (every agent answers the public hostname).
		 */
		origin: z
			.object({
				signature: z.string().regex(/^[0-9a-f]{64}$/),
				timestamp: z.number().int().nonnegative(),
			})
			.optional(),
	})
	.superRefine((body, ctx) => {
		const seen = new Set<string>()
		body.targets.forEach((t, i) => {
			if (seen.has(t.name)) {
				ctx.addIssue({
					code: 'custom',
					path: ['targets', i, 'name'],
					message: `duplicate target name "${t.name}"`,
				})
			}
			seen.add(t.name)
		})
	})
/** A parsed check request. */
export type AgentCheckRequest = z.infer<typeof agentCheckRequestSchema>
/** A check request as a caller writes it. */
export type AgentCheckRequestInput = z.input<typeof agentCheckRequestSchema>

/**
 * Phase timings in milliseconds; a phase is present only once it completed. `handshake` is the
 * protocol's own greeting (Postgres: SSLRequest → 'S'/'N'); `tls` the TLS handshake (tls probe,
 * Postgres after 'S', https); `firstByte` the wait for the HTTP status line after the request.
 */
export const agentPhasesSchema = z.object({
	dns: ms.optional(),
	connect: ms.optional(),
	tls: ms.optional(),
	handshake: ms.optional(),
	firstByte: ms.optional(),
})
/** Phase timings. */
export type AgentPhases = z.infer<typeof agentPhasesSchema>
/** A phase name; also the step a failure happened in. */
export type AgentPhase = keyof AgentPhases

/**
 * What a TLS handshake showed about the server certificate: dates and short codes only. Names
 * from the certificate are text the target chose, so they are not reported (no byte read from a
 * target leaves the agent).
 */
export const agentTlsInfoSchema = z.object({
	/** Days until notAfter, fractional; negative once expired; null if the date was unreadable. */
	daysLeft: z.number().min(-100_000).max(100_000).nullable(),
	notAfter: z.iso.datetime().nullable(),
	/** Chain and name verify against the agent's trust store. */
	authorized: z.boolean(),
	/** Why not, as OpenSSL's or Node's code (`DEPTH_ZERO_SELF_SIGNED_CERT`, `CERT_HAS_EXPIRED`). */
	authorizationError: z
		.string()
		.regex(/^[A-Z0-9_]{1,64}$/)
		.nullable(),
	/** The negotiated version as Node names it (`TLSv1.3`). */
	protocol: z.string().max(50).nullable(),
})
/** Certificate facts. */
export type AgentTlsInfo = z.infer<typeof agentTlsInfoSchema>

/** One target's result on one node. `ok` is true exactly when `error` is null. */
export const agentTargetResultSchema = z
	.object({
		target: z.string().min(1).max(100),
		probe: agentProbeSchema,
		ok: z.boolean(),
		/** Whole probe (DNS to verdict); for a failure, the time until it failed. */
		latencyMs: ms,
		error: code.nullable(),
		/** The step that failed. */
		phase: z.enum(['dns', 'connect', 'tls', 'handshake', 'firstByte', 'queue']).optional(),
		/** Human detail of a failure; no secrets. */
		message: z.string().max(500).optional(),
		/** The IP address connected to. */
		address: z.string().max(64).optional(),
		phases: agentPhasesSchema,
		tls: agentTlsInfoSchema.optional(),
		http: z.object({ status: z.number().int().min(100).max(999) }).optional(),
		postgres: z.object({ ssl: z.boolean() }).optional(),
	})
	.refine((r) => r.ok === (r.error === null), {
		message: 'ok must be true exactly when error is null',
	})
/** One target's result. */
export type AgentTargetResult = z.infer<typeof agentTargetResultSchema>

/** One node's row of the matrix. An unreachable node has no results: its targets are unknown. */
export const agentNodeReportSchema = z
	.object({
		node: z.string().min(1).max(253),
		reachable: z.boolean(),
		/** Why the node is unreachable (an AGENT_PEER_ERRORS code); null when reachable. */
		error: code.nullable(),
		message: z.string().max(500).optional(),
		/** The peer's base URL as the receiving agent called it; absent for the receiving agent. */
		peer: z.string().max(300).optional(),
		/** Unix ms at which this node's probes started (or the peer call was made). */
		observedAt: z.number().int().nonnegative(),
		/** The node's public egress IP (absent for an unreachable node, and from older agents). */
		egressIp: agentEgressIpSchema.optional(),
		durationMs: ms,
		results: z.array(agentTargetResultSchema),
	})
	.refine((n) => n.reachable === (n.error === null), {
		message: 'reachable must be true exactly when error is null',
	})
	.refine((n) => n.reachable || n.results.length === 0, {
		message: 'an unreachable node has no results',
	})
	.refine((n) => new Set(n.results.map((r) => r.target)).size === n.results.length, {
		message: 'duplicate target in one node',
	})
/** One node's row. */
export type AgentNodeReport = z.infer<typeof agentNodeReportSchema>

/** `POST /v1/check` answer: one entry per node, the receiving agent's first. */
export const agentCheckResponseSchema = z
	.object({
		requestId: z.string().max(100),
		nodes: z.array(agentNodeReportSchema).min(1),
		/** How the receiving agent found its peers, and whether that worked. */
		discovery: z
			.object({
				source: z.enum(['static', 'dns', 'none']),
				peers: z.number().int().nonnegative(),
				error: z.string().max(500).nullable(),
			})
			.optional(),
	})
	.refine((b) => new Set(b.nodes.map((n) => n.node)).size === b.nodes.length, {
		message: 'duplicate node name',
	})
/** A check answer. */
export type AgentCheckResponse = z.infer<typeof agentCheckResponseSchema>

/** Why an answer was rejected, or the parsed answer. */
export type AgentParseResult =
	| { ok: true; value: AgentCheckResponse }
	| { ok: false; error: 'not-json' | 'invalid'; message: string }

/** Parses an agent answer's raw text; anything off makes the whole answer invalid (= unknown). */
export function parseAgentCheckResponse(text: string): AgentParseResult {
	let json: unknown
	try {
		json = JSON.parse(text)
	} catch {
		return { ok: false, error: 'not-json', message: 'the answer is not JSON' }
	}
	const parsed = agentCheckResponseSchema.safeParse(json)
	if (!parsed.success) {
		const first = parsed.error.issues[0]
		const where = first ? first.path.join('.') : ''
		return {
			ok: false,
			error: 'invalid',
			message: `${where ? `${where}: ` : ''}${first?.message ?? 'invalid'}`.slice(0, 300),
		}
	}
	return { ok: true, value: parsed.data }
}
