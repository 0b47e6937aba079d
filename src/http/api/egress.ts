/**
 * `GET /api/egress`: the newest node × target matrix with the edge's view, verdicts and
 * expectations, the nodes' egress IPs, open outage windows; `?node=` and `?target=` narrow it, and
 * both together add that cell's history (`limit`, `cursor`) and its outage windows.
 * `POST /api/egress/check`: runs a check now and answers with its matrix.
 */
import * as z from 'zod'
import { checkEgress } from '../../app/egress/check.ts'
import { type EgressView, egressView } from '../../app/egress/view.ts'
import { AGENT_TIMEOUT_BOUNDS_MS, agentProbeSchema } from '../../contracts/agent.ts'
import {
	EGRESS_CHECK_STATUSES,
	type EgressOutage,
	type EgressSample,
	type StoredTrack,
} from '../../domain/egress/model.ts'
import type { AppEnv } from '../app.ts'
import { AppError } from '../errors.ts'
import { ApiApp, createRoute } from './route-app.ts'
import { errorSchema, pageQuery } from './schemas.ts'

const query = pageQuery.extend({
	node: z
		.string()
		.min(1)
		.max(253)
		.optional()
		.meta({ description: 'only this node; with `target`, also the cell history' }),
	target: z
		.string()
		.min(1)
		.max(200)
		.optional()
		.meta({ description: 'only this target; with `node`, also the cell history' }),
})

const observed = z.enum(['ok', 'failing', 'unknown'])
const trackSchema = z
	.object({ state: z.enum(['unknown', 'ok', 'failing']), since: z.string() })
	.nullable()
	.meta({ description: 'damped state (what alerts follow) and since when' })

const checkSchema = z.object({
	id: z.number().int(),
	status: z.enum(EGRESS_CHECK_STATUSES),
	startedAt: z.string(),
	finishedAt: z.string().nullable(),
	durationMs: z.number().nullable(),
	commitSha: z.string().nullable(),
	targetsFrom: z.enum(['head', 'previous']).nullable(),
	requestId: z.string().nullable(),
	agentError: z.object({ code: z.string(), message: z.string() }).nullable(),
	note: z.string().nullable(),
})

const outageSchema = z
	.object({
		id: z.number().int(),
		node: z.string(),
		target: z.string(),
		open: z.boolean(),
		startedAt: z.string(),
		endedAt: z.string().nullable(),
		durationMs: z.number().meta({ description: 'so far, for an open window' }),
		firstError: z.string().nullable(),
		lastError: z.string().nullable(),
		failingSamples: z.number().int(),
		endReason: z.string().nullable(),
	})
	.meta({ id: 'EgressOutage' })

const observationFields = {
	observed,
	ok: z.boolean().nullable().meta({ description: 'null when unknown' }),
	unknownReason: z.string().nullable(),
	latencyMs: z.number().nullable(),
	error: z.string().nullable(),
	phase: z.string().nullable(),
	message: z.string().nullable(),
	note: z.string().nullable(),
	phases: z.record(z.string(), z.number()).nullable(),
	detail: z.record(z.string(), z.unknown()).nullable(),
	observedAt: z.string(),
}

const sampleSchema = z
	.object({ id: z.number().int(), checkId: z.number().int(), at: z.string(), ...observationFields })
	.meta({ id: 'EgressSample' })

const verdictSchema = z.object({
	kind: z.enum(['ok', 'partial', 'cluster', 'down', 'failing', 'unknown']),
	text: z.string(),
	okNodes: z.array(z.string()),
	failingNodes: z.array(z.string()),
	unknownNodes: z.array(z.string()),
	edge: z.enum(['ok', 'failing', 'not-probed']),
	allowlistGaps: z.array(z.string()).meta({
		description:
			"egress IPs of failing nodes that no node reaching the target uses: what the target's IP allowlist lacks, if it is the cause",
	}),
})

