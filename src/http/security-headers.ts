/**
 * @module The headers every answer carries (HTML and JSON alike): hono's secure-headers with a
 * strict Content-Security-Policy — nothing loads from anywhere, the page's one inline style and
 * script run only with this request's nonce, and no site may frame the dashboard
 * (`frame-ancestors 'none'`, `X-Frame-Options: DENY`: clickjacking) — plus `nosniff`,
 * `Referrer-Policy: no-referrer` and `Cache-Control: no-store`, because every answer is either
 * private (the dashboard, the admin API) or must not be replayed from a cache (webhook answers).
 */
import type { MiddlewareHandler } from 'hono'
import { NONCE, secureHeaders } from 'hono/secure-headers'
import type { AppEnv } from './app.ts'

/** The Content-Security-Policy directives, in hono's spelling. */
const POLICY = {
	defaultSrc: ["'none'"],
	scriptSrc: [NONCE],
	styleSrc: [NONCE],
	// The dashboard buttons call the admin API of the same origin, nothing else.
	connectSrc: ["'self'"],
	imgSrc: ["'self'"],
	baseUri: ["'none'"],
	formAction: ["'none'"],
	frameAncestors: ["'none'"],
}

/** The middleware; put it before every route so error answers get the headers too. */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
	const secure = secureHeaders({
		contentSecurityPolicy: POLICY,
		xFrameOptions: 'DENY',
		referrerPolicy: 'no-referrer',
	})
	return (c, next) =>
		secure(c, async () => {
			await next()
			c.res.headers.set('cache-control', 'no-store')
		})
}

/** The CSP nonce of this request, for the page's inline `<style>` and `<script>`. */
export function cspNonce(c: { get(key: 'secureHeadersNonce'): string | undefined }): string {
	const nonce = c.get('secureHeadersNonce')
	if (nonce === undefined) {
		throw new Error('securityHeaders() must run before a page is rendered')
	}
	return nonce
}
