/** `GET /` (the dashboard) and `GET /runs/:id`, server-rendered, admin only. */
import { Hono } from 'hono'
import { dashboardView } from '../../app/views/dashboard.ts'
import { planTextOf } from '../../domain/edge/render-plan.ts'
import { requireAdmin } from '../admin-auth.ts'
import type { AppEnv } from '../app.ts'
import { AppError } from '../errors.ts'
import { DashboardPage } from '../pages/dashboard.tsx'
import { RunPage } from '../pages/run.tsx'
import { cspNonce } from '../security-headers.ts'

export const pageRoutes = new Hono<AppEnv>()
	.use('/', requireAdmin())
	.use('/runs/*', requireAdmin())
	.get('/', async (c) => {
		const view = await dashboardView(c.var.deps)
		return c.html(
			<DashboardPage
				view={view}
				lastDiffText={planTextOf(view.lastDiff?.plan)}
				now={c.var.deps.now()}
				nonce={cspNonce(c)}
			/>,
		)
	})
	.get('/runs/:id{[0-9]+}', async (c) => {
		const id = Number(c.req.param('id'))
		const run = await c.var.deps.runs.get(id)
		if (!run) {
			throw new AppError('not_found', `run ${id} does not exist`)
		}
		return c.html(<RunPage run={run} planText={planTextOf(run.plan)} nonce={cspNonce(c)} />)
	})
