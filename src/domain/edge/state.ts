/**
 * @module What Cloudflare holds (live) and what tidegate last wrote (applied), in domain terms.
 * The planner compares these with the desired state; adapters translate the wire formats.
 */

import type { IngressRule } from '../desired-state/model.ts'
import type { OriginRequest } from '../desired-state/schema.ts'

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

/** The device profile's split-tunnel state. */
export interface LiveSplitTunnel {
	mode: SplitTunnelMode
	include: SplitTunnelEntry[]
	/** Only read to explain a refusal; tidegate never writes the exclude list. */
	excludeCount: number
}

/** The tunnel document tidegate last PUT, from D1. */
export interface AppliedTunnel {
	ingress: IngressRule[]
	originRequest?: OriginRequest
	warpRouting?: boolean
	version: number | null
	commitSha: string | null
}

/** tidegate's own split-tunnel entries as last PUT, with their `protected` flags, from D1. */
export interface AppliedSplitTunnel {
	entries: { address?: string; host?: string; description: string; protected: boolean }[]
	commitSha: string | null
}

/** D1 key of a tunnel's record. */
export const tunnelResource = (tunnelId: string): string => `tunnel:${tunnelId}`

/** D1 key of a device profile's split-tunnel record. */
export const splitTunnelResource = (accountId: string, policy: string): string =>
	`split-tunnel:${accountId}:${policy}`