const viewSchema = z
	.object({
		check: checkSchema.nullable(),
		lastAttempt: checkSchema.nullable(),
		agent: trackSchema,
		nodes: z.array(
			z.object({
				node: z.string(),
				reachable: z.boolean().nullable(),
				error: z.string().nullable(),
				message: z.string().nullable(),
				observedAt: z.string().nullable(),
				durationMs: z.number().nullable(),
				stale: z.boolean(),
				missing: z.boolean(),
				egressIp: z.string().nullable().meta({
					description:
						'the public IP this node leaves through, as the Worker saw it (CF-Connecting-IP of its agent); null if unknown',
				}),
				egressIpObservedAt: z.string().nullable(),
				egressIpError: z.string().nullable().meta({
					description:
						'why the agent could not refresh it: not-configured (no AGENT_WORKER_URL), timeout, unreachable, unauthorized, bad-status, bad-response',
				}),
				track: trackSchema,
			}),
		),
		targets: z.array(
			z.object({
				name: z.string(),
				host: z.string(),
				port: z.number().int(),
				probe: agentProbeSchema,
				tls: z.boolean(),
				path: z.string().nullable(),
				expectStatus: z.number().int().nullable(),
				source: z.enum(['config', 'ingress']),
				hostnames: z.array(z.string()),
				edge: z.object({
					probed: z.boolean(),
					reason: z.string().nullable(),
					ok: z.boolean().nullable(),
					latencyMs: z.number().nullable(),
					error: z.string().nullable(),
					message: z.string().nullable(),
				}),
				verdict: verdictSchema,
			}),
		),
		cells: z.array(
			z.object({
				node: z.string(),
				target: z.string(),
				...observationFields,
				track: trackSchema,
				outage: z.object({ id: z.number().int(), startedAt: z.string() }).nullable(),
			}),
		),
		expectations: z.array(
			z.object({
				target: z.string(),
				nodes: z.union([z.literal('all'), z.array(z.string())]),
				status: z.enum(['met', 'unmet', 'unknown']),
				okNodes: z.array(z.string()),
				failingNodes: z.array(z.string()),
				unknownNodes: z.array(z.string()),
				text: z.string(),
			}),
		),
		skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
		openOutages: z.array(outageSchema),
		history: z
			.object({
				node: z.string(),
				target: z.string(),
				items: z.array(sampleSchema),
				nextCursor: z.string().nullable(),
				outages: z.array(outageSchema),
			})
			.nullable(),
	})
	.meta({ id: 'Egress' })

const route = createRoute({
	method: 'get',
	path: '/egress',
	summary: 'Egress matrix (nodes × targets), edge probes, expectations, outages, cell history',
	request: { query },
	responses: {
		200: { description: 'the matrix', content: { 'application/json': { schema: viewSchema } } },
		400: { description: 'bad query', content: { 'application/json': { schema: errorSchema } } },
	},
})

/** `POST /api/egress/check`'s answer: the matrix of the check it ran, and a one-line summary. */
export const egressCheckAnswerSchema = viewSchema
	.extend({
		summary: z.string().meta({ description: 'what the check found, in one line' }),
	})
	.meta({ id: 'EgressCheckAnswer' })

/** `POST /api/egress/check`'s answer, as the CLI reads it. */
export type EgressCheckAnswer = z.infer<typeof egressCheckAnswerSchema>

const checkRoute = createRoute({
	method: 'post',
	path: '/egress/check',
	summary:
		'Run an egress check now (the same as the cron one) and answer with its matrix, within one probe timeout plus the agent grace',
	request: {
		body: {
			required: false,
			content: {
				'application/json': {
					schema: z.object({
						timeoutMs: z
							.number()
							.int()
							.min(AGENT_TIMEOUT_BOUNDS_MS.min)
							.max(AGENT_TIMEOUT_BOUNDS_MS.max)
							.optional()
							.meta({ description: 'per-probe timeout; default 5000' }),
					}),
				},
			},
		},
	},
	responses: {
		200: {
			description: 'the check ran; its matrix (an unreachable agent makes every cell unknown)',
			content: { 'application/json': { schema: egressCheckAnswerSchema } },
		},
		400: { description: 'bad body', content: { 'application/json': { schema: errorSchema } } },
		409: {
			description: 'another egress check is running',
			content: { 'application/json': { schema: errorSchema } },
		},
		503: {
			description: 'no check can run: the agent is not configured, or there are no targets',
			content: { 'application/json': { schema: errorSchema } },
		},
	},
})

const iso = (ms: number) => new Date(ms).toISOString()
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms))

function track(t: { state: StoredTrack['state']; since: number } | null) {
	return t ? { state: t.state, since: iso(t.since) } : null
}

function outage(o: EgressOutage, now: number): z.infer<typeof outageSchema> {
	return {
		id: o.id,
		node: o.node,
		target: o.target,
		open: o.endedAt === null,
		startedAt: iso(o.startedAt),
		endedAt: isoOrNull(o.endedAt),
		durationMs: o.durationMs ?? Math.max(0, now - o.startedAt),
		firstError: o.firstError,
		lastError: o.lastError,
		failingSamples: o.failingSamples,
		endReason: o.endReason,
	}
}

