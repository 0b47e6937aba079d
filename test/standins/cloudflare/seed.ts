/**
 * @module What the Cloudflare stand-in starts from (seed) and what it holds (state): accounts,
 * tunnels with their configuration, version and connectors, device profiles with their
 * split-tunnel list, and API tokens with scopes. Seeds are plain JSON so `server.ts --seed` can
 * read them from a file.
 */
import { z } from 'zod'
import { type SplitTunnelItem, splitTunnelListSchema, type TunnelConfig } from './schemas.ts'

/** A token's permission: `tunnel` = Cloudflare Tunnel Edit, `zero-trust` = Zero Trust Edit. */
export type TokenScope = 'tunnel' | 'tunnel:read' | 'zero-trust' | 'zero-trust:read'

/** The permission family an endpoint belongs to. */
export type ScopeFamily = 'tunnel' | 'zero-trust'

/** An API token the stand-in accepts. */
export interface TokenSeed {
	/** The bearer value. */
	value: string
	/** `tunnel` and `zero-trust` allow reads and writes; the `:read` variants only reads. */
	scopes: TokenScope[]
	/** Shown in the request log instead of the value; defaults to the value. */
	name?: string
	/** Accounts the token may touch; all when omitted. */
	accounts?: string[]
}

/** A simulated cloudflared connector. */
export interface ConnectorSeed {
	id?: string
	arch?: string
	version?: string
	/** A lagging connector keeps its config_version when the configuration changes. */
	lagging?: boolean
	/** Defaults to the tunnel's version. */
	configVersion?: number
}

/** A remotely managed tunnel. */
export interface TunnelSeed {
	id: string
	name?: string
	/** Configuration version; defaults to 1 (0 when config is null). */
	version?: number
	/** The configuration (not validated: seeds may hold what the dashboard left); null = never configured. */
	config?: TunnelConfig | null
	/** How many connectors, or each one; defaults to the stand-in's `connectors` option. */
	connectors?: number | ConnectorSeed[]
}

/** A device profile's split-tunnel list: set `include` or `exclude` (the profile's mode). */
export interface ProfileSeed {
	include?: SplitTunnelItem[]
	exclude?: SplitTunnelItem[]
}

/** A custom device profile (policy). */
export interface CustomProfileSeed extends ProfileSeed {
	id: string
	name?: string
	match?: string
	precedence?: number
	enabled?: boolean
}

/** An account and what lives in it. */
export interface AccountSeed {
	id: string
	tunnels?: TunnelSeed[]
	deviceProfiles?: {
		/** Defaults to include mode with an empty list. */
		default?: ProfileSeed
		custom?: CustomProfileSeed[]
	}
}

/** Everything `createCloudflareStandin` can be seeded with; omitted keys take the defaults below. */
export interface CloudflareStandinSeed {
	accounts?: AccountSeed[]
	tokens?: TokenSeed[]
	/** Connectors per tunnel when a tunnel does not say; default 2. */
	connectors?: number
}

/** The default account (the example in DESIGN.md). */
export const DEFAULT_ACCOUNT_ID = '0123456789abcdef0123456789abcdef'
/** The default tunnel. */
export const DEFAULT_TUNNEL_ID = '6ff4dfd7-2b77-4a4f-84d9-3241bea658dc'
/** A custom device profile in include mode. */
export const CUSTOM_INCLUDE_POLICY_ID = '5ad4b5d8-6a1c-4f7e-9a51-0c3f1a2b3c4d'
/** A custom device profile in exclude mode. */
export const CUSTOM_EXCLUDE_POLICY_ID = '9f0c7e21-3b4d-4c5e-8f60-718293a4b5c6'
/** Token with Cloudflare Tunnel Edit (same value as CF_TUNNEL_API_TOKEN in vitest.config.ts). */
export const TUNNEL_TOKEN = 'test-tunnel-token'
/** Token with Zero Trust Edit (same value as CF_ZERO_TRUST_API_TOKEN in vitest.config.ts). */
export const ZERO_TRUST_TOKEN = 'test-zero-trust-token'
/** Token with read-only access to both. */
export const READ_ONLY_TOKEN = 'test-read-only-token'

