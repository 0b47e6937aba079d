/**
 * @module Zero Trust private-network routes (CIDR → tunnel, `/accounts/{id}/teamnet/routes`) and
 * virtual networks for the Cloudflare stand-in: the checks a route write goes through, the list
 * filters, and the answers, type-checked against the `cloudflare` SDK's `Route`, `Teamnet` and
 * `VirtualNetwork`.
 *
 * Behaviour: a route belongs to one virtual network (the account's default one unless named); the
 * same network twice in one virtual network is refused, in two virtual networks it is fine (that
 * is what virtual networks are for). DELETE is a soft deletion: the route keeps its row with
 * `deleted_at` set, `GET` still finds it, listings hide it only when asked `is_deleted=false`
 * (without `is_deleted` they show every route, as the SDK documents), and its network is free
 * again. The SDK types `deleted_at` as an optional string; the API answers `null` for a live
 * route, and so does the stand-in.
 *
 * Evidence: 404 code 1015 and its message (unknown route) are observed; the other codes and
 * messages, the refusal of a network with host bits set, and the default `per_page` are the
 * stand-in's own choices.
 */
import type { Route, Teamnet } from 'cloudflare/resources/zero-trust/networks/routes/routes'
import type { VirtualNetwork } from 'cloudflare/resources/zero-trust/networks/virtual-networks'
import ipaddr from 'ipaddr.js'
import { z } from 'zod'
import type { AccountState, RouteState, VirtualNetworkState } from './seed.ts'

/** Codes of the route answers (see the module note on which are observed). */
export const TEAMNET_CODES = {
	invalidRoute: 1001,
	tunnelNotFound: 1003,
	routeExists: 1014,
	routeNotFound: 1015,
	virtualNetworkNotFound: 1016,
} as const

/** A refused route write: the HTTP status and the error item. */
export interface RouteRefusal {
	status: 400 | 404
	code: number
	message: string
}

/** The refusal for an unknown (or already deleted, when changing it) route. */
export const ROUTE_NOT_FOUND: RouteRefusal = {
	status: 404,
	code: TEAMNET_CODES.routeNotFound,
	message:
		"You are trying to modify the route for a network that isn't routed. Please add the network before modifying it. Or, check that you specified the correct network.",
}

/** What a route write does: create one, or change (PATCH) an existing one. */
export type RouteWrite =
	| { mode: 'create'; now: string; id?: string | undefined }
	| { mode: 'edit'; now: string; existing: RouteState }

/** The route to store, or the refusal. */
export type RouteWriteResult =
	| { ok: true; route: RouteState }
	| { ok: false; refusal: RouteRefusal }

const routeBodySchema = z.object({
	network: z.string().optional(),
	tunnel_id: z.string().optional(),
	comment: z.string().nullable().optional(),
	virtual_network_id: z.string().optional(),
})

/**
 * Checks one route write against the account as the API would, without changing the account: the
 * caller stores the route. A deleted route cannot be changed.
 */
export function writeRoute(
	account: AccountState,
	body: unknown,
	write: RouteWrite,
): RouteWriteResult {
	const refuse = (code: number, message: string, status: 400 | 404 = 400): RouteWriteResult => ({
		ok: false,
		refusal: { status, code, message },
	})
	const existing = write.mode === 'edit' ? write.existing : undefined
	if (existing?.deleted_at != null) {
		return { ok: false, refusal: ROUTE_NOT_FOUND }
	}
	const parsed = routeBodySchema.safeParse(body)
	if (!parsed.success) {
		const issue = parsed.error.issues[0]
		const where = issue?.path.length ? issue.path.join('.') : 'the body'
		return refuse(TEAMNET_CODES.invalidRoute, `Invalid route: ${where}: ${issue?.message}`)
	}
	const given = parsed.data
	const networkText = given.network ?? existing?.network
	const tunnelId = given.tunnel_id ?? existing?.tunnel_id
	if (networkText === undefined || tunnelId === undefined) {
		return refuse(TEAMNET_CODES.invalidRoute, 'Invalid route: network and tunnel_id are required')
	}
	const network = parseNetwork(networkText)
	if (!network.ok) {
		return refuse(TEAMNET_CODES.invalidRoute, `Invalid route: network ${network.message}`)
	}
	if (!account.tunnels.has(tunnelId) && !account.otherTunnels.has(tunnelId)) {
		return refuse(TEAMNET_CODES.tunnelNotFound, `Tunnel ${tunnelId} not found in this account`)
	}
	const virtualNetworkId =
		given.virtual_network_id ?? existing?.virtual_network_id ?? defaultVirtualNetwork(account).id
	if (!account.virtualNetworks.has(virtualNetworkId)) {
		return refuse(
			TEAMNET_CODES.virtualNetworkNotFound,
			`Virtual network ${virtualNetworkId} not found in this account`,
		)
	}
	const taken = [...account.routes.values()].some(
		(r) =>
			r.id !== existing?.id &&
			r.deleted_at === null &&
			r.network === network.value &&
			r.virtual_network_id === virtualNetworkId,
	)
	if (taken) {
		return refuse(
			TEAMNET_CODES.routeExists,
			`A route for ${network.value} already exists in this virtual network`,
		)
	}
	const comment = given.comment === undefined ? (existing?.comment ?? '') : (given.comment ?? '')
	return {
		ok: true,
		route: {
			id: existing?.id ?? (write.mode === 'create' ? write.id : undefined) ?? crypto.randomUUID(),
			network: network.value,
			tunnel_id: tunnelId,
			comment,
			virtual_network_id: virtualNetworkId,
			created_at: existing?.created_at ?? write.now,
			deleted_at: null,
		},
	}
}

