/** `GET /pulls/:number/:sha`: a pull request head's checks, server-rendered, admin only. */
import { Hono } from 'hono'
import { PREFLIGHT_CONTEXT } from '../../app/preflight/job.ts'
import { requireAdmin } from '../admin-auth.ts'
import type { AppEnv } from '../app.ts'
import { AppError } from '../errors.ts'
import { PullRequestPage } from '../pages/pull-request.tsx'
import { cspNonce } from '../security-headers.ts'

export const pullRequestRoutes = new Hono<AppEnv>()
	.use('/pulls/*', requireAdmin())
	.get('/pulls/:number{[0-9]+}/:sha{[0-9a-f]{40}}', async (c) => {
		const number = Number(c.req.param('number'))
		const sha = c.req.param('sha')
		const check = await c.var.deps.pullRequestChecks.find(number, sha)
		if (!check) {
			throw new AppError('not_found', `pull request #${number} has no check of ${sha.slice(0, 7)}`)
		}
		return c.html(
			<PullRequestPage check={check} preflightContext={PREFLIGHT_CONTEXT} nonce={cspNonce(c)} />,
		)
	})
