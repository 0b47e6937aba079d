/**
 * @module The fault suite's view of the real Worker in workerd (docs/reliability.md): deliver pushes through
 * `POST /webhooks/github`, fire cron, play the queue, and check the three promises every fault
 * test makes — nothing was written that should not be, no event was lost (each delivery is
 * applied, deduplicated, ignored, or dead-lettered with a reason), and the system converges.
 *
 * Two ways to reach the queue consumer:
 * - the real local queue (`exports.default.fetch` → `env.JOBS`), for flows whose first attempt
 *   ends the run (duplicates, ordering, concurrency, bad input);
 * - captured messages played by hand (`capture()` + `deliver()`), for retries: the local queue
 *   honours `retry({ delaySeconds })` in real time (10 s to 10 min here), so the suite replays the
 *   platform's redelivery itself — same body, `attempts` counting up to `max_retries + 1`, then the
 *   dead-letter consumer, exactly as wrangler.toml configures the queues.
 */
import {
	createExecutionContext,
	createMessageBatch,
	createScheduledController,
	getQueueResult,
} from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import { expect } from 'vitest'
import {
	DEAD_LETTER_QUEUE,
	JOBS_QUEUE,
	type JobMessage,
	jobMessageSchema,
} from '../../../src/contracts/queue.ts'
import { loadDesiredState } from '../../../src/domain/desired-state/load.ts'
import { RUN_STATUSES, type RunTrigger } from '../../../src/domain/edge/runs.ts'
import worker from '../../../workers/index.ts'
import { CRONS } from '../../../workers/triggers.ts'
import { desiredYaml, FOREIGN } from '../../integration/support/desired.ts'
import { githubDelivery, pushPayload } from '../../integration/support/github.ts'
import type { Edge } from '../../integration/support/network.ts'
import { waitFor } from '../../integration/support/wait.ts'
import { DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID } from '../../standins/cloudflare/seed.ts'

/** wrangler.toml: `max_retries = 5` on tidegate-jobs, so a message is delivered at most six times. */
export const MAX_DELIVERIES = 6
export { JOBS_QUEUE }
export const DLQ = DEAD_LETTER_QUEUE

export { desiredYaml, FOREIGN }

/** A second desired state that changes one rule and one entry (a typical commit). */
export const changedYaml = (): string =>
	desiredYaml({
		rules: `    - hostname: label.example.com
      service: http://label-studio-ls-app.apps.svc.cluster.local:8086
    - hostname: k3s.example.com
      service: https://kubernetes.default.svc:443
      originRequest: { noTLSVerify: true }`,
		entries: `    - address: 10.42.0.0/16
      description: K8s Pod Network
    - address: 10.43.0.0/16
      description: K8s Service Network
      protected: true
    - address: 192.168.3.0/24
      description: Calypso GPU`,
	})

/** A run row as the tests read it. */
export interface RunRow {
	id: number
	trigger: string
	status: string
	commit_sha: string | null
	delivery_id: string | null
	summary: string | null
	plan: string | null
	warnings: string | null
	api_calls: string | null
	error_code: string | null
	error_message: string | null
}

/** Statuses a run may end in. `queued`/`running` at the end of a test means an event was lost. */
export const TERMINAL: readonly string[] = RUN_STATUSES.filter(
	(status) => status !== 'queued' && status !== 'running',
)

/** Everything back to the seeds: stand-ins, and every table the suite touches. */
export async function resetWorld(edge: Edge): Promise<void> {
	edge.cloudflare.reset()
	await edge.github.reset()
	edge.alerts.length = 0
	edge.receiver.length = 0
	await env.DB.batch(
		[
			'applications',
			'github_deliveries',
			'settings',
			'dead_letters',
			'cron_ticks',
			'redelivery_requests',
			'receiver_notifications',
			'preflight_results',
			'egress_samples',
			'egress_checks',
			'egress_tracks',
			'egress_outages',
		].map((t) => env.DB.prepare(`DELETE FROM ${t}`)),
	)
	await env.DB.prepare('DELETE FROM runs').run()
	// The file cache is keyed by commit sha, and the stand-in's commits repeat within a second.
	for (const key of (await env.CACHE.list()).keys) {
		await env.CACHE.delete(key.name)
	}
}

