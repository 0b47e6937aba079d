/**
 * @module What the Cloudflare stand-in starts from (seed) and what it holds (state): accounts,
 * tunnels with their configuration, version and connectors, device profiles with their
 * split-tunnel list, zones with their DNS records, virtual networks and private-network routes,
 * and API tokens with scopes. Seeds are plain JSON so `server.ts --seed` can read them from a
 * file. DNS records and routes are held in the API's own field names (`tunnel_id`, `created_on`…)
 * so tests compare them with what tidegate sent as they are.
 */
import { z } from 'zod'
import { DNS_RECORD_TYPES, type DnsRecordType, writeRecord } from './dns.ts'
import { type SplitTunnelItem, splitTunnelListSchema, type TunnelConfig } from './schemas.ts'
import { derivedUuid, writeRoute } from './teamnet.ts'

/**
 * A token's permission: `tunnel` = Cloudflare Tunnel Edit (tunnels and private-network routes),
 * `zero-trust` = Zero Trust Edit (device profiles), `dns` = Zone › DNS Edit (zones and records);
 * the `:read` variants only read.
 */
export type TokenScope =
	| 'tunnel'
	| 'tunnel:read'
	| 'zero-trust'
	| 'zero-trust:read'
	| 'dns'
	| 'dns:read'

/** Every token scope, for the seed schema. */
export const TOKEN_SCOPES = [
	'tunnel',
	'tunnel:read',
	'zero-trust',
	'zero-trust:read',
	'dns',
	'dns:read',
] as const satisfies readonly TokenScope[]

/** The permission family an endpoint belongs to. */
export type ScopeFamily = 'tunnel' | 'zero-trust' | 'dns'

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

/**
 * A DNS record as a seed or hand edit gives it, in the API's field names. `name` may be the full
 * name, relative to the zone (`www`) or `@` for the apex, as the API accepts it.
 */
export interface DnsRecordSeed {
	/** 32 hex; a random one when omitted. */
	id?: string
	type: DnsRecordType
	name: string
	content: string
	/** Only A, AAAA and CNAME records; false when omitted. */
	proxied?: boolean
	/** Seconds, or 1 = automatic (the default). */
	ttl?: number
	/** MX only (required there). */
	priority?: number
	comment?: string | null
	/** `name:value` pairs; the free plan allows none. */
	tags?: string[]
}

/** A zone's plan: it sets the comment length (100 free, 500 paid) and the tag quota (0 free). */
export type ZonePlan = 'free' | 'pro' | 'business' | 'enterprise'

/** A zone (domain) of the account. */
export interface ZoneSeed {
	/** 32 hex. */
	id: string
	/** The apex, e.g. `example.com`. */
	name: string
	/** `free` when omitted. */
	plan?: ZonePlan
	/** `active` when omitted. */
	status?: 'active' | 'pending'
	/** Checked as the API would check them (CNAME exclusivity…); a bad seed throws. */
	records?: DnsRecordSeed[]
}

/** A Zero Trust virtual network (the account always has one default). */
export interface VirtualNetworkSeed {
	/** A UUID. */
	id: string
	name: string
	comment?: string
	/** At most one per account; when none is, the stand-in adds a default one. */
	is_default_network?: boolean
}

/** A private-network route (CIDR → tunnel), in the API's field names. */
export interface RouteSeed {
	/** A UUID; a random one when omitted. */
	id?: string
	/** A CIDR with the host bits zero, e.g. `10.8.0.0/16`. */
	network: string
	/** One of the account's tunnels, or another team's tunnel the stand-in only knows by name. */
	tunnel_id: string
	/** For a tunnel the account's `tunnels` do not hold: its name in answers. */
	tunnel_name?: string
	comment?: string
	/** The account's default virtual network when omitted. */
	virtual_network_id?: string
}

/** An account and what lives in it. */
export interface AccountSeed {
	id: string
	/** Shown in zone answers (`account.name`). */
	name?: string
	tunnels?: TunnelSeed[]
	deviceProfiles?: {
		/** Defaults to include mode with an empty list. */
		default?: ProfileSeed
		custom?: CustomProfileSeed[]
	}
	zones?: ZoneSeed[]
	/** The default virtual network is added when none is marked default. */
	virtualNetworks?: VirtualNetworkSeed[]
	routes?: RouteSeed[]
}

/** Everything `createCloudflareStandin` can be seeded with; omitted keys take the defaults below. */
export interface CloudflareStandinSeed {
	accounts?: AccountSeed[]
	tokens?: TokenSeed[]
	/** Connectors per tunnel when a tunnel does not say; default 2. */
	connectors?: number
}

