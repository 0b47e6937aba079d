/** Behaviour of the Cloudflare stand-in's private-network routes and virtual networks. */
import { beforeEach, describe, expect, it } from 'vitest'
import {
	type CallOptions,
	callStandin,
	failureOf,
	resultOf,
} from '../../standins/cloudflare/call.ts'
import {
	DEFAULT_ACCOUNT_ID,
	DEFAULT_TUNNEL_ID,
	DEFAULT_VIRTUAL_NETWORK_ID,
	DNS_TOKEN,
	NETOPS_ROUTE_ID,
	NETOPS_TUNNEL_ID,
	READ_ONLY_TOKEN,
	TUNNEL_TOKEN,
	ZERO_TRUST_TOKEN,
} from '../../standins/cloudflare/seed.ts'
import {
	type CloudflareStandin,
	createCloudflareStandin,
} from '../../standins/cloudflare/standin.ts'

const ACCOUNT = `/client/v4/accounts/${DEFAULT_ACCOUNT_ID}`
const ROUTES = `${ACCOUNT}/teamnet/routes`
const STAGING_NETWORK_ID = '0e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b'
const pods = { network: '10.42.0.0/16', tunnel_id: DEFAULT_TUNNEL_ID, comment: 'Pods - oceanid' }

interface Teamnet {
	id: string
	network: string
	tunnel_id: string
	tunnel_name?: string
	tun_type?: string
	comment: string
	virtual_network_id: string
	virtual_network_name?: string
	created_at: string
	deleted_at: string | null
}

let clock = Date.UTC(2026, 7, 20, 10, 0, 0)
let standin: CloudflareStandin

beforeEach(() => {
	clock = Date.UTC(2026, 7, 20, 10, 0, 0)
	standin = createCloudflareStandin({ now: () => clock })
})

function call(method: string, path: string, options: Partial<CallOptions> = {}) {
	return callStandin(standin, method, path, { ...options, token: options.token ?? TUNNEL_TOKEN })
}

async function listed(query = ''): Promise<string[]> {
	const routes = resultOf<Teamnet[]>(await call('GET', `${ROUTES}${query}`))
	return routes.map((r) => `${r.network}${r.deleted_at === null ? '' : ' (deleted)'}`)
}

async function create(body: unknown): Promise<Teamnet> {
	return resultOf<Teamnet>(await call('POST', ROUTES, { body }))
}

/** The default account with a second, non-default virtual network. */
function withStaging() {
	standin = createCloudflareStandin({
		now: () => clock,
		accounts: [
			{
				id: DEFAULT_ACCOUNT_ID,
				tunnels: [{ id: DEFAULT_TUNNEL_ID, name: 'tethys' }],
				virtualNetworks: [{ id: STAGING_NETWORK_ID, name: 'staging' }],
			},
		],
	})
}