/** Commits tidegate.yaml to the GitHub stand-in without a webhook; returns the sha. */
export async function commit(edge: Edge, text: string | null): Promise<string> {
	const pushed = await edge.github.push({ files: { 'tidegate.yaml': text }, delivery: 'skip' })
	return pushed.sha
}

/** Points the GitHub stand-in's webhook at the real Worker (intake, D1, the real queue). */
export function hookToWorker(edge: Edge): void {
	edge.github.configureWebhook({
		url: 'https://tidegate.test/webhooks/github',
		fetch: (request) => exports.default.fetch(request),
	})
}

/** Reads one run. */
export async function runRow(id: number): Promise<RunRow> {
	const row = await env.DB.prepare('SELECT * FROM runs WHERE id = ?').bind(id).first<RunRow>()
	if (!row) {
		throw new Error(`run ${id} does not exist`)
	}
	return row
}

/** All runs, oldest first. */
export async function allRuns(): Promise<RunRow[]> {
	return (await env.DB.prepare('SELECT * FROM runs ORDER BY id').all<RunRow>()).results
}

/** Polls until a condition holds (the real queue works in the background); no fixed sleeps. */
export function until<T>(
	what: string,
	probe: () => Promise<T | undefined | null | false>,
	timeoutMs = 15_000,
): Promise<T> {
	return waitFor(probe, { what, timeoutMs, everyMs: 25 })
}

/** Waits until the run is finished (by the real queue consumer). */
export function settled(runId: number): Promise<RunRow> {
	return until(`run ${runId} to finish`, async () => {
		const row = await runRow(runId)
		return TERMINAL.includes(row.status) ? row : undefined
	})
}

/** Waits until every run is finished: nothing left in flight on the real queue. */
export function quiet(): Promise<RunRow[]> {
	return until('every run to finish', async () => {
		const runs = await allRuns()
		return runs.every((r) => TERMINAL.includes(r.status)) ? runs : undefined
	})
}

/** A queue that records what the Worker sends instead of delivering it. */
export function capture(): { queue: Queue; sent: JobMessage[] } {
	const sent: JobMessage[] = []
	const queue = {
		send: async (body: unknown) => {
			sent.push(jobMessageSchema.parse(body))
		},
		sendBatch: async (messages: Iterable<{ body: unknown }>) => {
			for (const m of messages) {
				sent.push(jobMessageSchema.parse(m.body))
			}
		},
	} as unknown as Queue
	return { queue, sent }
}

/** An env whose JOBS queue is captured; everything else is the real binding. */
export function capturedEnv(queue: Queue): Env {
	return { ...env, JOBS: queue } as Env
}

/** One delivery of one message to the consumer, the way the platform makes it. */
export async function deliver(
	body: unknown,
	attempts: number,
	queue: string = JOBS_QUEUE,
	onEnv: Env = env,
): Promise<{ acked: boolean; retryDelay: number | undefined }> {
	const batch = createMessageBatch(queue, [
		{ id: crypto.randomUUID(), timestamp: new Date(), attempts, body },
	])
	// getQueueResult reports that a retry was asked for, not its delay: record the delay here.
	let delay = 0
	for (const message of batch.messages) {
		const retry = message.retry.bind(message)
		message.retry = (options?: QueueRetryOptions) => {
			delay = options?.delaySeconds ?? 0
			retry(options)
		}
	}
	const ctx = createExecutionContext()
	await worker.queue(batch, onEnv, ctx)
	const result = await getQueueResult(batch, ctx)
	return {
		acked: result.explicitAcks.length === 1,
		retryDelay: result.retryMessages.length > 0 ? delay : undefined,
	}
}

/** What the platform did with a message across its deliveries. */
export interface Played {
	/** `retry` delays asked for, one per failed delivery. */
	delays: number[]
	/** True when retries ran out and the dead-letter consumer recorded it. */
	deadLettered: boolean
	deliveries: number
}

/**
 * Plays the queue for one message: delivers it (attempt 1, 2, …) while the consumer asks for a
 * retry, up to `max_retries + 1` deliveries, then hands it to the dead-letter consumer.
 * `between(attempt)` runs before each redelivery (e.g. to lift a fault).
 */
