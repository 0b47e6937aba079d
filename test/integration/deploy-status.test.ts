/**
 * The deployment closes the loop on the commit (docs/flux.md, "tidegate/deploy"): a push reaches
 * tidegate, Flux reports the revision applied or failed, and `tidegate/deploy` is posted on that
 * commit from the queue consumer, once per change of what it says.
 */
import { env, exports } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { hintFor } from '../../src/domain/flux/classify.ts'
import { FAILURES } from '../fixtures/flux/messages.ts'
import { fluxEvent, resetLedger, sendAll, sha } from './support/flux.ts'
import { useEdge } from './support/network.ts'
import { waitFor } from './support/wait.ts'

const edge = useEdge()

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

function kustomization(commit: string, at: number, name = 'apps'): string {
	return fluxEvent({
		name,
		at: iso(at),
		metadata: { commit_status: 'update', revision: `main@sha1:${commit}` },
	})
}

const ownership = FAILURES.find((f) => f.expected === 'helm-ownership-conflict')?.message ?? ''

function helmFailure(at: number, attempt = 1): string {
	return fluxEvent({
		kind: 'HelmRelease',
		namespace: 'apps',
		name: 'labelfish',
		at: iso(at),
		severity: 'error',
		reason: 'InstallFailed',
		message: `${ownership} (attempt ${attempt})`,
		metadata: { revision: '0.4.2' },
	})
}

async function deployStatuses(commit: string) {
	return (await edge.github.statuses({ ref: commit }))
		.filter((s) => s.context === 'tidegate/deploy')
		.map((s) => [s.state, s.description, s.targetUrl])
}

/** Pushes a commit to the tracked branch through the Worker's webhook, as GitHub would. */
async function pushed(): Promise<{ sha: string; at: number }> {
	edge.github.configureWebhook({
		url: 'https://tidegate.test/webhooks/github',
		fetch: (r) => exports.default.fetch(r),
	})
	const at = Date.now()
	const push = await edge.github.push({ files: { 'clusters/tethys/apps/web.yaml': 'kind: A\n' } })
	expect(push.statusCode).toBe(200)
	edge.github.configureWebhook({ url: null })
	return { sha: push.sha, at }
}

beforeEach(async () => {
	edge.cloudflare.reset()
	await edge.github.reset()
	await resetLedger()
	await env.DB.prepare('DELETE FROM deploy_statuses').run()
})

describe('tidegate/deploy', () => {
	it('posts success on the pushed commit with the time from push to applied', async () => {
		const { sha: commit, at } = await pushed()
		await sendAll(kustomization(commit, at + 95_000))
		const statuses = await waitFor(async () => {
			const posted = await deployStatuses(commit)
			return posted.length > 0 ? posted : null
		})
		expect(statuses).toEqual([
			[
				'success',
				'applied by Flux 2 min after the push (Kustomization/flux-system/apps)',
				`https://tidegate.test/api/deployments?commit=${commit}`,
			],
		])
	})

	it('turns to failure with the class and hint when a release of that commit fails, once per change', async () => {
		const { sha: commit, at } = await pushed()
		await sendAll(kustomization(commit, at + 30_000))
		await waitFor(async () => (await deployStatuses(commit)).length === 1)
		// helm-controller fails, then retries the same failure: one failure status, not one per retry.
		await sendAll(
			helmFailure(at + 60_000),
			helmFailure(at + 120_000, 2),
			helmFailure(at + 180_000, 3),
		)
		const statuses = await waitFor(async () => {
			const posted = await deployStatuses(commit)
			return posted[0]?.[0] === 'failure' ? posted : null
		})
		const full = `HelmRelease/apps/labelfish failed (helm-ownership-conflict): ${hintFor('helm-ownership-conflict')}`
		// GitHub keeps 140 characters of a description.
		expect(statuses[0]?.[1]).toBe(`${full.slice(0, 139)}…`)
		// A sentinel commit's status proves the queue is drained before counting.
		const later = await pushed()
		await sendAll(kustomization(later.sha, later.at + 1000, 'infra'))
		await waitFor(async () => (await deployStatuses(later.sha)).length === 1)
		expect((await deployStatuses(commit)).map((s) => s[0])).toEqual(['failure', 'success'])
	})

	it('posts nothing for a revision tidegate never saw pushed', async () => {
		const unknown = sha('never-pushed')
		const { sha: sentinel, at } = await pushed()
		await sendAll(kustomization(unknown, at), kustomization(sentinel, at + 1000, 'infra'))
		await waitFor(async () => (await deployStatuses(sentinel)).length === 1)
		expect(
			edge.github.requests({ method: 'POST', path: `/repos/*/*/statuses/${unknown}` }),
		).toEqual([])
	})
})
