/** @module Ports of the edge: the Cloudflare APIs tidegate writes and the record of what it wrote. */
import type { Result } from '../../lib/result.ts'
import type { ApiFailure } from '../ports.ts'
import type { TunnelDocument } from './kinds/tunnel.ts'
import type {
	Application,
	DnsRecordInput,
	History,
	LiveDnsRecord,
	LiveRoute,
	LiveSplitTunnel,
	LiveTunnelConfig,
	RouteInput,
	SplitTunnelEntry,
	SplitTunnelMode,
	TunnelConnector,
	Zone,
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

/**
 * The split-tunnel API (token: Zero Trust: Edit). An answer that does not say the mode, or whose
 * list is absent or null, is a failure (`unreadable`), never an empty list.
 */
export interface SplitTunnelApi {
	/** The profile's mode, read explicitly, and that mode's list. */
	get(ref: ProfileRef): Promise<Result<LiveSplitTunnel, ApiFailure>>
	/** Replaces the list of `mode` (the profile must already be in that mode). */
	put(
		ref: ProfileRef,
		mode: SplitTunnelMode,
		entries: SplitTunnelEntry[],
	): Promise<Result<SplitTunnelEntry[], ApiFailure>>
}

/** DNS zones and records (token: Zone › DNS › Edit and Zone › Zone › Read on the zones used). */
export interface DnsApi {
	/** Every zone of the account (all pages). */
	zones(accountId: string): Promise<Result<Zone[], ApiFailure>>
	/** Every record named exactly `name` in the zone. */
	records(zoneId: string, name: string): Promise<Result<LiveDnsRecord[], ApiFailure>>
	create(zoneId: string, record: DnsRecordInput): Promise<Result<LiveDnsRecord, ApiFailure>>
	overwrite(
		zoneId: string,
		id: string,
		record: DnsRecordInput,
	): Promise<Result<LiveDnsRecord, ApiFailure>>
	delete(zoneId: string, id: string): Promise<Result<void, ApiFailure>>
}

/** Zero Trust private-network routes (token: Cloudflare Tunnel: Edit, the tunnel token). */
export interface RoutesApi {
	/** Every route of the account that is not deleted (all pages). */
	list(accountId: string): Promise<Result<LiveRoute[], ApiFailure>>
	create(accountId: string, route: RouteInput): Promise<Result<LiveRoute, ApiFailure>>
	edit(accountId: string, id: string, route: RouteInput): Promise<Result<LiveRoute, ApiFailure>>
	delete(accountId: string, id: string): Promise<Result<void, ApiFailure>>
}

/** A write about to be made, recorded before it (so a crash cannot lose what it protects). */
export interface WriteIntent {
	resource: string
	runId: number
	commitSha: string | null
	owner: string
	document: unknown
	before: unknown
	rollbackOf: number | null
	at: number
}

/** What tidegate wrote per resource (D1 `applications`): the "last applied" of every plan. */
export interface ApplicationStore {
	/** The newest accepted write and the newer ones whose outcome is unknown or failed. */
	history(resource: string): Promise<History | undefined>
	/** Records a write as `pending`; returns its id. */
	begin(intent: WriteIntent): Promise<number>
	/** Marks a pending write `applied` (Cloudflare accepted it) or `failed` (it did not). */
	settle(id: number, outcome: { applied: boolean; remoteVersion: number | null }): Promise<void>
	/**
	 * The accepted write a rollback returns to: the one before the newest, or, when the newest is
	 * itself a rollback, the one it returned to (so rolling back twice lands on the same document).
	 */
	rollbackTarget(resource: string): Promise<Application | undefined>
	/** The owner of the newest write that recorded one: the owner tidegate.yaml may not change. */
	lastOwner(): Promise<string | undefined>
}