export async function play(
	body: unknown,
	options: { between?: (nextAttempt: number) => void | Promise<void>; onEnv?: Env } = {},
): Promise<Played> {
	const delays: number[] = []
	for (let attempt = 1; attempt <= MAX_DELIVERIES; attempt++) {
		if (attempt > 1) {
			await options.between?.(attempt)
		}
		const outcome = await deliver(body, attempt, JOBS_QUEUE, options.onEnv)
		if (outcome.retryDelay === undefined) {
			return { delays, deadLettered: false, deliveries: attempt }
		}
		delays.push(outcome.retryDelay)
	}
	await deliver(body, 1, DLQ, options.onEnv)
	return { delays, deadLettered: true, deliveries: MAX_DELIVERIES }
}

/**
 * Plays a message like `play`, and also returns what Cloudflare held just after the first failed
 * attempt (`undefined` when the first attempt did not fail): a retried run must not have
 * half-written anything before its retry.
 */
export async function playWatchingFirstFailure(
	edge: Edge,
	body: unknown,
): Promise<Played & { afterFirst: ReturnType<typeof live> | undefined }> {
	let afterFirst: ReturnType<typeof live> | undefined
	const played = await play(body, {
		between: () => {
			afterFirst ??= live(edge)
		},
	})
	return { ...played, afterFirst }
}

/** A reconcile run recorded and queued the way `enqueueReconcile` does, with the message captured. */
export async function queuedRun(
	options: { trigger?: RunTrigger; dryRun?: boolean; force?: boolean } = {},
): Promise<{ runId: number; message: JobMessage }> {
	const trigger = options.trigger ?? 'api'
	const row = await env.DB.prepare(
		"INSERT INTO runs (trigger, status, dry_run, force, queued_at) VALUES (?, 'queued', ?, ?, ?) RETURNING id",
	)
		.bind(trigger, options.dryRun ? 1 : 0, options.force ? 1 : 0, Date.now())
		.first<{ id: number }>()
	const runId = row?.id ?? -1
	return {
		runId,
		message: {
			v: 1,
			kind: 'reconcile',
			runId,
			trigger,
			dryRun: options.dryRun ?? false,
			force: options.force ?? false,
		},
	}
}

/** Reconciles once, start to end, through the consumer (no faults expected to retry). */
export async function reconcileNow(options: Parameters<typeof queuedRun>[0] = {}): Promise<RunRow> {
	const { runId, message } = await queuedRun(options)
	const played = await play(message)
	expect(played.deadLettered).toBe(false)
	return runRow(runId)
}

/** A signed push for the tracked branch touching tidegate.yaml, through the real intake. */
export async function sendPush(
	options: { after?: string; deliveryId?: string; onEnv?: Env; body?: string } = {},
): Promise<{ status: number; json: Record<string, unknown>; deliveryId: string }> {
	const deliveryId = options.deliveryId ?? crypto.randomUUID()
	const request = await githubDelivery(
		options.body ?? pushPayload(options.after ? { after: options.after } : {}),
		// The stand-in's hook id, so the delivery-repair cron can list this hook's deliveries.
		{ deliveryId, headers: { 'x-github-hook-id': '1' } },
	)
	const response = options.onEnv
		? await worker.fetch(request, options.onEnv, createExecutionContext())
		: await exports.default.fetch(request)
	return {
		status: response.status,
		json: (await response.json()) as Record<string, unknown>,
		deliveryId,
	}
}

/** Fires a cron trigger on the real Worker (optionally with a captured queue). */
export async function cronTick(cron: string, onEnv: Env = env): Promise<void> {
	await worker.scheduled(createScheduledController({ cron }), onEnv, createExecutionContext())
}

export const DRIFT_CRON = CRONS.drift

// ---- the three promises ----------------------------------------------------------------------

/**
 * No event lost: every delivery is recorded and either ignored (with a reason), or its run ended
 * — applied, in sync, refused or failed with a reason, or dead-lettered with a reason.
 */
