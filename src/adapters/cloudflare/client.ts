/**
 * @module The official `cloudflare` SDK, tree-shaken to the resources tidegate calls.
 * Retries are deliberately off (`maxRetries: 0`): a 429 may ask for minutes, and sleeping inside
 * a Worker invocation would hold the single writer. Retry happens in one place, the queue, with
 * backoff or Retry-After. Responses are read raw (`asResponse`) and checked against the envelope,
 * because the SDK returns `null` for `200` + `"success": false` instead of throwing.
 */

import { BaseRecords } from 'cloudflare/resources/dns/records'
import { BaseCustom } from 'cloudflare/resources/zero-trust/devices/policies/custom/custom'
import { BaseExcludes as CustomExcludes } from 'cloudflare/resources/zero-trust/devices/policies/custom/excludes'
import { BaseIncludes as CustomIncludes } from 'cloudflare/resources/zero-trust/devices/policies/custom/includes'
import { BaseDefault } from 'cloudflare/resources/zero-trust/devices/policies/default/default'
import { BaseExcludes as DefaultExcludes } from 'cloudflare/resources/zero-trust/devices/policies/default/excludes'
import { BaseIncludes as DefaultIncludes } from 'cloudflare/resources/zero-trust/devices/policies/default/includes'
import { BaseRoutes } from 'cloudflare/resources/zero-trust/networks/routes/routes'
import { BaseConfigurations } from 'cloudflare/resources/zero-trust/tunnels/cloudflared/configurations'
import { BaseConnections } from 'cloudflare/resources/zero-trust/tunnels/cloudflared/connections'
import { BaseZones } from 'cloudflare/resources/zones/zones'
import { createClient } from 'cloudflare/tree-shakable'
import type { ApiCallLog } from '../../domain/ports.ts'
import { recordingFetch } from '../recording-fetch.ts'

/** Per-attempt timeout. The whole reconcile must fit well inside a queue invocation. */
export const CLOUDFLARE_TIMEOUT_MS = 15_000

/** Options shared by every client. */
export interface CloudflareClientOptions {
	apiToken: string
	baseURL: string
	calls: ApiCallLog
	fetch?: typeof fetch
}

/** A client for the tunnel configuration and private-network route endpoints (tunnel token). */
export function createTunnelClient(options: CloudflareClientOptions) {
	return createClient({
		...common(options),
		resources: [BaseConfigurations, BaseConnections, BaseRoutes],
	})
}

/** A client for the device-profile split-tunnel endpoints. */
export function createDevicesClient(options: CloudflareClientOptions) {
	return createClient({
		...common(options),
		resources: [
			BaseDefault,
			DefaultIncludes,
			DefaultExcludes,
			BaseCustom,
			CustomIncludes,
			CustomExcludes,
		],
	})
}

/** A client for zones and DNS records (DNS token). */
export function createDnsClient(options: CloudflareClientOptions) {
	return createClient({ ...common(options), resources: [BaseZones, BaseRecords] })
}

function common(options: CloudflareClientOptions) {
	return {
		apiToken: options.apiToken,
		baseURL: options.baseURL,
		maxRetries: 0,
		timeout: CLOUDFLARE_TIMEOUT_MS,
		fetch: recordingFetch('cloudflare', options.calls, options.fetch ?? fetch),
	}
}
