/** Zero Trust private-network routes behind the RoutesApi port: mapping and checking only. */
import * as z from 'zod'
import type { RoutesApi } from '../../domain/edge/ports.ts'
import type { LiveRoute, RouteInput } from '../../domain/edge/state.ts'
import { err, ok } from '../../lib/result.ts'
import type { createTunnelClient } from './client.ts'
import { classifyError, readAllPages, readResult, type TokenIdentity } from './envelope.ts'

const TOKEN: TokenIdentity = {
	name: 'CF_TUNNEL_API_TOKEN',
	permission: 'Account › Cloudflare Tunnel › Edit (it covers private-network routes)',
}

const routeSchema = z.looseObject({
	id: z.string(),
	network: z.string(),
	tunnel_id: z.string(),
	virtual_network_id: z.string().nullish(),
	comment: z.string().nullish(),
	tunnel_name: z.string().nullish(),
	deleted_at: z.string().nullish(),
})

/** RoutesApi over the official SDK. */
export function cloudflareRoutesApi(client: ReturnType<typeof createTunnelClient>): RoutesApi {
	const routes = client.zeroTrust.networks.routes
	const attempt = async <T>(call: () => Promise<T>) => {
		try {
			return await call()
		} catch (e) {
			return err(classifyError(e, TOKEN))
		}
	}
	const body = (route: RouteInput) => ({
		network: route.network,
		tunnel_id: route.tunnelId,
		comment: route.comment,
		...(route.virtualNetworkId !== undefined && { virtual_network_id: route.virtualNetworkId }),
	})
	return {
		list: (accountId) =>
			attempt(async () => {
				const all = await readAllPages(
					(page) =>
						routes
							.list({ account_id: accountId, is_deleted: false, page, per_page: 100 })
							.asResponse(),
					routeSchema,
				)
				return all.ok ? ok(all.value.filter((r) => !r.deleted_at).map(toLive)) : all
			}),
		create: (accountId, route) =>
			attempt(async () => {
				const created = await readResult(
					await routes.create({ account_id: accountId, ...body(route) }).asResponse(),
					routeSchema,
				)
				return created.ok ? ok(toLive(created.value)) : created
			}),
		edit: (accountId, id, route) =>
			attempt(async () => {
				const edited = await readResult(
					await routes.edit(id, { account_id: accountId, ...body(route) }).asResponse(),
					routeSchema,
				)
				return edited.ok ? ok(toLive(edited.value)) : edited
			}),
		delete: (accountId, id) =>
			attempt(async () => {
				const deleted = await readResult(
					await routes.delete(id, { account_id: accountId }).asResponse(),
					routeSchema.partial(),
				)
				return deleted.ok ? ok(undefined) : deleted
			}),
	}
}

function toLive(route: z.infer<typeof routeSchema>): LiveRoute {
	return {
		id: route.id,
		network: route.network,
		tunnelId: route.tunnel_id,
		...(route.virtual_network_id && { virtualNetworkId: route.virtual_network_id }),
		...(route.comment && { comment: route.comment }),
		...(route.tunnel_name && { tunnelName: route.tunnel_name }),
	}
}
