/** `GET /` (the dashboard) and `GET /runs/:id`, server-rendered, admin only. */
import { Hono } from 'hono'
import { dashboardView } from '../../app/dashboard.ts'
import type { Plan } from '../../domain/plan.ts'
import { renderPlan } from '../../domain/render-plan.ts'
import { requireAdmin } from '../admin-auth.ts'
import type { AppEnv } from '../app.ts'
import { AppError } from '../errors.ts'
import { DashboardPage } from '../pages/dashboard.tsx'
import { RunPage } from '../pages/run.tsx'

/** The plan of a run as text, or null when it made none. */
export function planText(plan: unknown): string | null {
	return plan && typeof plan === 'object' && Array.isArray((plan as Plan).resources)
		? renderPlan(plan as Plan)
		: null
}

export const pageRoutes = new Hono<AppEnv>()
	.use('/', requireAdmin())
	.use('/runs/*', requireAdmin())
	.get('/', async (c) => {
		const view = await dashboardView(c.var.deps)
		return c.html(
			<DashboardPage
				view={view}
				lastDiffText={planText(view.lastDiff?.plan)}
				now={c.var.deps.now()}
			/>,
		)
	})
	.get('/runs/:id{[0-9]+}', async (c) => {
		const id = Number(c.req.param('id'))
		const run = await c.var.deps.runs.get(id)
		if (!run) {
			throw new AppError('not_found', `run ${id} does not exist`)
		}
		return c.html(<RunPage run={run} planText={planText(run.plan)} />)
	})