describe('listing routes', () => {
	it('answers another team’s route in the SDK Teamnet shape', async () => {
		const response = await call('GET', ROUTES)
		expect(resultOf<Teamnet[]>(response)).toEqual([
			{
				id: NETOPS_ROUTE_ID,
				network: '10.8.0.0/16',
				tunnel_id: NETOPS_TUNNEL_ID,
				tunnel_name: 'netops-office',
				tun_type: 'cfd_tunnel',
				comment: 'Office VPN - netops',
				virtual_network_id: DEFAULT_VIRTUAL_NETWORK_ID,
				virtual_network_name: 'default',
				created_at: '2026-08-20T10:00:00.000000Z',
				deleted_at: null,
			},
		])
		expect(response.json?.result_info).toEqual({
			page: 1,
			per_page: 20,
			count: 1,
			total_count: 1,
			total_pages: 1,
		})
	})

	it('filters by tunnel, network subset and superset, comment, virtual network, route id', async () => {
		await create(pods)
		await create({ network: '10.43.0.0/16', tunnel_id: DEFAULT_TUNNEL_ID })
		await create({ network: 'fd00:42::/48', tunnel_id: DEFAULT_TUNNEL_ID })
		expect(await listed(`?tunnel_id=${DEFAULT_TUNNEL_ID}`)).toEqual([
			'10.42.0.0/16',
			'10.43.0.0/16',
			'fd00:42::/48',
		])
		expect(await listed('?network_subset=10.40.0.0/13')).toEqual(['10.42.0.0/16', '10.43.0.0/16'])
		expect(await listed('?network_subset=10.0.0.0/8')).toHaveLength(3)
		expect(await listed('?network_superset=10.42.7.0/24')).toEqual(['10.42.0.0/16'])
		expect(await listed('?network_superset=10.42.0.0/16')).toEqual(['10.42.0.0/16'])
		expect(await listed('?network_subset=fd00::/16')).toEqual(['fd00:42::/48'])
		expect(await listed('?comment=Pods%20-%20oceanid')).toEqual(['10.42.0.0/16'])
		expect(await listed(`?virtual_network_id=${DEFAULT_VIRTUAL_NETWORK_ID}`)).toHaveLength(4)
		expect(await listed(`?route_id=${NETOPS_ROUTE_ID}`)).toEqual(['10.8.0.0/16'])
		expect(await listed('?tun_types=cfd_tunnel,warp_connector')).toHaveLength(4)
		expect(await listed('?tun_types=warp_connector')).toEqual([])
		for (const bad of ['is_deleted=maybe', 'network_subset=10.0.0.0', 'existed_at=yesterday']) {
			expect(failureOf(await call('GET', `${ROUTES}?${bad}`)), bad).toMatchObject({ status: 400 })
		}
	})

	it('pages', async () => {
		await create(pods)
		const second = await call('GET', `${ROUTES}?per_page=1&page=2`)
		expect(resultOf<Teamnet[]>(second).map((r) => r.network)).toEqual(['10.42.0.0/16'])
		expect(second.json?.result_info).toEqual({
			page: 2,
			per_page: 1,
			count: 1,
			total_count: 2,
			total_pages: 2,
		})
		expect((await call('GET', `${ROUTES}?per_page=1001`)).status).toBe(400)
	})
})