/** The account's default virtual network (the seed guarantees one). */
export function defaultVirtualNetwork(account: AccountState): VirtualNetworkState {
	const found = [...account.virtualNetworks.values()].find((v) => v.is_default_network)
	if (found === undefined) {
		throw new Error(`account ${account.id} has no default virtual network`)
	}
	return found
}

/**
 * A route's network in canonical form (`address/prefix`, RFC 5952 for IPv6), or why it is not
 * one: CIDR notation is required and host bits must be zero.
 */
export function parseNetwork(
	text: string,
): { ok: true; value: string } | { ok: false; message: string } {
	const parsed = parseCidr(text)
	if (parsed === null) {
		return { ok: false, message: `"${text}" is not an IPv4 or IPv6 range in CIDR notation` }
	}
	const [address, prefix] = parsed
	const network =
		address.kind() === 'ipv4'
			? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${prefix}`)
			: ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${prefix}`)
	const canonical = `${format(network)}/${prefix}`
	if (format(network) !== format(address)) {
		return { ok: false, message: `"${text}" has host bits set (the network is ${canonical})` }
	}
	return { ok: true, value: canonical }
}

/** Filters for `GET …/teamnet/routes`, or why the query was refused. */
export function routeFilter(
	query: URLSearchParams,
): { ok: true; keep: (route: RouteState) => boolean } | { ok: false; message: string } {
	const tests: Array<(route: RouteState) => boolean> = []
	for (const key of ['tunnel_id', 'virtual_network_id', 'comment'] as const) {
		const value = query.get(key)
		if (value !== null) {
			tests.push((r) => r[key] === value)
		}
	}
	const routeId = query.get('route_id')
	if (routeId !== null) {
		tests.push((r) => r.id === routeId)
	}
	const isDeleted = query.get('is_deleted')
	if (isDeleted !== null) {
		if (isDeleted !== 'true' && isDeleted !== 'false') {
			return { ok: false, message: 'is_deleted must be true or false' }
		}
		tests.push((r) => (r.deleted_at !== null) === (isDeleted === 'true'))
	}
	for (const [key, contains] of [
		['network_subset', (filter: Cidr, route: Cidr) => cidrContains(filter, route)],
		['network_superset', (filter: Cidr, route: Cidr) => cidrContains(route, filter)],
	] as const) {
		const value = query.get(key)
		if (value === null) {
			continue
		}
		const filter = parseCidr(value)
		if (filter === null) {
			return { ok: false, message: `${key} must be an IP range in CIDR notation` }
		}
		tests.push((r) => {
			const route = parseCidr(r.network)
			return route !== null && contains(filter, route)
		})
	}
	const existedAt = query.get('existed_at')
	if (existedAt !== null) {
		const at = Date.parse(existedAt)
		if (Number.isNaN(at)) {
			return { ok: false, message: 'existed_at must be a timestamp' }
		}
		tests.push(
			(r) =>
				Date.parse(r.created_at) <= at && (r.deleted_at === null || Date.parse(r.deleted_at) > at),
		)
	}
	const tunTypes = query.getAll('tun_types').flatMap((t) => t.split(','))
	if (tunTypes.length > 0) {
		// Every route the stand-in holds goes through a cloudflared tunnel.
		tests.push(() => tunTypes.includes('cfd_tunnel'))
	}
	return { ok: true, keep: (route) => tests.every((t) => t(route)) }
}

