/** @module MSW handlers that forward every request for a GitHub API base URL to a stand-in, in-process. */
import { http } from 'msw'
import type { GitHubStandin } from './standin.ts'

/** Handlers for `setupServer(...)`/`server.use(...)`: everything under `baseUrl` goes to `standin.fetch`. */
export function githubStandinHandlers(standin: GitHubStandin, baseUrl = 'https://api.github.test') {
	const base = baseUrl.replace(/\/+$/, '')
	return [http.all(`${base}/*`, ({ request }) => standin.fetch(request as unknown as Request))]
}