describe('writing routes', () => {
	it('creates a route in the default virtual network, answered in the SDK Route shape', async () => {
		const response = await call('POST', ROUTES, { body: pods })
		const route = resultOf<Teamnet>(response)
		expect(route).toEqual({
			id: expect.stringMatching(/^[0-9a-f-]{36}$/),
			...pods,
			virtual_network_id: DEFAULT_VIRTUAL_NETWORK_ID,
			created_at: '2026-08-20T10:00:00.000000Z',
			deleted_at: null,
		})
		expect(resultOf<Teamnet>(await call('GET', `${ROUTES}/${route.id}`))).toEqual(route)
		expect(standin.routes(DEFAULT_ACCOUNT_ID).map((r) => r.network)).toEqual([
			'10.8.0.0/16',
			'10.42.0.0/16',
		])
		expect(standin.requests.at(-2)).toMatchObject({
			scope: 'tunnel',
			token: 'tunnel',
			write: true,
			applied: true,
			body: pods,
		})
	})

	it('stores IPv6 networks in canonical form and a missing comment as empty', async () => {
		const route = await create({ network: 'FD00:0042:0000::/48', tunnel_id: DEFAULT_TUNNEL_ID })
		expect(route).toMatchObject({ network: 'fd00:42::/48', comment: '' })
	})

	it('refuses the same network twice in one virtual network, as Cloudflare does', async () => {
		const again = await call('POST', ROUTES, {
			body: { network: '10.8.0.0/16', tunnel_id: DEFAULT_TUNNEL_ID, comment: 'ours' },
		})
		expect(failureOf(again)).toEqual({
			status: 400,
			code: 1014,
			message: 'A route for 10.8.0.0/16 already exists in this virtual network',
		})
		expect(standin.routes(DEFAULT_ACCOUNT_ID)).toHaveLength(1)
		expect(standin.requests.at(-1)).toMatchObject({ write: true, applied: false })
	})

	it('allows the same network in another virtual network', async () => {
		withStaging()
		await create(pods)
		const staging = await create({ ...pods, virtual_network_id: STAGING_NETWORK_ID })
		expect(staging.virtual_network_id).toBe(STAGING_NETWORK_ID)
		const names = resultOf<Teamnet[]>(await call('GET', ROUTES)).map((r) => r.virtual_network_name)
		expect(names).toEqual(['default', 'staging'])
	})

	it.each([
		['no prefix', { network: '10.42.0.0', tunnel_id: DEFAULT_TUNNEL_ID }, 1001],
		['host bits set', { network: '10.42.1.0/16', tunnel_id: DEFAULT_TUNNEL_ID }, 1001],
		['no network at all', { network: 'pods', tunnel_id: DEFAULT_TUNNEL_ID }, 1001],
		['a prefix too long', { network: '10.42.0.0/33', tunnel_id: DEFAULT_TUNNEL_ID }, 1001],
		['no tunnel', { network: '10.42.0.0/16' }, 1001],
		['an unknown tunnel', { network: '10.42.0.0/16', tunnel_id: crypto.randomUUID() }, 1003],
		['an unknown virtual network', { ...pods, virtual_network_id: crypto.randomUUID() }, 1016],
		['a number for a comment', { ...pods, comment: 7 }, 1001],
	])('refuses %s with 400', async (_name, body, code) => {
		expect(failureOf(await call('POST', ROUTES, { body }))).toMatchObject({ status: 400, code })
		expect(standin.routes(DEFAULT_ACCOUNT_ID)).toHaveLength(1)
	})

	it('names the network a route with host bits set meant', async () => {
		const response = await call('POST', ROUTES, {
			body: { network: '10.42.1.0/16', tunnel_id: DEFAULT_TUNNEL_ID },
		})
		expect(failureOf(response)?.message).toContain('10.42.0.0/16')
	})

	it('PATCH changes only the fields sent, and checks the result again', async () => {
		const route = await create(pods)
		clock += 60_000
		const renamed = resultOf<Teamnet>(
			await call('PATCH', `${ROUTES}/${route.id}`, { body: { comment: 'Pods' } }),
		)
		expect(renamed).toEqual({ ...route, comment: 'Pods' })
		const moved = resultOf<Teamnet>(
			await call('PATCH', `${ROUTES}/${route.id}`, { body: { tunnel_id: NETOPS_TUNNEL_ID } }),
		)
		expect(moved.tunnel_id).toBe(NETOPS_TUNNEL_ID)
		const clash = await call('PATCH', `${ROUTES}/${route.id}`, { body: { network: '10.8.0.0/16' } })
		expect(failureOf(clash)).toMatchObject({ status: 400, code: 1014 })
		expect(standin.routes(DEFAULT_ACCOUNT_ID)[1]?.network).toBe('10.42.0.0/16')
	})

	it('DELETE is a soft deletion: the row stays, with deleted_at, and the network is free again', async () => {
		const route = await create(pods)
		clock += 60_000
		const deleted = resultOf<Teamnet>(await call('DELETE', `${ROUTES}/${route.id}`))
		expect(deleted).toEqual({ ...route, deleted_at: '2026-08-20T10:01:00.000000Z' })
		expect(resultOf<Teamnet>(await call('GET', `${ROUTES}/${route.id}`)).deleted_at).toBe(
			'2026-08-20T10:01:00.000000Z',
		)
		expect(await listed('?is_deleted=false')).toEqual(['10.8.0.0/16'])
		expect(await listed('?is_deleted=true')).toEqual(['10.42.0.0/16 (deleted)'])
		// Without is_deleted every route is listed, as the SDK documents.
		expect(await listed()).toEqual(['10.8.0.0/16', '10.42.0.0/16 (deleted)'])
		expect(await listed('?existed_at=2026-08-20T10:00:30Z')).toEqual([
			'10.8.0.0/16',
			'10.42.0.0/16 (deleted)',
		])
		expect(await listed('?existed_at=2026-08-20T10:02:00Z')).toEqual(['10.8.0.0/16'])
		expect(standin.routes(DEFAULT_ACCOUNT_ID)).toHaveLength(1)
		expect(standin.routes(DEFAULT_ACCOUNT_ID, { includeDeleted: true })).toHaveLength(2)
		const recreated = await create(pods)
		expect(recreated.id).not.toBe(route.id)
	})

	it('answers an unknown or deleted route with 404 code 1015', async () => {
		const route = await create(pods)
		await call('DELETE', `${ROUTES}/${route.id}`)
		const expected = {
			status: 404,
			code: 1015,
			message:
				"You are trying to modify the route for a network that isn't routed. Please add the network before modifying it. Or, check that you specified the correct network.",
		}
		expect(failureOf(await call('DELETE', `${ROUTES}/${route.id}`))).toEqual(expected)
		expect(
			failureOf(await call('PATCH', `${ROUTES}/${route.id}`, { body: { comment: 'x' } })),
		).toEqual(expected)
		expect(failureOf(await call('GET', `${ROUTES}/${crypto.randomUUID()}`))).toEqual(expected)
	})
})