/** The default seed: one account, one tunnel with a bare catch-all, profiles holding other teams' entries. */
export function defaultCloudflareSeed(): Required<CloudflareStandinSeed> {
	return {
		connectors: 2,
		tokens: [
			{ value: TUNNEL_TOKEN, name: 'tunnel', scopes: ['tunnel'] },
			{ value: ZERO_TRUST_TOKEN, name: 'zero-trust', scopes: ['zero-trust'] },
			{ value: READ_ONLY_TOKEN, name: 'read-only', scopes: ['tunnel:read', 'zero-trust:read'] },
		],
		accounts: [
			{
				id: DEFAULT_ACCOUNT_ID,
				tunnels: [
					{
						id: DEFAULT_TUNNEL_ID,
						name: 'tethys',
						version: 1,
						config: { ingress: [{ service: 'http_status:404' }] },
					},
				],
				deviceProfiles: {
					default: {
						include: [
							{ address: '10.8.0.0/16', description: 'Office VPN' },
							{ address: '172.16.0.0/12', description: 'Legacy datacenter - netops' },
							{ host: 'intranet.example.com' },
						],
					},
					custom: [
						{
							id: CUSTOM_INCLUDE_POLICY_ID,
							name: 'Engineers',
							match: 'any(identity.groups.name[*] in {"engineers"})',
							precedence: 100,
							include: [{ address: '10.20.0.0/16', description: 'Build farm - ci' }],
						},
						{
							id: CUSTOM_EXCLUDE_POLICY_ID,
							name: 'Contractors',
							match: 'any(identity.groups.name[*] in {"contractors"})',
							precedence: 200,
							exclude: [{ address: '192.168.0.0/16', description: 'Home networks' }],
						},
					],
				},
			},
		],
	}
}

const splitTunnelMode = {
	include: splitTunnelListSchema.optional(),
	exclude: splitTunnelListSchema.optional(),
}

/** Checks a seed read from JSON (the server's --seed file, POST /__standin/reset). */
export const cloudflareSeedSchema = z.object({
	connectors: z.int().min(0).optional(),
	tokens: z
		.array(
			z.object({
				value: z.string().min(1),
				scopes: z.array(z.enum(['tunnel', 'tunnel:read', 'zero-trust', 'zero-trust:read'])),
				name: z.string().optional(),
				accounts: z.array(z.string()).optional(),
			}),
		)
		.optional(),
	accounts: z
		.array(
			z.object({
				id: z.string().min(1),
				tunnels: z
					.array(
						z.object({
							id: z.string().min(1),
							name: z.string().optional(),
							version: z.int().min(0).optional(),
							config: z.looseObject({}).nullable().optional(),
							connectors: z
								.union([
									z.int().min(0),
									z.array(
										z.object({
											id: z.string().optional(),
											arch: z.string().optional(),
											version: z.string().optional(),
											lagging: z.boolean().optional(),
											configVersion: z.int().min(0).optional(),
										}),
									),
								])
								.optional(),
						}),
					)
					.optional(),
				deviceProfiles: z
					.object({
						default: z.object(splitTunnelMode).optional(),
						custom: z
							.array(
								z.object({
									id: z.string().min(1),
									name: z.string().optional(),
									match: z.string().optional(),
									precedence: z.int().optional(),
									enabled: z.boolean().optional(),
									...splitTunnelMode,
								}),
							)
							.optional(),
					})
					.optional(),
			}),
		)
		.optional(),
})

// ---------------------------------------------------------------------------------------------
// State

/** One of a connector's connections to a Cloudflare data center. */
export interface ConnState {
	id: string
	coloName: string
	openedAt: string
	originIp: string
}

/** A simulated cloudflared connector. */
export interface ConnectorState {
	id: string
	arch: string
	version: string
	runAt: string
	configVersion: number
	lagging: boolean
	conns: ConnState[]
}

/** A tunnel as the stand-in holds it. */
export interface TunnelState {
	id: string
	name: string
	version: number
	config: TunnelConfig | null
	/** When the current version was written (Cloudflare's microsecond ISO format). */
	createdAt: string
	connectors: ConnectorState[]
}