/** The default account (the example in docs/desired-state.md). */
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
/** Token with read-only access to tunnels, device profiles and DNS. */
export const READ_ONLY_TOKEN = 'test-read-only-token'
/** Token with Zone › DNS › Edit: lists zones, edits records (CF_DNS_API_TOKEN in tests). */
export const DNS_TOKEN = 'test-dns-token'
/** The default account's zone, `example.com`. */
export const DEFAULT_ZONE_ID = '5f0c2f9e4b1d4c7aa3e8d6b2c1f09e37'
/** The default zone's apex. */
export const DEFAULT_ZONE_NAME = 'example.com'
/** The default account's default virtual network. */
export const DEFAULT_VIRTUAL_NETWORK_ID = 'a5f3b1c2-7d4e-4f60-9b8a-0c1d2e3f4a5b'
/** Another team's tunnel (netops' office connector), known to the stand-in only by its route. */
export const NETOPS_TUNNEL_ID = 'b7e2c9d4-1f3a-4e5b-8c6d-9a0b1c2d3e4f'
/** Another team's route in the default seed: 10.8.0.0/16 through the netops tunnel. */
export const NETOPS_ROUTE_ID = 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f'

/**
 * The default seed: one account with one tunnel (a bare catch-all), profiles holding other teams'
 * entries, the zone example.com holding other teams' records, and another team's route.
 */
