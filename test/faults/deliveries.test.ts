/**
 * Duplicate, racing, failed and out-of-order deliveries, and webhook and cron reconciling at the
 * same moment (docs/reliability.md, "Deliveries" and "Concurrency"): each ends with one effect per event, every
 * delivery accounted for, and Cloudflare converged.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import worker from '../../workers/index.ts'
import { pushPayload } from '../integration/support/github.ts'
import { useEdge } from '../integration/support/network.ts'
import {
	allRuns,
	capture,
	capturedEnv,
	changedYaml,
	commit,
	cronTick,
	DRIFT_CRON,
	deliver,
	desiredYaml,
	expectAccounted,
	expectAllRunsAccounted,
	expectConverged,
	FIRST_SYNC_WRITES,
	hookToWorker,
	play,
	queuedRun,
	quiet,
	resetWorld,
	runRow,
	sendPush,
	settled,
	writeLog,
} from './support/world.ts'

const edge = useEdge()

beforeEach(async () => {
	await resetWorld(edge)
})

describe('Deliveries: duplicates, redeliveries and order', () => {
	it('a repeated X-GitHub-Delivery is answered 200 duplicate and queues nothing', async () => {
		const yaml = desiredYaml()
		await commit(edge, yaml)
		const first = await sendPush({ deliveryId: 'dup-1' })
		expect(first.status).toBe(202)
		await settled(Number(first.json.runId))
		const again = await sendPush({ deliveryId: 'dup-1' })
		expect(again.status).toBe(200)
		expect(again.json).toMatchObject({ duplicate: true, status: 'queued' })
		expect(await allRuns()).toHaveLength(1)
		expect(writeLog(edge)).toEqual(FIRST_SYNC_WRITES)
		await expectAccounted(['dup-1'])
		await expectConverged(edge, yaml)
	})

	it('five copies of one delivery racing each other queue one run', async () => {
		const yaml = desiredYaml()
		await commit(edge, yaml)
		const answers = await Promise.all(
			Array.from({ length: 5 }, () => sendPush({ deliveryId: 'race-1' })),
		)
		expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 202])
		expect(answers.filter((a) => a.json.duplicate === true)).toHaveLength(4)
		const runs = await quiet()
		expect(runs).toHaveLength(1)
		expect(writeLog(edge)).toEqual(FIRST_SYNC_WRITES)
		await expectAccounted(['race-1'])
		await expectConverged(edge, yaml)
	})

	it('a delivery answered 5xx before it was queued is processed when GitHub redelivers it', async () => {
		const yaml = desiredYaml()
		await commit(edge, yaml)
		const fail = async () => {
			throw new Error('Queue send failed: storage limit')
		}
		const broken = { send: fail, sendBatch: fail } as unknown as Queue
		const failed = await sendPush({ deliveryId: 'redeliver-1', onEnv: capturedEnv(broken) })
		expect(failed.status).toBe(500)
		expect(edge.cloudflare.writes()).toEqual([])
		const row = await env.DB.prepare(
			"SELECT status, reason FROM github_deliveries WHERE delivery_id = 'redeliver-1'",
		).first()
		expect(row).toEqual({
			status: 'received',
			reason: 'not queued: Queue send failed: storage limit',
		})
		// The run row made with the claim says why it never ran, instead of waiting forever.
		expect((await allRuns()).map((r) => [r.status, r.error_code])).toEqual([
			['failed', 'enqueue_failed'],
		])
		const redelivered = await sendPush({ deliveryId: 'redeliver-1' })
		expect(redelivered.status).toBe(202)
		await settled(Number(redelivered.json.runId))
		await expectAccounted(['redeliver-1'])
		await expectAllRunsAccounted()
		await expectConverged(edge, yaml)
	})

	it('an older push delivered after a newer one does not roll anything back', async () => {
		hookToWorker(edge)
		const older = await edge.github.push({
			files: { 'tidegate.yaml': desiredYaml() },
			delivery: 'fail',
		})
		const newerYaml = changedYaml()
		const newer = await edge.github.push({ files: { 'tidegate.yaml': newerYaml } })
		expect(newer.statusCode).toBe(202)
		await quiet()
		const late = await edge.github.redeliver(older.deliveryId ?? -1)
		expect(late.statusCode).toBe(202)
		const runs = await quiet()
		expect(runs.map((r) => [r.status, r.commit_sha])).toEqual([
			['applied', newer.sha],
			['in_sync', newer.sha],
		])
		await expectAccounted([older.guid ?? '', newer.guid ?? ''])
		await expectConverged(edge, newerYaml)
	})

	it('a finished run redelivered by the queue (a lost ack) has no second effect', async () => {
		const yaml = desiredYaml()
		await commit(edge, yaml)
		const { runId, message } = await queuedRun({ trigger: 'push' })
		await play(message)
		const before = await runRow(runId)
		expect(before.status).toBe('applied')
		const writes = edge.cloudflare.writes().length
		const again = await deliver(message, 1)
		expect(again.acked).toBe(true)
		expect(edge.cloudflare.writes().length).toBe(writes)
		expect(await runRow(runId)).toEqual(before)
	})

	it('a batch retried whole after one message failed re-runs only the unfinished one', async () => {
		const yaml = desiredYaml()
		await commit(edge, yaml)
		const a = await queuedRun()
		const b = await queuedRun()
		const c = await queuedRun()
		// b meets a 503 on its first read of the tunnel; a applies, c finds everything in sync.
		edge.cloudflare.addFault({
			kind: 'status',
			status: 503,
			method: 'GET',
			path: 'accounts/*/cfd_tunnel/*/configurations',
			times: 1,
		})
		const order = [b, a, c]
		const batch = (attempts: number) =>
			createMessageBatch(
				'tidegate-jobs',
				order.map((r) => ({
					id: `m-${r.runId}`,
					timestamp: new Date(),
					attempts,
					body: r.message,
				})),
			)
		const first = batch(1)
		const ctx = createExecutionContext()
		await worker.queue(first, env, ctx)
		const result = await getQueueResult(first, ctx)
		expect(result.explicitAcks.sort()).toEqual([`m-${a.runId}`, `m-${c.runId}`].sort())
		expect(result.retryMessages.map((m) => m.msgId)).toEqual([`m-${b.runId}`])
		// The platform redelivers the whole batch (it may, after a crash): finished runs are skipped.
		const second = batch(2)
		const ctx2 = createExecutionContext()
		await worker.queue(second, env, ctx2)
		const result2 = await getQueueResult(second, ctx2)
		expect(result2.explicitAcks).toHaveLength(3)
		const statuses = await Promise.all(order.map((r) => runRow(r.runId)))
		expect(statuses.map((r) => r.status)).toEqual(['in_sync', 'applied', 'in_sync'])
		expect(writeLog(edge)).toEqual(FIRST_SYNC_WRITES)
		await expectConverged(edge, yaml)
	})

	it('runs that reach the consumer out of order both reconcile to the branch head', async () => {
		await commit(edge, desiredYaml())
		const older = await queuedRun({ trigger: 'push' })
		const headYaml = changedYaml()
		await commit(edge, headYaml)
		const newer = await queuedRun({ trigger: 'push' })
		await play(newer.message)
		await play(older.message)
		expect((await runRow(newer.runId)).status).toBe('applied')
		expect((await runRow(older.runId)).status).toBe('in_sync')
		await expectConverged(edge, headYaml)
	})

	it('pushes to other branches, tags, other repositories and branch deletions are ignored, with a reason', async () => {
		await commit(edge, desiredYaml())
		const cases = [
			pushPayload({ ref: 'refs/heads/feature' }),
			pushPayload({ ref: 'refs/tags/v1.0.0' }),
			pushPayload({
				repository: { id: 9, full_name: 'evil/gitops', name: 'gitops', owner: { login: 'evil' } },
			}),
			pushPayload({ deleted: true, after: '0'.repeat(40), commits: [], head_commit: null }),
			pushPayload({
				commits: [
					{
						id: 'c'.repeat(40),
						message: 'docs',
						timestamp: '2026-11-26T10:00:00Z',
						added: ['README.md'],
						removed: [],
						modified: [],
					},
				],
			}),
		]
		const ids: string[] = []
		for (const body of cases) {
			const sent = await sendPush({ body })
			expect(sent.status).toBe(200)
			expect(sent.json.status).toBe('ignored')
			ids.push(sent.deliveryId)
		}
		expect(await allRuns()).toEqual([])
		expect(edge.cloudflare.writes()).toEqual([])
		await expectAccounted(ids)
	})
})

describe('Concurrency: webhook and cron reconciling at once', () => {
	it('a push and a drift tick at the same moment: one writer, the second run finds it in sync', async () => {
		const yaml = desiredYaml()
		await commit(edge, yaml)
		const [pushed] = await Promise.all([sendPush(), cronTick(DRIFT_CRON)])
		expect(pushed.status).toBe(202)
		const runs = await quiet()
		expect(runs.map((r) => r.trigger).sort()).toEqual(['drift', 'push'])
		expect(runs.map((r) => r.status).sort()).toEqual(['applied', 'in_sync'])
		// Exactly one PUT per resource in total: no lost update, no double write.
		expect(writeLog(edge)).toEqual(FIRST_SYNC_WRITES)
		await expectAccounted([pushed.deliveryId])
		await expectConverged(edge, yaml)
	})

	it('two drift ticks overlapping: one drift run, one writer, converged', async () => {
		const yaml = desiredYaml()
		await commit(edge, yaml)
		const { queue, sent } = capture()
		await Promise.all([
			cronTick(DRIFT_CRON, capturedEnv(queue)),
			cronTick(DRIFT_CRON, capturedEnv(queue)),
		])
		const reconciles = sent.filter((m) => m.kind === 'reconcile')
		// The "already pending" check and the run row are one statement.
		expect(reconciles).toHaveLength(1)
		expect(await allRuns()).toHaveLength(1)
		for (const message of reconciles) {
			await play(message)
		}
		expect(writeLog(edge)).toEqual(FIRST_SYNC_WRITES)
		await expectAllRunsAccounted()
		await expectConverged(edge, yaml)
	})
})
