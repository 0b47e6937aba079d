/** @module Ports of the edge: the Cloudflare APIs tidegate writes and the record of what it wrote. */
import type { Result } from '../../lib/result.ts'
import type { ApiFailure } from '../ports.ts'
import type { TunnelDocument } from './plan.ts'
import type {
	AppliedSplitTunnel,
	AppliedTunnel,
	LiveSplitTunnel,
	LiveTunnelConfig,
	SplitTunnelEntry,
	TunnelConnector,
} from './state.ts'

/** A tunnel, by account and id. */
export interface TunnelRef {
	accountId: string
	tunnelId: string
}

/** The tunnel configuration API (token: Cloudflare Tunnel: Edit). */
export interface TunnelApi {
	getConfig(ref: TunnelRef): Promise<Result<LiveTunnelConfig, ApiFailure>>
	putConfig(ref: TunnelRef, document: TunnelDocument): Promise<Result<LiveTunnelConfig, ApiFailure>>
	getConnectors(ref: TunnelRef): Promise<Result<TunnelConnector[], ApiFailure>>
}

/** A device profile: `default` or a custom policy id. */
export interface ProfileRef {
	accountId: string
	policy: string
}

/** The split-tunnel API (token: Zero Trust: Edit). */
export interface SplitTunnelApi {
	/** Reads the profile's mode and, in include mode, its include list. */
	get(ref: ProfileRef): Promise<Result<LiveSplitTunnel, ApiFailure>>
	putInclude(
		ref: ProfileRef,
		entries: SplitTunnelEntry[],
	): Promise<Result<SplitTunnelEntry[], ApiFailure>>
}

/** One document tidegate PUT, as recorded after Cloudflare accepted it. */
export interface Application {
	resource: string
	runId: number
	commitSha: string | null
	document: unknown
	remoteVersion: number | null
	appliedAt: number
}

/** What tidegate last wrote per resource (D1 `applications`): the "last applied" of every plan. */
export interface ApplicationStore {
	latestTunnel(resource: string): Promise<AppliedTunnel | undefined>
	latestSplitTunnel(resource: string): Promise<AppliedSplitTunnel | undefined>
	/** The application before the newest one: what a rollback returns to. */
	previousTunnel(resource: string): Promise<(AppliedTunnel & { runId: number }) | undefined>
	previousSplitTunnel(
		resource: string,
	): Promise<(AppliedSplitTunnel & { runId: number }) | undefined>
	record(application: Application): Promise<void>
}