/** Filters for `GET …/teamnet/virtual_networks` (`id`, `name`, `is_default[_network]`, `is_deleted`). */
export function virtualNetworkFilter(
	query: URLSearchParams,
): { ok: true; keep: (network: VirtualNetworkState) => boolean } | { ok: false; message: string } {
	const tests: Array<(network: VirtualNetworkState) => boolean> = []
	for (const key of ['id', 'name'] as const) {
		const value = query.get(key)
		if (value !== null) {
			tests.push((v) => v[key] === value)
		}
	}
	for (const key of ['is_default', 'is_default_network', 'is_deleted'] as const) {
		const value = query.get(key)
		if (value === null) {
			continue
		}
		if (value !== 'true' && value !== 'false') {
			return { ok: false, message: `${key} must be true or false` }
		}
		// The stand-in never deletes a virtual network.
		tests.push((v) => (key === 'is_deleted' ? false : v.is_default_network) === (value === 'true'))
	}
	return { ok: true, keep: (network) => tests.every((t) => t(network)) }
}

type WithNullDeletedAt<T> = Omit<T, 'deleted_at'> & { deleted_at: string | null }

/** A route as create, edit, delete and get answer it (`Route`). */
export function routeResult(route: RouteState): WithNullDeletedAt<Route> {
	return {
		id: route.id,
		network: route.network,
		tunnel_id: route.tunnel_id,
		virtual_network_id: route.virtual_network_id,
		comment: route.comment,
		created_at: route.created_at,
		deleted_at: route.deleted_at,
	} satisfies WithNullDeletedAt<Route>
}

/** A route as the list answers it (`Teamnet`): with the tunnel's and virtual network's names. */
export function teamnetResult(
	route: RouteState,
	account: AccountState,
): WithNullDeletedAt<Teamnet> {
	return {
		...routeResult(route),
		tun_type: 'cfd_tunnel',
		tunnel_name:
			account.tunnels.get(route.tunnel_id)?.name ??
			account.otherTunnels.get(route.tunnel_id) ??
			route.tunnel_id,
		virtual_network_name: account.virtualNetworks.get(route.virtual_network_id)?.name ?? '',
	} satisfies WithNullDeletedAt<Teamnet>
}

/** A virtual network as the API answers it (`VirtualNetwork`). */
export function virtualNetworkResult(network: VirtualNetworkState): VirtualNetwork {
	return {
		id: network.id,
		name: network.name,
		comment: network.comment,
		is_default_network: network.is_default_network,
		created_at: network.created_at,
	} satisfies VirtualNetwork
}

/** A UUID derived from a text, stable across runs (a default virtual network's id). */
export function derivedUuid(seed: string): string {
	let hex = ''
	for (let round = 0; hex.length < 32; round++) {
		// FNV-1a over "round:seed", four rounds of 32 bits.
		let hash = 0x811c9dc5
		for (const char of `${round}:${seed}`) {
			hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 0x01000193) >>> 0
		}
		hex += hash.toString(16).padStart(8, '0')
	}
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number]

function parseCidr(text: string): Cidr | null {
	const [address = '', prefixText, ...rest] = text.split('/')
	if (rest.length > 0 || prefixText === undefined || !/^\d{1,3}$/.test(prefixText)) {
		return null
	}
	const prefix = Number(prefixText)
	if (ipaddr.IPv4.isValidFourPartDecimal(address) && prefix <= 32) {
		return [ipaddr.IPv4.parse(address), prefix]
	}
	if (address.includes(':') && ipaddr.IPv6.isValid(address) && prefix <= 128) {
		return [ipaddr.IPv6.parse(address), prefix]
	}
	return null
}

function cidrContains(outer: Cidr, inner: Cidr): boolean {
	const [outerAddress, outerPrefix] = outer
	const [innerAddress, innerPrefix] = inner
	return (
		outerAddress.kind() === innerAddress.kind() &&
		outerPrefix <= innerPrefix &&
		innerAddress.match(outerAddress, outerPrefix)
	)
}

function format(address: ipaddr.IPv4 | ipaddr.IPv6): string {
	return address instanceof ipaddr.IPv6 ? address.toRFC5952String() : address.toString()
}
