/** @module MSW handlers that forward every request for a Cloudflare API origin to the stand-in, in-process. */
import { http } from 'msw'
import type { CloudflareStandin } from './standin.ts'

/**
 * Handlers for `setupServer(...)`/`server.use(...)`: everything under `origin` goes to
 * `standin.fetch`. The default origin matches `CF_API_BASE_URL` in vitest.config.ts
 * (`https://api.cloudflare.test/client/v4`).
 */
export function cloudflareStandinHandlers(
	standin: CloudflareStandin,
	origin = 'https://api.cloudflare.test',
) {
	const base = origin.replace(/\/+$/, '')
	return [http.all(`${base}/*`, ({ request }) => standin.fetch(request as unknown as Request))]
}
