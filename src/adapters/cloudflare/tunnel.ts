/** The tunnel configuration endpoints behind the TunnelApi port: mapping and checking only. */
import * as z from 'zod'
import type { IngressRule } from '../../domain/desired-state/model.ts'
import type { OriginRequest } from '../../domain/desired-state/schema.ts'
import type { TunnelApi } from '../../domain/edge/ports.ts'
import type { LiveTunnelConfig } from '../../domain/edge/state.ts'
import { err } from '../../lib/result.ts'
import type { createTunnelClient } from './client.ts'
import { classifyError, readResult, type TokenIdentity } from './envelope.ts'

const TOKEN: TokenIdentity = {
	name: 'CF_TUNNEL_API_TOKEN',
	permission: 'Account › Cloudflare Tunnel › Edit',
}

const ruleSchema = z.looseObject({
	hostname: z.string().optional(),
	path: z.string().optional(),
	service: z.string(),
	originRequest: z.record(z.string(), z.unknown()).optional(),
})

const configurationSchema = z.looseObject({
	version: z.number().int().nonnegative().default(0),
	config: z
		.looseObject({
			ingress: z.array(ruleSchema).nullish(),
			originRequest: z.record(z.string(), z.unknown()).nullish(),
			'warp-routing': z.looseObject({ enabled: z.boolean().optional() }).nullish(),
		})
		.nullish(),
})

const connectorsSchema = z.array(
	z.looseObject({
		id: z.string(),
		config_version: z.number().int().nullish(),
		version: z.string().nullish(),
	}),
)

/** TunnelApi over the official SDK. */
export function cloudflareTunnelApi(client: ReturnType<typeof createTunnelClient>): TunnelApi {
	const configurations = client.zeroTrust.tunnels.cloudflared.configurations
	return {
		async getConfig(ref) {
			try {
				const response = await configurations
					.get(ref.tunnelId, { account_id: ref.accountId })
					.asResponse()
				const result = await readResult(response, configurationSchema)
				return result.ok ? { ok: true, value: toLive(result.value) } : result
			} catch (e) {
				return err(classifyError(e, TOKEN))
			}
		},
		async putConfig(ref, document) {
			const config: Record<string, unknown> = { ingress: document.ingress.map(toWireRule) }
			if (document.originRequest) {
				config.originRequest = document.originRequest
			}
			if (document.warpRouting !== undefined) {
				config['warp-routing'] = { enabled: document.warpRouting }
			}
			try {
				const response = await configurations
					// The SDK's type wants a hostname on every rule; the catch-all has none (docs/outside-apis.md, Cloudflare: the catch-all ingress rule).
					.update(ref.tunnelId, { account_id: ref.accountId, config } as Parameters<
						typeof configurations.update
					>[1])
					.asResponse()
				const result = await readResult(response, configurationSchema)
				return result.ok ? { ok: true, value: toLive(result.value) } : result
			} catch (e) {
				return err(classifyError(e, TOKEN))
			}
		},
		async getConnectors(ref) {
			try {
				const response = await client.zeroTrust.tunnels.cloudflared.connections
					.get(ref.tunnelId, { account_id: ref.accountId })
					.asResponse()
				const result = await readResult(response, connectorsSchema)
				if (!result.ok) {
					return result
				}
				return {
					ok: true,
					value: result.value.map((c) => ({
						id: c.id,
						configVersion: c.config_version ?? null,
						...(c.version ? { version: c.version } : {}),
					})),
				}
			} catch (e) {
				return err(classifyError(e, TOKEN))
			}
		},
	}
}

function toLive(result: z.infer<typeof configurationSchema>): LiveTunnelConfig {
	const config = result.config ?? {}
	const live: LiveTunnelConfig = {
		version: result.version,
		ingress: (config.ingress ?? []).map((r) => ({
			...(r.hostname !== undefined && { hostname: r.hostname }),
			...(r.path !== undefined && { path: r.path }),
			service: r.service,
			...(r.originRequest && { originRequest: r.originRequest as OriginRequest }),
		})),
	}
	if (config.originRequest) {
		live.originRequest = config.originRequest as OriginRequest
	}
	if (config['warp-routing']?.enabled !== undefined) {
		live.warpRouting = config['warp-routing'].enabled
	}
	return live
}

function toWireRule(rule: IngressRule): Record<string, unknown> {
	return {
		...(rule.hostname !== undefined && { hostname: rule.hostname }),
		...(rule.path !== undefined && { path: rule.path }),
		service: rule.service,
		...(rule.originRequest && { originRequest: rule.originRequest }),
	}
}