describe('scopes', () => {
	it('belong to the tunnel family: zero-trust and dns tokens are refused', async () => {
		for (const token of [ZERO_TRUST_TOKEN, DNS_TOKEN]) {
			expect(failureOf(await call('GET', ROUTES, { token }))).toMatchObject({
				status: 403,
				code: 10000,
			})
			expect((await call('POST', ROUTES, { token, body: pods })).status).toBe(403)
		}
		expect(standin.routes(DEFAULT_ACCOUNT_ID)).toHaveLength(1)
	})

	it('let read-only tokens list, not write', async () => {
		expect((await call('GET', ROUTES, { token: READ_ONLY_TOKEN })).status).toBe(200)
		expect((await call('POST', ROUTES, { token: READ_ONLY_TOKEN, body: pods })).status).toBe(403)
		const route = `${ROUTES}/${NETOPS_ROUTE_ID}`
		expect((await call('DELETE', route, { token: READ_ONLY_TOKEN })).status).toBe(403)
		expect(standin.routes(DEFAULT_ACCOUNT_ID)).toHaveLength(1)
	})

	it('refuse another account, and answer an unknown one with 404', async () => {
		standin = createCloudflareStandin({
			accounts: [{ id: DEFAULT_ACCOUNT_ID }, { id: 'a'.repeat(32) }],
			tokens: [
				{ value: TUNNEL_TOKEN, scopes: ['tunnel'] },
				{ value: 'scoped', scopes: ['tunnel'], accounts: ['a'.repeat(32)] },
			],
		})
		expect((await call('GET', ROUTES, { token: 'scoped' })).status).toBe(403)
		const other = await call('GET', `/client/v4/accounts/${'a'.repeat(32)}/teamnet/routes`, {
			token: 'scoped',
		})
		expect(resultOf<unknown[]>(other)).toEqual([])
		expect(
			failureOf(await call('GET', `/client/v4/accounts/${'f'.repeat(32)}/teamnet/routes`)),
		).toMatchObject({ status: 404, code: 7003 })
	})
})

describe('virtual networks', () => {
	it('lists the account’s, the default one marked', async () => {
		withStaging()
		const all = resultOf<Array<{ id: string; name: string; is_default_network: boolean }>>(
			await call('GET', `${ACCOUNT}/teamnet/virtual_networks`),
		)
		expect(all.map((v) => [v.name, v.is_default_network])).toEqual([
			['default', true],
			['staging', false],
		])
		const only = await call('GET', `${ACCOUNT}/teamnet/virtual_networks?is_default_network=true`)
		expect(resultOf<Array<{ name: string }>>(only).map((v) => v.name)).toEqual(['default'])
		expect(
			resultOf<unknown[]>(await call('GET', `${ACCOUNT}/teamnet/virtual_networks?is_deleted=true`)),
		).toEqual([])
	})

	it('gives an account without one a default whose id survives a reset', () => {
		withStaging()
		const before = standin.virtualNetworks(DEFAULT_ACCOUNT_ID)[0]
		standin.reset()
		expect(standin.virtualNetworks(DEFAULT_ACCOUNT_ID)[0]).toEqual(before)
		expect(before?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/)
		expect(before?.id).not.toBe(DEFAULT_VIRTUAL_NETWORK_ID)
	})
})

