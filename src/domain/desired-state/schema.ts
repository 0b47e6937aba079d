/**
 * @module The shape of `tidegate.yaml` (docs/desired-state.md). Structural rules only; the
 * cross-field rules (shadowing, overlaps, routes covering the include list, ownership suffix
 * length) live in model.ts.
 */
import * as z from 'zod'
import { agentProbeSchema } from '../../contracts/agent.ts'

const accountId = z
	.string()
	.regex(/^[0-9a-f]{32}$/, 'must be a 32-character lowercase hex Cloudflare account id')

const uuid = z
	.string()
	.regex(
		/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
		'must be a lowercase UUID such as 6ff4dfd7-2b77-4a4f-84d9-3241bea658dc',
	)

/** Per-rule origin settings, exactly the keys the tunnel configuration API accepts. */
export const originRequestSchema = z.strictObject({
	access: z
		.strictObject({
			audTag: z.array(z.string().min(1)).min(1),
			teamName: z.string().min(1),
			required: z.boolean().optional(),
		})
		.optional(),
	caPool: z.string().optional(),
	connectTimeout: z.number().int().nonnegative().optional(),
	disableChunkedEncoding: z.boolean().optional(),
	http2Origin: z.boolean().optional(),
	httpHostHeader: z.string().optional(),
	keepAliveConnections: z.number().int().nonnegative().optional(),
	keepAliveTimeout: z.number().int().nonnegative().optional(),
	matchSNItoHost: z.boolean().optional(),
	noHappyEyeballs: z.boolean().optional(),
	noTLSVerify: z.boolean().optional(),
	originServerName: z.string().optional(),
	proxyType: z.enum(['', 'socks']).optional(),
	tcpKeepAlive: z.number().int().nonnegative().optional(),
	tlsTimeout: z.number().int().nonnegative().optional(),
})

/** Origin settings as the Cloudflare API carries them. */
export type OriginRequest = z.infer<typeof originRequestSchema>

const ingressRuleSchema = z.strictObject({
	hostname: z.string().optional(),
	path: z.string().min(1).optional(),
	service: z.string().min(1),
	originRequest: originRequestSchema.optional(),
	/** Keep the hostname's DNS record in sync (a proxied CNAME to the tunnel); false: managed elsewhere. */
	dns: z.boolean().default(true),
	/** Take over an existing DNS record of this hostname that tidegate did not create. */
	adopt: z.boolean().default(false),
})

const listEntrySchema = z
	.strictObject({
		address: z.string().optional(),
		host: z.string().optional(),
		description: z.string().min(1),
		protected: z.boolean().default(false),
		/** Take over a live entry with the same address or host and another team's description. */
		adopt: z.boolean().default(false),
		/** false: this CIDR reaches its network through something other than tunnel.routes. */
		tunnelRoute: z.boolean().default(true),
	})
	.refine((e) => (e.address === undefined) !== (e.host === undefined), {
		message: 'an entry needs exactly one of address (a CIDR) or host (a domain)',
	})