function observation(s: Omit<EgressSample, 'id' | 'checkId' | 'at'>) {
	const { phases, ...detail } = s.detail ?? {}
	return {
		observed: s.observed,
		ok: s.observed === 'unknown' ? null : s.observed === 'ok',
		unknownReason: s.unknownReason,
		latencyMs: s.latencyMs,
		error: s.error,
		phase: s.phase,
		message: s.message,
		note: s.note,
		phases: (phases as Record<string, number> | undefined) ?? null,
		detail: s.detail === null ? null : detail,
		observedAt: iso(s.observedAt),
	}
}

function check(c: NonNullable<EgressView['check']>): z.infer<typeof checkSchema> {
	return {
		id: c.id,
		status: c.status,
		startedAt: iso(c.startedAt),
		finishedAt: isoOrNull(c.finishedAt),
		durationMs: c.durationMs,
		commitSha: c.commitSha,
		targetsFrom: c.targetsFrom,
		requestId: c.requestId,
		agentError: c.agentError,
		note: c.note,
	}
}

/** Maps the view for the API (times as ISO 8601). */
export function egressJson(view: EgressView, now: number): z.infer<typeof viewSchema> {
	return {
		check: view.check ? check(view.check) : null,
		lastAttempt: view.lastAttempt ? check(view.lastAttempt) : null,
		agent: track(view.agent),
		nodes: view.nodes.map((n) => ({
			node: n.node,
			reachable: n.reachable,
			error: n.error,
			message: n.message,
			observedAt: isoOrNull(n.observedAt),
			durationMs: n.durationMs,
			stale: n.stale,
			missing: n.missing,
			// Checks recorded before egress IPs were reported have none.
			egressIp: n.egressIp ?? null,
			egressIpObservedAt: isoOrNull(n.egressIpObservedAt ?? null),
			egressIpError: n.egressIpError ?? null,
			track: track(n.track),
		})),
		targets: view.targets.map((t) => ({
			name: t.name,
			host: t.host,
			port: t.port,
			probe: t.probe,
			tls: t.tls === true,
			path: t.path ?? null,
			expectStatus: t.expectStatus ?? null,
			source: t.source,
			hostnames: t.hostnames,
			edge: {
				probed: t.edgeResult !== null,
				reason: t.edge.probe ? null : t.edge.reason,
				ok: t.edgeResult?.ok ?? null,
				latencyMs: t.edgeResult?.latencyMs ?? null,
				error: t.edgeResult?.error ?? null,
				message: t.edgeResult?.message ?? null,
			},
			verdict: { ...t.verdict, allowlistGaps: t.verdict.allowlistGaps ?? [] },
		})),
		cells: view.cells.map((c) => ({
			node: c.node,
			target: c.target,
			...observation(c),
			track: track(c.track),
			outage: c.outage ? { id: c.outage.id, startedAt: iso(c.outage.startedAt) } : null,
		})),
		expectations: view.expectations,
		skipped: view.skipped,
		openOutages: view.openOutages.map((o) => outage(o, now)),
		history: view.history
			? {
					node: view.history.node,
					target: view.history.target,
					items: view.history.items.map((s) => ({
						id: s.id,
						checkId: s.checkId,
						at: iso(s.at),
						...observation(s),
					})),
					nextCursor: view.history.nextCursor,
					outages: view.history.outages.map((o) => outage(o, now)),
				}
			: null,
	}
}

/** Egress routes. */
export const egressRoutes = new ApiApp<AppEnv>()
	.openapi(route, async (c) => {
		const q = c.req.valid('query')
		if (q.cursor !== undefined && (q.node === undefined || q.target === undefined)) {
			throw new AppError('bad_request', 'cursor pages one cell history: give node and target too')
		}
		const view = await egressView(c.var.deps, {
			node: q.node,
			target: q.target,
			limit: q.limit,
			cursor: q.cursor === undefined ? undefined : Number(q.cursor),
		})
		return c.json(egressJson(view, c.var.deps.now()), 200)
	})
	.openapi(checkRoute, async (c) => {
		const deps = c.var.deps
		const body = c.req.valid('json')
		const result = await checkEgress(
			deps,
			body?.timeoutMs === undefined ? {} : { probeTimeoutMs: body.timeoutMs },
		)
		if (result.skipped !== undefined) {
			throw new AppError(result.skipped === 'busy' ? 'conflict' : 'unavailable', result.detail)
		}
		const view = await egressView(deps, { limit: 1 })
		return c.json({ summary: result.detail, ...egressJson(view, deps.now()) }, 200)
	})