describe('hand edits and state', () => {
	it('create, change and delete routes as the dashboard would', () => {
		const created = standin.handEdit({
			kind: 'route',
			op: 'create',
			accountId: DEFAULT_ACCOUNT_ID,
			route: pods,
		})
		const id = created.kind === 'route' ? created.route.id : ''
		standin.handEdit({
			kind: 'route',
			op: 'update',
			accountId: DEFAULT_ACCOUNT_ID,
			id,
			route: { comment: 'by hand' },
		})
		expect(standin.routes(DEFAULT_ACCOUNT_ID)[1]).toMatchObject({ id, comment: 'by hand' })
		const deleted = standin.handEdit({
			kind: 'route',
			op: 'delete',
			accountId: DEFAULT_ACCOUNT_ID,
			id,
		})
		expect(deleted).toMatchObject({
			kind: 'route',
			op: 'delete',
			route: { id, deleted_at: expect.any(String) },
		})
		expect(standin.routes(DEFAULT_ACCOUNT_ID).map((r) => r.id)).toEqual([NETOPS_ROUTE_ID])
		expect(() =>
			standin.handEdit({
				kind: 'route',
				op: 'create',
				accountId: DEFAULT_ACCOUNT_ID,
				route: { network: '10.8.0.0/16', tunnel_id: DEFAULT_TUNNEL_ID },
			}),
		).toThrow(/hand edit rejected.*already exists/)
		expect(standin.requests).toEqual([])
	})

	it('race a write: someone routes our network between our list and our create', async () => {
		standin.addFault({
			method: 'POST',
			path: '/accounts/:account/teamnet/routes',
			times: 1,
			kind: 'hand-edit',
			edit: {
				kind: 'route',
				op: 'create',
				accountId: DEFAULT_ACCOUNT_ID,
				route: { network: '10.42.0.0/16', tunnel_id: NETOPS_TUNNEL_ID, comment: 'netops' },
			},
		})
		expect(failureOf(await call('POST', ROUTES, { body: pods }))).toMatchObject({ code: 1014 })
		expect(standin.requests.at(-1)?.faults).toEqual(['hand-edit'])
	})

	it('show in the state and go with a reset', async () => {
		await create(pods)
		const state = standin.snapshot()
		expect(state.accounts[0]?.routes.map((r) => r.network)).toEqual(['10.8.0.0/16', '10.42.0.0/16'])
		expect(state.accounts[0]?.virtualNetworks.map((v) => v.id)).toEqual([
			DEFAULT_VIRTUAL_NETWORK_ID,
		])
		standin.reset()
		expect(standin.routes(DEFAULT_ACCOUNT_ID).map((r) => r.id)).toEqual([NETOPS_ROUTE_ID])
	})

	it('refuse seeds Cloudflare could not hold', () => {
		const seed = (route: { network: string; virtual_network_id?: string }) => () =>
			createCloudflareStandin({
				accounts: [{ id: DEFAULT_ACCOUNT_ID, routes: [{ tunnel_id: NETOPS_TUNNEL_ID, ...route }] }],
			})
		expect(seed({ network: '10.8.1.0/16' })).toThrow(/host bits/)
		expect(seed({ network: '10.8.0.0/16', virtual_network_id: 'nope' })).toThrow(
			/seeded route 10.8.0.0\/16: Virtual network nope not found/,
		)
	})
})