const policySchema = z
	.string()
	.regex(
		/^(default|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
		'must be "default" or the id (a lowercase UUID) of a custom device-profile policy',
	)
	.default('default')

/** One device profile's split-tunnel list: `include` (include mode) or `exclude` (exclude mode). */
const splitTunnelProfileSchema = z
	.strictObject({
		accountId,
		policy: policySchema,
		include: z.array(listEntrySchema).min(1, 'must list at least one entry').optional(),
		exclude: z.array(listEntrySchema).min(1, 'must list at least one entry').optional(),
	})
	.refine((p) => (p.include === undefined) !== (p.exclude === undefined), {
		message:
			'needs exactly one of include (the profile is in include mode) or exclude (exclude mode)',
	})

const routeSchema = z.strictObject({
	/** The private network, a CIDR. */
	network: z.string().min(1),
	comment: z.string().min(1).optional(),
	virtualNetworkId: uuid.optional(),
	/** Take over an existing route of this network that tidegate did not create. */
	adopt: z.boolean().default(false),
})

const egressTargetSchema = z.strictObject({
	name: z
		.string()
		.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and hyphens'),
	host: z.string().min(1),
	port: z.number().int().min(1).max(65535),
	probe: agentProbeSchema.default('tcp'),
	path: z.string().startsWith('/').optional(),
	expectStatus: z.number().int().min(100).max(599).optional(),
})

const reservedSchema = z.strictObject({
	owner: z
		.string()
		.regex(
			/^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,59}$/,
			'must name the layer that owns these resources (1-60 letters, digits, spaces, dots, slashes, hyphens), e.g. pulumi',
		),
	kinds: z
		.array(
			z
				.string()
				.regex(
					/^[A-Z][A-Za-z0-9]*(\.[a-z0-9]([a-z0-9.-]*[a-z0-9])?)?$/,
					'must be a kind as manifests write it (ClusterRole), optionally with its API group (Certificate.cert-manager.io)',
				),
		)
		.min(1)
		.optional(),
	namespaces: z
		.array(
			z
				.string()
				.regex(
					/^[a-z0-9*?]([a-z0-9*?-]{0,61}[a-z0-9*?])?$/,
					'must be a namespace name (lowercase letters, digits, hyphens; * and ? as wildcards)',
				),
		)
		.min(1)
		.optional(),
	names: z.array(z.string().min(1)).min(1).optional(),
	/** Shown with each conflict, e.g. "installed by the platform stack". */
	reason: z.string().min(1).max(200).optional(),
})

/** "Image tag overrides go under global.image.tag": a place in HelmRelease values that must not be set. */
const valuesRuleSchema = z.strictObject({
	forbid: z.string().min(1),
	use: z.string().min(1).optional(),
	charts: z.array(z.string().min(1)).min(1).optional(),
	releases: z.array(z.string().min(1)).min(1).optional(),
	reason: z.string().min(1).max(200).optional(),
})

/** The raw document, after defaults but before normalisation. */
export const desiredStateSchema = z.strictObject({
	version: z.literal(1, {
		error: (issue) =>
			issue.input === undefined
				? 'is required (write version: 1)'
				: 'must be 1 (the only tidegate.yaml version so far)',
	}),
	owner: z
		.string()
		.regex(
			/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/,
			'must be 1-40 letters, digits, dots, hyphens or underscores (it is appended to descriptions)',
		),
	tunnel: z
		.strictObject({
			accountId,
			tunnelId: uuid,
			warpRouting: z.boolean().optional(),
			originRequest: originRequestSchema.optional(),
			ingress: z.array(ingressRuleSchema).default([]),
			catchAll: z.string().min(1).default('http_status:404'),
			/** Private-network routes to this tunnel; absent: tidegate does not manage routes. */
			routes: z.array(routeSchema).optional(),
		})
		.optional(),
	/** One device profile, or several (a list). */
	splitTunnel: z
		.union([splitTunnelProfileSchema, z.array(splitTunnelProfileSchema).min(1)])
		.optional(),
	egress: z
		.strictObject({
			targets: z.array(egressTargetSchema).default([]),
			expect: z
				.array(
					z.strictObject({
						target: z.string().min(1),
						nodes: z
							.union([z.literal('all'), z.array(z.string().min(1)).min(1)], {
								error: 'must be "all" or a non-empty list of node names',
							})
							.default('all'),
					}),
				)
				.default([]),
			checkIngressTargets: z.boolean().default(false),
		})
		.optional(),
	sync: z
		.strictObject({
			drift: z.enum(['correct', 'report']).default('correct'),
			maxDeletions: z.number().int().nonnegative().default(5),
		})
		.default({ drift: 'correct', maxDeletions: 5 }),
	ownership: z
		.strictObject({
			fluxPaths: z.array(z.string().min(1)).min(1),
			excludePaths: z.array(z.string().min(1)).default([]),
			reserved: z.array(reservedSchema).default([]),
			valuesRules: z.array(valuesRuleSchema).default([]),
		})
		.optional(),
})

/** `tidegate.yaml` as written, with defaults applied. */
export type RawDesiredState = z.infer<typeof desiredStateSchema>