export async function expectAccounted(deliveryIds: string[]): Promise<void> {
	for (const id of deliveryIds) {
		const row = await env.DB.prepare(
			'SELECT status, reason, run_id FROM github_deliveries WHERE delivery_id = ?',
		)
			.bind(id)
			.first<{ status: string; reason: string | null; run_id: number | null }>()
		expect(row, `delivery ${id} is recorded`).not.toBeNull()
		if (row?.status === 'ignored') {
			expect(row.reason, `ignored delivery ${id} says why`).toBeTruthy()
			continue
		}
		if (row?.status === 'ping') {
			continue
		}
		expect(row?.status, `delivery ${id} reached the queue`).toBe('queued')
		const run = await runRow(row?.run_id ?? -1)
		expect(TERMINAL, `run ${run.id} of delivery ${id} ended`).toContain(run.status)
		await expectRunAccounted(run)
	}
}

/** A finished run says what happened to it; a dead one has its dead letter. */
export async function expectRunAccounted(run: RunRow): Promise<void> {
	expect(TERMINAL).toContain(run.status)
	if (run.status === 'failed') {
		expect(run.error_code, `failed run ${run.id} has a code`).toBeTruthy()
		expect(run.error_message, `failed run ${run.id} has a reason`).toBeTruthy()
	}
	if (run.status === 'dead') {
		const letter = await env.DB.prepare(
			"SELECT reason FROM dead_letters WHERE json_extract(body, '$.runId') = ?",
		)
			.bind(run.id)
			.first<{ reason: string }>()
		expect(letter?.reason, `dead run ${run.id} has a dead letter with a reason`).toBeTruthy()
	}
}

/** Every run of the test ended and says why. */
export async function expectAllRunsAccounted(): Promise<void> {
	for (const run of await allRuns()) {
		await expectRunAccounted(run)
	}
}

/** The live tunnel ingress and include list of the stand-in. */
export function live(edge: Edge) {
	return {
		ingress: edge.cloudflare.tunnel(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID).config?.ingress ?? [],
		version: edge.cloudflare.tunnel(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID).version,
		include: edge.cloudflare.profile(DEFAULT_ACCOUNT_ID, 'default').list,
	}
}

/** Cloudflare holds exactly `yaml`'s desired state, other teams' entries untouched and in order. */
export function expectLiveIs(edge: Edge, yaml: string, foreign = FOREIGN): void {
	const loaded = loadDesiredState(yaml)
	if (!loaded.ok) {
		throw new Error('expectLiveIs needs a valid tidegate.yaml')
	}
	const state = loaded.value.state
	const now = live(edge)
	expect(now.ingress).toEqual(state.tunnel?.ingress)
	const ours = (state.splitTunnels[0]?.entries ?? []).map((e) => ({
		...(e.address !== undefined && { address: e.address }),
		...(e.host !== undefined && { host: e.host }),
		description: e.description,
	}))
	expect(now.include.filter((e) => !String(e.description ?? '').endsWith(' - oceanid'))).toEqual(
		foreign,
	)
	// tidegate's own entries keep their places in the shared list; new ones go last: compare as a set.
	const sorted = (list: unknown[]) => list.map((e) => JSON.stringify(e)).sort()
	expect(
		sorted(now.include.filter((e) => String(e.description ?? '').endsWith(' - oceanid'))),
	).toEqual(sorted(ours))
}

/**
 * Converged: Cloudflare holds the desired state, and one more reconcile finds nothing to do and
 * writes nothing.
 */
export async function expectConverged(edge: Edge, yaml: string, foreign = FOREIGN): Promise<void> {
	expectLiveIs(edge, yaml, foreign)
	const writesBefore = edge.cloudflare.writes().length
	const again = await reconcileNow()
	expect(again.status).toBe('in_sync')
	expect(edge.cloudflare.writes().length).toBe(writesBefore)
}

/** What a first sync of `desiredYaml()` writes: the tunnel, a DNS record per hostname, the list. */
export const FIRST_SYNC_WRITES = [
	'PUT tunnel 200',
	'POST dns 200',
	'POST dns 200',
	'PUT split-tunnel 200',
]

/** The write requests Cloudflare received, as `METHOD resource status`. */
export function writeLog(edge: Edge): string[] {
	return edge.cloudflare
		.writes()
		.map(
			(w) =>
				`${w.method} ${w.path.includes('/cfd_tunnel/') ? 'tunnel' : w.path.includes('/dns_records') ? 'dns' : w.path.includes('/teamnet/') ? 'routes' : 'split-tunnel'} ${w.status}`,
		)
}
