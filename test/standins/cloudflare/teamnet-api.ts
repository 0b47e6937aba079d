/**
 * @module The Cloudflare stand-in's private-network endpoints (scope family `tunnel`: Cloudflare
 * documents Cloudflare Tunnel Write or Cloudflare One Networks Write as accepted for routes; the
 * stand-in has one family for both): routes under `/accounts/{a}/teamnet/routes` and the list of
 * virtual networks. Routes page 20 at a time by default (1 to 1000; the stand-in's choice). Rules
 * and answers live in `teamnet.ts`.
 */
import type { Context, Hono } from 'hono'
import type { AccountState, RouteState } from './seed.ts'
import type { ApiTools, StandinEnv } from './standin.ts'
import {
	ROUTE_NOT_FOUND,
	type RouteRefusal,
	routeFilter,
	routeResult,
	teamnetResult,
	virtualNetworkFilter,
	virtualNetworkResult,
	writeRoute,
} from './teamnet.ts'

const ROUTE_PAGES = { defaultPerPage: 20, minPerPage: 1, maxPerPage: 1000 }

/** Adds `/accounts/{a}/teamnet/…` to the API app. */
export function registerTeamnetApi(api: Hono<StandinEnv>, tools: ApiTools): void {
	/** Authorizes the token for the path's account, then finds it. */
	const findAccount = (c: Context<StandinEnv>): AccountState | Response => {
		const accountId = c.req.param('accountId') ?? ''
		const denied = tools.authorize(c, 'tunnel', accountId)
		return (
			denied ?? tools.state().accounts.get(accountId) ?? tools.noRoute(c, `/accounts/${accountId}`)
		)
	}

	const refuse = (c: Context<StandinEnv>, refusal: RouteRefusal) =>
		tools.fail(c, refusal.status, refusal.code, refusal.message)

	const routes = '/accounts/:accountId/teamnet/routes'

	api.get(routes, (c) => {
		const account = findAccount(c)
		if (account instanceof Response) {
			return account
		}
		const filter = routeFilter(new URL(c.req.url).searchParams)
		if (!filter.ok) {
			return tools.badQuery(c, filter.message)
		}
		const listed = [...account.routes.values()].filter(filter.keep)
		return tools.page(
			c,
			listed.map((route) => teamnetResult(route, account)),
			ROUTE_PAGES,
		)
	})

	api.post(routes, async (c) => {
		const account = findAccount(c)
		if (account instanceof Response) {
			return account
		}
		const json = await tools.readJson(c)
		if (!json.ok) {
			return json.response
		}
		const written = writeRoute(account, json.value, { mode: 'create', now: tools.now() })
		if (!written.ok) {
			return refuse(c, written.refusal)
		}
		account.routes.set(written.route.id, written.route)
		c.get('entry').applied = true
		return tools.ok(c, routeResult(written.route))
	})

	const route = `${routes}/:routeId`

	/** The account and the path's route, or the answer refusing the request. */
	const findRoute = (
		c: Context<StandinEnv>,
	): { account: AccountState; route: RouteState } | Response => {
		const account = findAccount(c)
		if (account instanceof Response) {
			return account
		}
		const found = account.routes.get(c.req.param('routeId') ?? '')
		return found === undefined ? refuse(c, ROUTE_NOT_FOUND) : { account, route: found }
	}

	// A deleted route is still found by id, with deleted_at set.
	api.get(route, (c) => {
		const found = findRoute(c)
		return found instanceof Response ? found : tools.ok(c, routeResult(found.route))
	})

	api.patch(route, async (c) => {
		const found = findRoute(c)
		if (found instanceof Response) {
			return found
		}
		const json = await tools.readJson(c)
		if (!json.ok) {
			return json.response
		}
		const written = writeRoute(found.account, json.value, {
			mode: 'edit',
			now: tools.now(),
			existing: found.route,
		})
		if (!written.ok) {
			return refuse(c, written.refusal)
		}
		found.account.routes.set(written.route.id, written.route)
		c.get('entry').applied = true
		return tools.ok(c, routeResult(written.route))
	})

	api.delete(route, (c) => {
		const found = findRoute(c)
		if (found instanceof Response) {
			return found
		}
		if (found.route.deleted_at !== null) {
			return refuse(c, ROUTE_NOT_FOUND)
		}
		found.route.deleted_at = tools.now()
		c.get('entry').applied = true
		return tools.ok(c, routeResult(found.route))
	})

	api.get('/accounts/:accountId/teamnet/virtual_networks', (c) => {
		const account = findAccount(c)
		if (account instanceof Response) {
			return account
		}
		const filter = virtualNetworkFilter(new URL(c.req.url).searchParams)
		if (!filter.ok) {
			return tools.badQuery(c, filter.message)
		}
		return tools.ok(
			c,
			[...account.virtualNetworks.values()].filter(filter.keep).map(virtualNetworkResult),
		)
	})
}
