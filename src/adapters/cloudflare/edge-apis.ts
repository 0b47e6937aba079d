/**
 * @module The Cloudflare ports, built one way for the Worker and the CLI: one client per token,
 * built on first use (most Worker invocations never call Cloudflare, and building an SDK client
 * costs more CPU than verifying a webhook), and a port that names the missing token when one is
 * not set. DNS is the exception: without its token it is skipped with a warning, not failed.
 */
import type { DnsApi, RoutesApi, SplitTunnelApi, TunnelApi } from '../../domain/edge/ports.ts'
import type { ApiCallLog } from '../../domain/ports.ts'
import { once } from '../../lib/once.ts'
import {
	unconfiguredRoutesApi,
	unconfiguredSplitTunnelApi,
	unconfiguredTunnelApi,
} from '../unconfigured.ts'
import { createDevicesClient, createDnsClient, createTunnelClient } from './client.ts'
import { cloudflareDnsApi } from './dns.ts'
import { cloudflareRoutesApi } from './routes.ts'
import { cloudflareSplitTunnelApi } from './split-tunnel.ts'
import { cloudflareTunnelApi } from './tunnel.ts'

/** Where the API is and the tokens that were set (undefined: not set). */
export interface CloudflareSettings {
	baseURL: string
	tunnelToken: string | undefined
	zeroTrustToken: string | undefined
	dnsToken: string | undefined
	calls: ApiCallLog
	fetch?: typeof fetch
}

/** The edge's Cloudflare ports. */
export interface CloudflareEdgeApis {
	readonly tunnelApi: TunnelApi
	readonly splitTunnelApi: SplitTunnelApi
	readonly dnsApi: DnsApi | undefined
	readonly routesApi: RoutesApi
}

/** Builds the ports lazily from the settings. */
export function cloudflareEdgeApis(settings: CloudflareSettings): CloudflareEdgeApis {
	const options = (apiToken: string) => ({
		apiToken,
		baseURL: settings.baseURL,
		calls: settings.calls,
		...(settings.fetch && { fetch: settings.fetch }),
	})
	const tunnelClient = once(() =>
		settings.tunnelToken === undefined
			? undefined
			: createTunnelClient(options(settings.tunnelToken)),
	)
	const tunnelApi = once(() => {
		const client = tunnelClient()
		return client ? cloudflareTunnelApi(client) : unconfiguredTunnelApi('CF_TUNNEL_API_TOKEN')
	})
	const routesApi = once(() => {
		const client = tunnelClient()
		return client ? cloudflareRoutesApi(client) : unconfiguredRoutesApi('CF_TUNNEL_API_TOKEN')
	})
	const splitTunnelApi = once(() =>
		settings.zeroTrustToken === undefined
			? unconfiguredSplitTunnelApi('CF_ZERO_TRUST_API_TOKEN')
			: cloudflareSplitTunnelApi(createDevicesClient(options(settings.zeroTrustToken))),
	)
	const dnsApi = once(() =>
		settings.dnsToken === undefined
			? undefined
			: cloudflareDnsApi(createDnsClient(options(settings.dnsToken))),
	)
	return {
		get tunnelApi() {
			return tunnelApi()
		},
		get splitTunnelApi() {
			return splitTunnelApi()
		},
		get dnsApi() {
			return dnsApi()
		},
		get routesApi() {
			return routesApi()
		},
	}
}

/**
 * `target` with the edge's Cloudflare ports as getters (a spread would build every client at
 * once, and most invocations need none).
 */
export function withEdgeApis<T extends object>(
	target: T,
	apis: CloudflareEdgeApis,
): T & CloudflareEdgeApis {
	for (const name of ['tunnelApi', 'splitTunnelApi', 'dnsApi', 'routesApi'] as const) {
		Object.defineProperty(target, name, { get: () => apis[name], enumerable: true })
	}
	return target as T & CloudflareEdgeApis
}
