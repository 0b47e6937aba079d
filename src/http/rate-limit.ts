/**
 * @module Floods of unauthenticated requests are answered before any body is read or any HMAC
 * computed: each client address gets a budget per door (webhooks, agents, admin), counted by the
 * Workers rate-limiting binding (`INTAKE_LIMITER` in wrangler.toml). Over budget: 429 with
 * Retry-After.
 * The budget is generous — a cluster's Flux burst after a push fits — because its job is to cap
 * the work one address can cause, not to shape traffic. docs/threat-model.md measures the cost.
 */

import type { MiddlewareHandler } from 'hono'
import ipaddr from 'ipaddr.js'
import type { AppEnv } from './app.ts'
import { errorResponse } from './errors.ts'

/** wrangler.toml's `[ratelimits.simple] period`: a client over budget may try again after it. */
const RATE_LIMIT_PERIOD_SECONDS = 10

/**
 * The middleware. Cloudflare sets `CF-Connecting-IP` to the client's address and a client cannot
 * remove it, so a request without it (tests), or from a loopback address (`wrangler dev` and
 * `npm start`, where Miniflare sets it to the local client; never so behind Cloudflare), is not
 * counted; neither is anything when the binding is absent (it is a safeguard, never a dependency).
 */
export function rateLimit(): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		const limiter = c.var.deps.rateLimiter
		const address = c.req.header('cf-connecting-ip')
		const door = doorOf(c.req.path)
		if (!limiter || !address || !door || isLoopback(address)) {
			return next()
		}
		let allowed = true
		try {
			allowed = await limiter.allow(`${door}:${clientKey(address)}`)
		} catch (e) {
			c.var.deps.log.log('warn', 'http.rate_limiter_failed', {
				error: e instanceof Error ? e.message : String(e),
			})
		}
		if (!allowed) {
			return errorResponse(
				'rate_limited',
				`too many requests from this address; try again in ${RATE_LIMIT_PERIOD_SECONDS} seconds`,
				c.get('requestId'),
				{ headers: { 'retry-after': String(RATE_LIMIT_PERIOD_SECONDS) } },
			)
		}
		return next()
	}
}

/** Which budget a path spends; `/healthz` spends none (it reads nothing). */
function doorOf(path: string): 'webhook' | 'agent' | 'admin' | undefined {
	if (path === '/healthz') {
		return undefined
	}
	if (path.startsWith('/webhooks/')) {
		return 'webhook'
	}
	return path.startsWith('/agent/') ? 'agent' : 'admin'
}

function isLoopback(address: string): boolean {
	return ipaddr.isValid(address) && ipaddr.process(address).range() === 'loopback'
}

/** An IPv6 client owns at least a /64, so it is counted as one; an IPv4 address as itself. */
function clientKey(address: string): string {
	if (!ipaddr.isValid(address)) {
		return address.slice(0, 64)
	}
	const parsed = ipaddr.parse(address)
	if (parsed.kind() === 'ipv6') {
		const v6 = parsed as ipaddr.IPv6
		return v6.isIPv4MappedAddress()
			? v6.toIPv4Address().toString()
			: `${v6.parts
					.slice(0, 4)
					.map((p) => p.toString(16))
					.join(':')}::/64`
	}
	return parsed.toString()
}
