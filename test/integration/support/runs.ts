// Runs reconciles through the real queue consumer, one message at a time, without the queue.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import worker from '../../../workers/index.ts'

/** Delivers one message to the consumer directly, so a test controls attempts and sees ack/retry. */
export async function consume(body: unknown, attempts = 1, queue = 'tidegate-jobs') {
	const batch = createMessageBatch(queue, [
		{ id: crypto.randomUUID(), timestamp: new Date(), attempts, body },
	])
	const ctx = createExecutionContext()
	await worker.queue(batch, env, ctx)
	return getQueueResult(batch, ctx)
}

/** A queued run row, as the intake or the cron records one. */
export async function newRun(trigger: string): Promise<number> {
	const row = await env.DB.prepare(
		"INSERT INTO runs (trigger, status, dry_run, force, queued_at) VALUES (?, 'queued', 0, 0, ?) RETURNING id",
	)
		.bind(trigger, Date.now())
		.first<{ id: number }>()
	return row?.id ?? -1
}

/** The reconcile message of a run. */
export const reconcileMessage = (runId: number, trigger: string) => ({
	v: 1,
	kind: 'reconcile',
	runId,
	trigger,
	dryRun: false,
	force: false,
})

/** Records a run, runs it through the consumer and returns how it ended. */
export async function reconcileOnce(trigger = 'api'): Promise<string> {
	const runId = await newRun(trigger)
	await consume(reconcileMessage(runId, trigger))
	const run = await env.DB.prepare('SELECT status FROM runs WHERE id = ?')
		.bind(runId)
		.first<{ status: string }>()
	return run?.status ?? 'vanished'
}