export function defaultCloudflareSeed(): Required<CloudflareStandinSeed> {
	return {
		connectors: 2,
		tokens: [
			{ value: TUNNEL_TOKEN, name: 'tunnel', scopes: ['tunnel'] },
			{ value: ZERO_TRUST_TOKEN, name: 'zero-trust', scopes: ['zero-trust'] },
			{ value: DNS_TOKEN, name: 'dns', scopes: ['dns'] },
			{
				value: READ_ONLY_TOKEN,
				name: 'read-only',
				scopes: ['tunnel:read', 'zero-trust:read', 'dns:read'],
			},
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
				zones: [
					{
						id: DEFAULT_ZONE_ID,
						name: DEFAULT_ZONE_NAME,
						records: [
							{
								id: '0b1e6c1a7f3d4e2b9c8a5d6e7f801a01',
								type: 'A',
								name: 'example.com',
								content: '203.0.113.10',
								proxied: true,
								comment: 'Marketing site - web',
							},
							{
								id: '0b1e6c1a7f3d4e2b9c8a5d6e7f801a02',
								type: 'A',
								name: 'www.example.com',
								content: '203.0.113.10',
								proxied: true,
								comment: 'Marketing site - web',
							},
							{
								id: '0b1e6c1a7f3d4e2b9c8a5d6e7f801a03',
								type: 'MX',
								name: 'mail.example.com',
								content: 'mx.mailhost.example.net',
								priority: 10,
								comment: 'Mail - it',
							},
							{
								id: '0b1e6c1a7f3d4e2b9c8a5d6e7f801a04',
								type: 'TXT',
								name: 'example.com',
								content: '"v=spf1 include:mailhost.example.net -all"',
							},
						],
					},
				],
				virtualNetworks: [
					{ id: DEFAULT_VIRTUAL_NETWORK_ID, name: 'default', is_default_network: true },
				],
				routes: [
					{
						id: NETOPS_ROUTE_ID,
						network: '10.8.0.0/16',
						tunnel_id: NETOPS_TUNNEL_ID,
						tunnel_name: 'netops-office',
						comment: 'Office VPN - netops',
					},
				],
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
				scopes: z.array(z.enum(TOKEN_SCOPES)),
				name: z.string().optional(),
				accounts: z.array(z.string()).optional(),
			}),
		)
		.optional(),
	accounts: z
		.array(
			z.object({
				id: z.string().min(1),
				name: z.string().optional(),
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
				zones: z
					.array(
						z.object({
							id: z.string().regex(/^[0-9a-f]{32}$/, 'a zone id is 32 lowercase hex digits'),
							name: z.string().min(1),
							plan: z.enum(['free', 'pro', 'business', 'enterprise']).optional(),
							status: z.enum(['active', 'pending']).optional(),
							// Record fields are checked when the state is built, as the API checks them.
							records: z
								.array(
									z.looseObject({
										id: z.string().optional(),
										type: z.enum(DNS_RECORD_TYPES),
										name: z.string(),
										content: z.string(),
									}),
								)
								.optional(),
						}),
					)
					.optional(),
				virtualNetworks: z
					.array(
						z.object({
							id: z.string().min(1),
							name: z.string().min(1),
							comment: z.string().optional(),
							is_default_network: z.boolean().optional(),
						}),
					)
					.optional(),
				routes: z
					.array(
						z.object({
							id: z.string().min(1).optional(),
							network: z.string(),
							tunnel_id: z.string().min(1),
							tunnel_name: z.string().optional(),
							comment: z.string().optional(),
							virtual_network_id: z.string().optional(),
						}),
					)
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

/** A DNS record as the stand-in holds it, in the API's field names. */
export interface DnsRecordState {
	/** 32 hex. */
	id: string
	type: DnsRecordType
	/** The full name, lowercase, without the trailing dot. */
	name: string
	content: string
	proxied: boolean
	/** 1 = automatic (always so for proxied records). */
	ttl: number
	/** MX only. */
	priority?: number
	comment: string | null
	tags: string[]
	created_on: string
	modified_on: string
	/** Omitted when the record never had a comment. */
	comment_modified_on?: string
	/** Omitted when the record never had tags. */
	tags_modified_on?: string
}

/** A zone as the stand-in holds it; records in creation order. */
export interface ZoneState {
	id: string
	name: string
	accountId: string
	plan: ZonePlan
	status: 'active' | 'pending'
	createdOn: string
	records: DnsRecordState[]
}

/** A virtual network, in the API's field names. */
export interface VirtualNetworkState {
	id: string
	name: string
	comment: string
	is_default_network: boolean
	created_at: string
}

/** A private-network route, in the API's field names; a deleted route keeps its row. */
export interface RouteState {
	id: string
	/** Canonical CIDR. */
	network: string
	tunnel_id: string
	comment: string
	virtual_network_id: string
	created_at: string
	/** Set by DELETE (soft deletion). */
	deleted_at: string | null
}

/** An account as the stand-in holds it. */
export interface AccountState {
	id: string
	name: string
	tunnels: Map<string, TunnelState>
	/** Keyed by policy id; the default profile is under `default`. */
	profiles: Map<string, ProfileState>
	zones: Map<string, ZoneState>
	virtualNetworks: Map<string, VirtualNetworkState>
	/** Every route ever created, deleted ones included, in creation order. */
	routes: Map<string, RouteState>
	/** Tunnels of other teams that seeded routes name, by id (the account's own are in `tunnels`). */
	otherTunnels: Map<string, string>
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
		accounts.set(account.id, buildAccount(account, connectorsPerTunnel, now))
	}
	const tokens = new Map<string, TokenSeed>()
	for (const token of seed.tokens ?? defaults.tokens) {
		tokens.set(token.value, structuredClone(token))
	}
	return { accounts, tokens }
}

/** Builds one account; records and routes go through the API's checks, so a bad seed throws. */
function buildAccount(
	account: AccountSeed,
	connectorsPerTunnel: number,
	now: number,
): AccountState {
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
	const created = cloudflareTime(now)
	const zones = new Map<string, ZoneState>()
	for (const zone of account.zones ?? []) {
		zones.set(zone.id, buildZone(zone, account.id, created))
	}
	const otherTunnels = new Map<string, string>()
	for (const route of account.routes ?? []) {
		if (!tunnels.has(route.tunnel_id)) {
			otherTunnels.set(route.tunnel_id, route.tunnel_name ?? route.tunnel_id)
		}
	}
	const built: AccountState = {
		id: account.id,
		name: account.name ?? `Account ${account.id.slice(0, 8)}`,
		tunnels,
		profiles,
		zones,
		virtualNetworks: buildVirtualNetworks(account, created),
		routes: new Map(),
		otherTunnels,
	}
	for (const { id, tunnel_name: _, ...body } of account.routes ?? []) {
		const written = writeRoute(built, body, { mode: 'create', now: created, id })
		if (!written.ok) {
			throw new Error(`seeded route ${body.network}: ${written.refusal.message}`)
		}
		built.routes.set(written.route.id, written.route)
	}
	return built
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

/** Builds a zone, writing its seeded records through the API's checks. */
function buildZone(seed: ZoneSeed, accountId: string, created: string): ZoneState {
	const zone: ZoneState = {
		id: seed.id,
		name: seed.name.toLowerCase(),
		accountId,
		plan: seed.plan ?? 'free',
		status: seed.status ?? 'active',
		createdOn: created,
		records: [],
	}
	for (const record of seed.records ?? []) {
		const { id, ...body } = record
		const written = writeRecord(zone, body, { mode: 'create', now: created, id })
		if (!written.ok) {
			throw new Error(
				`seeded record ${record.type} ${record.name} in ${seed.name}: ${written.refusal.message}`,
			)
		}
		zone.records.push(written.record)
	}
	return zone
}

/** The seeded virtual networks, plus a default one when none is marked default. */
function buildVirtualNetworks(
	account: AccountSeed,
	created: string,
): Map<string, VirtualNetworkState> {
	const seeds = account.virtualNetworks ?? []
	if (seeds.filter((v) => v.is_default_network === true).length > 1) {
		throw new Error(`account ${account.id} has more than one default virtual network`)
	}
	const all: VirtualNetworkSeed[] = seeds.some((v) => v.is_default_network === true)
		? seeds
		: // Stable across resets, so tests may keep the id.
			[{ id: derivedUuid(account.id), name: 'default', is_default_network: true }, ...seeds]
	return new Map(
		all.map((v) => [
			v.id,
			{
				id: v.id,
				name: v.name,
				comment: v.comment ?? '',
				is_default_network: v.is_default_network ?? false,
				created_at: created,
			},
		]),
	)
}

function modeOf(seed: ProfileSeed): Pick<ProfileState, 'mode' | 'list'> {
	if (seed.include !== undefined && seed.exclude !== undefined) {
		throw new Error('a device profile has either an include or an exclude list, not both')
	}
	return seed.exclude !== undefined
		? { mode: 'exclude', list: structuredClone(seed.exclude) }
		: { mode: 'include', list: structuredClone(seed.include ?? []) }
}