/** A device profile as the stand-in holds it; `mode` says which list `list` is. */
export interface ProfileState {
	/** `default` for the default profile. */
	policyId: string
	isDefault: boolean
	name: string
	match: string | null
	precedence: number | null
	enabled: boolean
	mode: 'include' | 'exclude'
	list: SplitTunnelItem[]
}

/** An account as the stand-in holds it. */
export interface AccountState {
	id: string
	tunnels: Map<string, TunnelState>
	/** Keyed by policy id; the default profile is under `default`. */
	profiles: Map<string, ProfileState>
}

/** Everything the stand-in holds. */
export interface StandinState {
	accounts: Map<string, AccountState>
	/** Keyed by bearer value. */
	tokens: Map<string, TokenSeed>
}

/** Cloudflare's timestamp format: ISO 8601 with microseconds. */
export function cloudflareTime(ms: number): string {
	return new Date(ms).toISOString().replace(/Z$/, '000Z')
}

/** Builds fresh state from a seed (missing keys take the defaults). */
export function buildState(seed: CloudflareStandinSeed, now: number): StandinState {
	const defaults = defaultCloudflareSeed()
	const connectorsPerTunnel = seed.connectors ?? defaults.connectors
	const accounts = new Map<string, AccountState>()
	for (const account of seed.accounts ?? defaults.accounts) {
		const tunnels = new Map<string, TunnelState>()
		for (const tunnel of account.tunnels ?? []) {
			const config = tunnel.config === undefined ? null : structuredClone(tunnel.config)
			const version = tunnel.version ?? (config === null ? 0 : 1)
			const connectorSeeds =
				typeof tunnel.connectors === 'number' || tunnel.connectors === undefined
					? Array.from({ length: tunnel.connectors ?? connectorsPerTunnel }, () => ({}))
					: tunnel.connectors
			tunnels.set(tunnel.id, {
				id: tunnel.id,
				name: tunnel.name ?? tunnel.id,
				version,
				config,
				createdAt: cloudflareTime(now),
				connectors: connectorSeeds.map((c, i) => buildConnector(c, i, version, now)),
			})
		}
		const profiles = new Map<string, ProfileState>()
		const defaultProfile = account.deviceProfiles?.default ?? { include: [] }
		profiles.set('default', {
			policyId: 'default',
			isDefault: true,
			name: 'Default',
			match: null,
			precedence: null,
			enabled: true,
			...modeOf(defaultProfile),
		})
		for (const custom of account.deviceProfiles?.custom ?? []) {
			profiles.set(custom.id, {
				policyId: custom.id,
				isDefault: false,
				name: custom.name ?? custom.id,
				match: custom.match ?? null,
				precedence: custom.precedence ?? null,
				enabled: custom.enabled ?? true,
				...modeOf(custom),
			})
		}
		accounts.set(account.id, { id: account.id, tunnels, profiles })
	}
	const tokens = new Map<string, TokenSeed>()
	for (const token of seed.tokens ?? defaults.tokens) {
		tokens.set(token.value, structuredClone(token))
	}
	return { accounts, tokens }
}

/** Builds one connector with four connections over two data centers, as cloudflared opens them. */
export function buildConnector(
	seed: ConnectorSeed,
	index: number,
	version: number,
	now: number,
): ConnectorState {
	const runAt = cloudflareTime(now)
	return {
		id: seed.id ?? crypto.randomUUID(),
		arch: seed.arch ?? 'linux_amd64',
		version: seed.version ?? '2025.8.1',
		runAt,
		configVersion: seed.configVersion ?? version,
		lagging: seed.lagging ?? false,
		conns: ['ams01', 'fra02', 'ams01', 'fra02'].map((coloName) => ({
			id: crypto.randomUUID(),
			coloName,
			openedAt: runAt,
			originIp: `198.51.100.${10 + index}`,
		})),
	}
}

function modeOf(seed: ProfileSeed): Pick<ProfileState, 'mode' | 'list'> {
	if (seed.include !== undefined && seed.exclude !== undefined) {
		throw new Error('a device profile has either an include or an exclude list, not both')
	}
	return seed.exclude !== undefined
		? { mode: 'exclude', list: structuredClone(seed.exclude) }
		: { mode: 'include', list: structuredClone(seed.include ?? []) }
}
