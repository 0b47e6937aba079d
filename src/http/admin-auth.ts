/**
 * @module Admin authentication for `/` and `/api/*`.
 *
 * Accepted: `Authorization: Bearer <ADMIN_TOKEN>` (scripts, CI); `Authorization: Basic` with the
 * token as password (a browser's own sign-in prompt); during a rotation `ADMIN_TOKEN_PREVIOUS` in
 * either place; a Cloudflare Access JWT in `Cf-Access-Jwt-Assertion`, verified against the team's
 * JWKS (RS256 only, the issuer and audience checked), when ACCESS_TEAM_DOMAIN and ACCESS_AUD are
 * set. Basic and Access credentials travel with every browser request like a cookie, so with them
 * a state-changing POST must also be same-origin JSON (which a cross-site form or a fetch without a
 * CORS preflight cannot send): CSRF-safe without a CSRF token.
 */

import type { MiddlewareHandler } from 'hono'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { MIN_SECRET_LENGTH } from '../app/config.ts'
import { matchesAnySecret } from '../lib/secrets.ts'
import type { AppEnv } from './app.ts'
import { AppError, errorResponse } from './errors.ts'

/** Who is calling, for logs and audit; never the credential itself. */
export type Principal = { kind: 'token' } | { kind: 'access'; email: string | undefined }

/** What admin auth needs from configuration. */
export interface AdminAuthConfig {
	/** The current token and, during a rotation, the previous one; empty: tokens are off. */
	adminTokens: string[]
	access: { teamDomain: string; audience: string } | undefined
}

/**
 * Cloudflare Access signs with RS256. Pinned, so a token can never pick its own algorithm (a key
 * published without `alg` would otherwise also verify PS256, and `none`/HS256 tricks have no door).
 */
const ACCESS_ALGORITHMS = ['RS256']

const jwksCache = new Map<string, ReturnType<typeof createRemoteJWKSet>>()

/** The middleware guarding admin routes. */
export function requireAdmin(): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		const config = c.var.deps.adminAuth
		const tokens = config.adminTokens
		if (tokens.length === 0 && !config.access) {
			throw new AppError(
				'unavailable',
				`admin access is not configured: set ADMIN_TOKEN (at least ${MIN_SECRET_LENGTH} characters) or Cloudflare Access`,
			)
		}
		const request = c.req.raw
		const authorization = request.headers.get('authorization') ?? ''
		let principal: Principal | undefined
		let ambient = false
		if (tokens.length > 0 && authorization.startsWith('Bearer ')) {
			principal = (await matchesAnySecret(authorization.slice(7), tokens))
				? { kind: 'token' }
				: undefined
		} else if (tokens.length > 0 && authorization.startsWith('Basic ')) {
			principal = (await matchesAnySecret(basicPassword(authorization.slice(6)), tokens))
				? { kind: 'token' }
				: undefined
			ambient = true
		} else if (config.access && request.headers.has('cf-access-jwt-assertion')) {
			principal = await verifyAccess(
				request.headers.get('cf-access-jwt-assertion') ?? '',
				config.access,
			)
			ambient = true
		}
		if (!principal) {
			return signInRequired(request, config, c.get('requestId'))
		}
		if (ambient && !['GET', 'HEAD'].includes(request.method)) {
			requireSameOriginJson(request)
		}
		c.set('principal', principal)
		await next()
	}
}

function basicPassword(encoded: string): string {
	try {
		const decoded = atob(encoded)
		return decoded.slice(decoded.indexOf(':') + 1)
	} catch {
		return ''
	}
}

async function verifyAccess(
	token: string,
	access: { teamDomain: string; audience: string },
): Promise<Principal | undefined> {
	const issuer = `https://${access.teamDomain.replace(/^https?:\/\//, '').replace(/\/$/, '')}`
	let jwks = jwksCache.get(issuer)
	if (!jwks) {
		jwks = createRemoteJWKSet(new URL(`${issuer}/cdn-cgi/access/certs`))
		jwksCache.set(issuer, jwks)
	}
	try {
		const { payload } = await jwtVerify(token, jwks, {
			issuer,
			audience: access.audience,
			algorithms: ACCESS_ALGORITHMS,
		})
		return { kind: 'access', email: typeof payload.email === 'string' ? payload.email : undefined }
	} catch {
		return undefined
	}
}

function requireSameOriginJson(request: Request): void {
	const origin = request.headers.get('origin')
	const own = new URL(request.url).origin
	if (origin !== null && origin !== own) {
		throw new AppError('forbidden', `cross-origin request from ${origin} refused`)
	}
	if (request.headers.get('sec-fetch-site') === 'cross-site') {
		throw new AppError('forbidden', 'cross-site request refused')
	}
	if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) {
		throw new AppError(
			'unsupported_media_type',
			'state-changing requests signed in by browser credentials must be application/json (CSRF protection)',
		)
	}
}

/** A browser gets its sign-in prompt and a page that says what to do; an API client gets JSON. */
function signInRequired(request: Request, config: AdminAuthConfig, requestId: string): Response {
	const wantsHtml = (request.headers.get('accept') ?? '').includes('text/html')
	const challenge =
		config.adminTokens.length > 0 ? 'Basic realm="tidegate", charset="UTF-8"' : 'Bearer'
	if (wantsHtml) {
		const how = [
			config.adminTokens.length > 0
				? '<li>Sign in with any user name and the <code>ADMIN_TOKEN</code> as the password.</li>'
				: '',
			config.access
				? '<li>Or open this page through Cloudflare Access, which signs you in with your identity provider.</li>'
				: '<li>Or put Cloudflare Access in front of tidegate (set <code>ACCESS_TEAM_DOMAIN</code> and <code>ACCESS_AUD</code>).</li>',
			'<li>Scripts send <code>Authorization: Bearer &lt;ADMIN_TOKEN&gt;</code>.</li>',
		].join('')
		return new Response(
			`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in · tidegate</title></head><body><main><h1>Sign in to tidegate</h1><ul>${how}</ul></main></body></html>`,
			{
				status: 401,
				headers: { 'www-authenticate': challenge, 'content-type': 'text/html; charset=utf-8' },
			},
		)
	}
	return errorResponse(
		'unauthorized',
		'admin credentials required: Authorization: Bearer <ADMIN_TOKEN>, or a Cloudflare Access JWT',
		requestId,
		{ headers: { 'www-authenticate': challenge } },
	)
}
