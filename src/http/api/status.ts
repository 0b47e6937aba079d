/**
 * `GET /api/status`: the overall health (the dashboard banner's lines), per resource in sync /
 * drifted / failing / suspended, missing configuration, and one summary each of egress and Flux.
 */
import * as z from 'zod'
import { CONFIG_PROBLEMS, describeMissing } from '../../app/config.ts'
import { statusReport } from '../../app/views/health.ts'
import type { AppEnv } from '../app.ts'
import { ApiApp, createRoute } from './route-app.ts'
import { runSummary, runSummarySchema } from './schemas.ts'

const statusSchema = z
	.object({
		version: z.string(),
		health: z
			.object({
				state: z.enum(['ok', 'warn', 'bad', 'unknown']),
				problems: z.array(z.string()).meta({
					description: 'everything that is not fine, worst first (the dashboard banner)',
				}),
			})
			.meta({ description: '`unknown` only before the first reconcile, when nothing is wrong' }),
		suspended: z.boolean(),
		missingConfig: z.array(
			z.object({
				name: z.string(),
				kind: z.enum(['secret', 'var']),
				neededFor: z.string(),
				problem: z.enum(CONFIG_PROBLEMS),
				message: z.string().meta({ description: 'what is wrong and what stays off, in words' }),
			}),
		),
		lastRun: runSummarySchema.nullable(),
		resources: z.array(
			z.object({
				resource: z.string(),
				kind: z.enum(['tunnel', 'split-tunnel', 'dns', 'routes']),
				state: z.enum(['in_sync', 'drifted', 'failing', 'suspended']),
				detail: z.string(),
				pendingChanges: z.array(z.unknown()),
				runId: z.number().int(),
				managed: z.boolean().meta({
					description: 'false: only read (not in tidegate.yaml, or its token is not set)',
				}),
				warnings: z.array(z.string()),
				connectors: z.number().int().nullable().meta({
					description: 'tunnel only: cloudflared connectors connected (0: nothing is served)',
				}),
			}),
		),
		cron: z.array(
			z.object({
				job: z.string(),
				cron: z.string(),
				startedAt: z.string(),
				outcome: z.string().nullable(),
				detail: z.string().nullable(),
			}),
		),
		deadLetters: z.number().int(),
		egress: z.object({
			checkedAt: z.string().nullable().meta({ description: 'start of the newest check' }),
			expectations: z.object({
				met: z.number().int(),
				unmet: z.number().int(),
				unknown: z.number().int(),
			}),
			openOutages: z.number().int(),
		}),
		alerts: z.object({
			undelivered: z.object({
				count: z.number().int().meta({
					description: 'alerts that never reached ALERT_WEBHOOK_URL, kept as dead letters',
				}),
				newest: z.object({ reason: z.string(), at: z.string() }).nullable(),
			}),
		}),
		flux: z.object({
			failing: z.array(
				z.object({
					kind: z.string(),
					namespace: z.string(),
					name: z.string(),
					failureClass: z.string().nullable(),
					failingSince: z.string().nullable(),
				}),
			),
		}),
	})
	.meta({ id: 'Status' })

const route = createRoute({
	method: 'get',
	path: '/status',
	summary: 'Overall health, edge sync per resource, missing configuration, cron, egress and Flux',
	responses: {
		200: { description: 'the status', content: { 'application/json': { schema: statusSchema } } },
	},
})

/** Status route. */
export const statusRoutes = new ApiApp<AppEnv>().openapi(route, async (c) => {
	const { status, health, egress, flux, alerts } = await statusReport(c.var.deps)
	const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
	return c.json(
		{
			...status,
			missingConfig: status.missingConfig.map((m) => ({ ...m, message: describeMissing(m) })),
			health,
			lastRun: status.lastRun ? runSummary(status.lastRun) : null,
			cron: status.cron.map((t) => ({
				job: t.job,
				cron: t.cron,
				startedAt: new Date(t.startedAt).toISOString(),
				outcome: t.outcome,
				detail: t.detail,
			})),
			egress: { ...egress, checkedAt: iso(egress.checkedAt) },
			alerts: {
				undelivered: {
					count: alerts.undelivered.count,
					newest: alerts.undelivered.newest
						? {
								reason: alerts.undelivered.newest.reason,
								at: new Date(alerts.undelivered.newest.receivedAt).toISOString(),
							}
						: null,
				},
			},
			flux: {
				failing: flux.failing.map((o) => ({
					...o.ref,
					failureClass: o.failureClass,
					failingSince: iso(o.failingSince),
				})),
			},
		},
		200,
	)
})
