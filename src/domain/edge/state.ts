/**
 * @module What Cloudflare holds (live) and what tidegate wrote (its history), in domain terms, for
 * every kind of edge resource. The planners compare these with the desired state; adapters
 * translate the wire formats; D1 keeps the history.
 */

import type { IngressRule } from '../desired-state/model.ts'
import type { OriginRequest } from '../desired-state/schema.ts'

/** The kinds of edge resource tidegate keeps in sync. */
export type EdgeKind = 'tunnel' | 'split-tunnel' | 'dns' | 'routes'

/** The tunnel's remotely managed configuration as Cloudflare returns it. */
export interface LiveTunnelConfig {
	/** Cloudflare's monotonic configuration version; it moves on every PUT, ours or a hand edit. */
	version: number
	ingress: IngressRule[]
	originRequest?: OriginRequest
	/** Present only when the API returned `warp-routing`. */
	warpRouting?: boolean
}

/** One cloudflared connector of the tunnel, with the configuration version it runs. */
export interface TunnelConnector {
	id: string
	configVersion: number | null
	version?: string
}

/** A split-tunnel entry as Cloudflare stores it; foreign entries are carried through untouched. */
export interface SplitTunnelEntry {
	address?: string
	host?: string
	description?: string
	/** Any other field Cloudflare returns is kept, so foreign entries round-trip exactly. */
	[field: string]: unknown
}

/** Which split-tunnel mode a device profile is in; writing the other list would switch (and wipe) it. */
export type SplitTunnelMode = 'include' | 'exclude'

/** A device profile's split-tunnel state: its mode, read explicitly, and that mode's list. */
export interface LiveSplitTunnel {
	mode: SplitTunnelMode
	entries: SplitTunnelEntry[]
}

/** A DNS zone of the account. */
export interface Zone {
	id: string
	name: string
}

/** A DNS record as Cloudflare returns it (the fields tidegate reads). */
export interface LiveDnsRecord {
	id: string
	zoneId: string
	name: string
	type: string
	content: string
	proxied: boolean
	comment?: string
}

/** The record tidegate writes for an ingress hostname. */
export interface DnsRecordInput {
	name: string
	type: 'CNAME'
	content: string
	proxied: true
	/** 1 = automatic, the only TTL a proxied record has. */
	ttl: 1
	comment: string
}

/** The DNS state a plan needs: the account's zones and every record at the names involved. */
export interface LiveDns {
	zones: Zone[]
	records: LiveDnsRecord[]
}

/** A private-network route as Cloudflare returns it. */
export interface LiveRoute {
	id: string
	network: string
	tunnelId: string
	virtualNetworkId?: string
	comment?: string
	/** The tunnel's name, when Cloudflare says (for messages only). */
	tunnelName?: string
}

/** A route as tidegate creates or edits it. */
export interface RouteInput {
	network: string
	tunnelId: string
	comment: string
	virtualNetworkId?: string
}

/** The account's routes (every route, every tunnel: foreign ones are kept and watched). */
export interface LiveRoutes {
	routes: LiveRoute[]
}

/**
 * One write tidegate made (D1 `applications`), recorded *before* the write as `pending`, then
 * settled `applied` or `failed`: a write whose outcome is unknown still protects what it named.
 */
export interface Application {
	id: number
	resource: string
	runId: number
	commitSha: string | null
	/** The owner of the desired state that made the write. */
	owner: string | null
	/** What tidegate wrote, in the kind's own shape (see each kind's `Applied…` type). */
	document: unknown
	/** The live state the write was planned against, as read: what a restore puts back. */
	before: unknown
	state: 'pending' | 'applied' | 'failed'
	/** For a rollback: the application it returned to (rolling back again lands there again). */
	rollbackOf: number | null
	remoteVersion: number | null
	appliedAt: number
}

/** A resource's history as a plan needs it. */
export interface History {
	/** The newest write Cloudflare accepted. */
	latest: Application | undefined
	/** Newer writes whose outcome is unknown or failed: what they named stays owned and protected. */
	unsettled: Application[]
}

/** D1 key of a tunnel's record. */
export const tunnelResource = (tunnelId: string): string => `tunnel:${tunnelId}`

/** D1 key of a device profile's split-tunnel record. */
export const splitTunnelResource = (accountId: string, policy: string): string =>
	`split-tunnel:${accountId}:${policy}`

/** D1 key of the DNS records of a tunnel's hostnames. */
export const dnsResource = (tunnelId: string): string => `dns:${tunnelId}`

/** D1 key of the private-network routes to a tunnel. */
export const routesResource = (accountId: string, tunnelId: string): string =>
	`routes:${accountId}:${tunnelId}`
