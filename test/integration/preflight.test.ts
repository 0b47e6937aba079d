/**
 * The pre-flight check in the Worker: push → webhook → `preflight` queue message → changed files
 * through the GitHub stand-in (compare + contents) → `preflight_results` row and the
 * `tidegate/preflight` commit status. Nothing reaches Cloudflare.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { d1PreflightStore } from '../../src/adapters/d1/preflight-results.ts'
import { PREFLIGHT_LIMITS } from '../../src/app/preflight/job.ts'
import worker from '../../workers/index.ts'
import { useEdge } from './support/network.ts'
import { waitFor } from './support/wait.ts'

const edge = useEdge()

const CONFIG = `version: 1
owner: oceanid
ownership:
  fluxPaths: ["clusters/tethys/**"]
  excludePaths: ["clusters/tethys/flux-system/**"]
  reserved:
    - owner: pulumi
      kinds: [CustomResourceDefinition, ClusterRole, ClusterRoleBinding]
    - owner: pulumi
      namespaces: [flux-system, cert-manager, cloudflared]
  valuesRules:
    - forbid: "**.image.tag"
      use: global.image.tag
`

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: labelprojects.labelfish.oceanid.dev
spec:
  group: labelfish.oceanid.dev
  scope: Namespaced
`

const DEPLOYMENT = (name: string, namespace = 'apps') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  replicas: 1
`

const HELM_RELEASE = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: labelfish
  namespace: apps
spec:
  interval: 10m
  chart:
    spec:
      chart: labelfish
      sourceRef: { kind: HelmRepository, name: oceanid }
  values:
    global:
      image:
        tag: "0.4.2"
`

interface ResultRow {
	commit_sha: string
	delivery_id: string | null
	status: string
	conflict_count: number
	files_changed: number
	files_checked: number
	cut_off: string | null
	findings: string
	summary: string
	error: string | null
}

/** Commits without a webhook, so a test drives the consumer itself. */
async function commit(files: Record<string, string | null>, from?: string) {
	return edge.github.push({ files, delivery: 'skip', ...(from && { from }) })
}

async function consume(body: unknown, attempts = 1) {
	const batch = createMessageBatch('tidegate-jobs', [
		{ id: crypto.randomUUID(), timestamp: new Date(), attempts, body },
	])
	const ctx = createExecutionContext()
	await worker.queue(batch, env, ctx)
	return getQueueResult(batch, ctx)
}

function message(pushed: { sha: string; before: string }, deliveryId = crypto.randomUUID()) {
	return {
		v: 1,
		kind: 'preflight',
		deliveryId,
		ref: 'refs/heads/main',
		commitSha: pushed.sha,
		beforeSha: /^0+$/.test(pushed.before) ? null : pushed.before,
	}
}

async function row(sha: string): Promise<ResultRow | null> {
	return env.DB.prepare('SELECT * FROM preflight_results WHERE commit_sha = ?')
		.bind(sha)
		.first<ResultRow>()
}

async function preflightStatuses(sha: string) {
	return (await edge.github.statuses({ ref: sha }))
		.filter((s) => s.context === 'tidegate/preflight')
		.map((s) => [s.state, s.description])
}

beforeEach(async () => {
	edge.cloudflare.reset()
	await edge.github.reset()
	edge.github.configureWebhook({ url: null })
	await env.DB.prepare('DELETE FROM preflight_results').run()
})

describe('push → queue → commit status', () => {
	it('a push adding a CRD under fluxPaths fails tidegate/preflight, naming file:line and the count', async () => {
		edge.github.configureWebhook({
			url: 'https://tidegate.test/webhooks/github',
			fetch: (r) => exports.default.fetch(r),
		})
		await commit({ 'tidegate.yaml': CONFIG })
		const pushed = await edge.github.push({
			files: {
				'clusters/tethys/infra/crds.yaml': CRD,
				'clusters/tethys/apps/web.yaml': DEPLOYMENT('web'),
				'clusters/tethys/apps/cm.yaml': DEPLOYMENT('webhook', 'cert-manager'),
			},
			message: 'Add the labelfish CRD',
		})
		// Recorded as `ignored` for the edge sync (tidegate.yaml did not change); the check is queued all the same.
		expect(pushed.statusCode).toBe(200)
		const statuses = await waitFor(
			async () => {
				const posted = await preflightStatuses(pushed.sha)
				return posted.length > 0 ? posted : null
			},
			{ what: 'the tidegate/preflight status' },
		)
		// The push also went to the Flux Receiver; let that job finish before the next test resets the stand-ins.
		await waitFor(
			() =>
				env.DB.prepare(
					"SELECT status FROM receiver_notifications WHERE delivery_id = ? AND status = 'sent'",
				)
					.bind(pushed.guid)
					.first(),
			{ what: 'the Flux Receiver notice' },
		)
		const result = await waitFor(() => row(pushed.sha), { what: 'the pre-flight result' })
		expect(result).toMatchObject({
			delivery_id: pushed.guid,
			status: 'conflicts',
			conflict_count: 2,
			files_changed: 3,
			files_checked: 3,
			cut_off: null,
			error: null,
		})
		const findings = JSON.parse(result.findings) as { file: string; line: number; class: string }[]
		expect(findings.map((f) => `${f.file}:${f.line} ${f.class}`)).toEqual([
			'clusters/tethys/apps/cm.yaml:5 reserved-namespace',
			'clusters/tethys/infra/crds.yaml:2 reserved-kind',
		])
		expect(statuses).toEqual([
			[
				'failure',
				'2 conflicts; first: clusters/tethys/apps/cm.yaml:5 Deployment cert-manager/webhook is reserved for pulumi',
			],
		])
		// Nothing is written to Cloudflare by this check.
		expect(edge.cloudflare.requests.filter((r) => r.write)).toEqual([])
	})

	it('a clean push succeeds, and the read port finds the result by commit', async () => {
		const base = await commit({ 'tidegate.yaml': CONFIG })
		const pushed = await commit({
			'clusters/tethys/apps/web.yaml': DEPLOYMENT('web'),
			'clusters/tethys/apps/labelfish.yaml': HELM_RELEASE,
			'docs/notes.md': '# not a manifest\n',
		})
		expect(pushed.before).toBe(base.sha)
		const outcome = await consume(message(pushed, 'delivery-clean'))
		expect(outcome.explicitAcks).toHaveLength(1)
		expect(await preflightStatuses(pushed.sha)).toEqual([
			['success', 'no ownership conflicts in 2 changed manifests'],
		])
		const stored = await d1PreflightStore(env.DB).forCommit(pushed.sha)
		expect(stored).toMatchObject({
			commitSha: pushed.sha,
			deliveryId: 'delivery-clean',
			ref: 'refs/heads/main',
			status: 'clean',
			findings: [],
			filesChanged: 2,
			filesChecked: 2,
			summary: 'no ownership conflicts in 2 changed manifests',
		})
		expect(await d1PreflightStore(env.DB).forCommit('f'.repeat(40))).toBeUndefined()
	})

	it('reads only the changed files under fluxPaths, one contents request each', async () => {
		await commit({
			'tidegate.yaml': CONFIG,
			'clusters/tethys/apps/old.yaml': DEPLOYMENT('old'),
		})
		const pushed = await commit({
			'clusters/tethys/apps/new.yaml': DEPLOYMENT('new'),
			'clusters/tethys/apps/old.yaml': null,
			'clusters/tethys/flux-system/gotk-sync.yaml': DEPLOYMENT('x', 'flux-system'),
			'clusters/staging/crds.yaml': CRD,
		})
		edge.github.clearRequests()
		await consume(message(pushed))
		const reads = edge.github.requests({ path: '/repos/*/*/contents/**' }).map((r) => r.path)
		expect(reads).toEqual([
			'/repos/oceanid/gitops/contents/tidegate.yaml',
			'/repos/oceanid/gitops/contents/clusters/tethys/apps/new.yaml',
		])
		expect(edge.github.requests({ path: '/repos/*/*/compare/**' })).toHaveLength(1)
		expect(await preflightStatuses(pushed.sha)).toEqual([
			['success', 'no ownership conflicts in 1 changed manifest'],
		])
	})

	it('says so when a push changed no manifest under fluxPaths', async () => {
		await commit({ 'tidegate.yaml': CONFIG })
		const pushed = await commit({ 'README.md': 'hello\n' })
		await consume(message(pushed))
		expect(await preflightStatuses(pushed.sha)).toEqual([
			['success', 'no manifests under ownership.fluxPaths changed'],
		])
	})

	it('stays silent (no status, no row) when tidegate.yaml has no ownership section', async () => {
		await commit({ 'tidegate.yaml': 'version: 1\nowner: oceanid\n' })
		const pushed = await commit({ 'clusters/tethys/infra/crds.yaml': CRD })
		const outcome = await consume(message(pushed))
		expect(outcome.explicitAcks).toHaveLength(1)
		expect(await preflightStatuses(pushed.sha)).toEqual([])
		expect(await row(pushed.sha)).toBeNull()
	})

	it('reports a HelmRelease values rule, and a malformed manifest, on the commit', async () => {
		await commit({ 'tidegate.yaml': CONFIG })
		const pushed = await commit({
			'clusters/tethys/apps/labelfish.yaml': HELM_RELEASE.replace(
				'  values:\n',
				'  values:\n    worker:\n      image: { tag: "0.4.3-gpu" }\n',
			),
			'clusters/tethys/apps/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\ndata:\n  a: b\n c: d\n',
		})
		await consume(message(pushed))
		expect(await preflightStatuses(pushed.sha)).toEqual([
			[
				'failure',
				'1 conflict and 1 file with invalid YAML; first: clusters/tethys/apps/broken.yaml:5 invalid YAML',
			],
		])
	})
})

describe('bounds: a large push is cut off with a clear message, never passed', () => {
	it(`checks the first ${PREFLIGHT_LIMITS.maxFiles} changed manifests and reports the rest as not checked`, async () => {
		await commit({ 'tidegate.yaml': CONFIG })
		const files = Object.fromEntries(
			Array.from({ length: PREFLIGHT_LIMITS.maxFiles + 5 }, (_, i) => [
				`clusters/tethys/apps/app-${String(i).padStart(3, '0')}.yaml`,
				DEPLOYMENT(`app-${i}`),
			]),
		)
		const pushed = await commit(files)
		edge.github.clearRequests()
		await consume(message(pushed))
		expect(edge.github.requests({ path: '/repos/*/*/contents/**' })).toHaveLength(
			PREFLIGHT_LIMITS.maxFiles + 1,
		)
		expect(await preflightStatuses(pushed.sha)).toEqual([
			[
				'error',
				`not fully checked (5 manifests over the ${PREFLIGHT_LIMITS.maxFiles}-file limit not checked); no conflicts in the ${PREFLIGHT_LIMITS.maxFiles} read`,
			],
		])
		expect(await row(pushed.sha)).toMatchObject({
			status: 'incomplete',
			files_changed: PREFLIGHT_LIMITS.maxFiles + 5,
			files_checked: PREFLIGHT_LIMITS.maxFiles,
			cut_off: `5 of ${PREFLIGHT_LIMITS.maxFiles + 5} changed manifests were not checked: the limit is ${PREFLIGHT_LIMITS.maxFiles} files per check`,
		})
	})

	it('still fails on a conflict found in the part it read, and says the check was partial', async () => {
		await commit({ 'tidegate.yaml': CONFIG })
		const pushed = await commit({
			'clusters/tethys/infra/crds.yaml': CRD,
			'clusters/tethys/apps/huge.yaml': `${DEPLOYMENT('huge')}# ${'x'.repeat(PREFLIGHT_LIMITS.maxFileBytes)}\n`,
		})
		await consume(message(pushed))
		expect(await preflightStatuses(pushed.sha)).toEqual([
			[
				'failure',
				'1 conflict (partial check); first: clusters/tethys/infra/crds.yaml:2 CustomResourceDefinition labelprojects.labelfish.oceanid.dev is reserv…',
			],
		])
		expect((await row(pushed.sha))?.cut_off).toBe(
			'clusters/tethys/apps/huge.yaml is over the 256 KiB per-file limit and was not checked',
		)
	})

	it('does not trust a file list GitHub may have cut at 300', async () => {
		await commit({ 'tidegate.yaml': CONFIG })
		const files = Object.fromEntries(
			Array.from({ length: 301 }, (_, i) => [`docs/page-${i}.md`, `page ${i}\n`]),
		)
		const pushed = await commit(files)
		await consume(message(pushed))
		expect(await preflightStatuses(pushed.sha)).toEqual([
			['error', 'not fully checked (over 300 files changed); no conflicts in the 0 read'],
		])
	})
})

describe('failures and edges', () => {
	it('retries a GitHub outage with backoff, then reports an error on the commit when attempts are spent', async () => {
		await commit({ 'tidegate.yaml': CONFIG })
		const pushed = await commit({ 'clusters/tethys/apps/web.yaml': DEPLOYMENT('web') })
		edge.github.addFault({ path: '/repos/*/*/compare/**', kind: 'server-error', times: 'always' })
		const first = await consume(message(pushed), 1)
		expect(first.retryMessages).toHaveLength(1)
		expect(await row(pushed.sha)).toBeNull()
		const last = await consume(message(pushed), 5)
		expect(last.explicitAcks).toHaveLength(1)
		expect(await preflightStatuses(pushed.sha)).toEqual([
			[
				'error',
				'not run: GitHub failed while listing the changed files: GitHub answered 500: Server Error (gave up after 5 attempts)',
			],
		])
		expect(await row(pushed.sha)).toMatchObject({ status: 'error' })
	})

	it('reports an invalid tidegate.yaml that asks for the check, instead of passing', async () => {
		const pushed = await commit({
			'tidegate.yaml': `${CONFIG}    - owner: nobody\n`,
			'clusters/tethys/infra/crds.yaml': CRD,
		})
		await consume(message(pushed))
		expect(await preflightStatuses(pushed.sha)).toEqual([
			[
				'error',
				'not run: tidegate.yaml is invalid at this commit (tidegate.yaml:14:7 ownership.valuesRules[1].forbid is required (a string))',
			],
		])
	})

	it("checks a branch's first push (no previous head) through the commit's own changes", async () => {
		const pushed = await commit({
			'tidegate.yaml': CONFIG,
			'clusters/tethys/infra/crds.yaml': CRD,
		})
		await consume({ ...message(pushed), beforeSha: null })
		expect(await preflightStatuses(pushed.sha)).toEqual([
			[
				'failure',
				'1 conflict; first: clusters/tethys/infra/crds.yaml:2 CustomResourceDefinition labelprojects.labelfish.oceanid.dev is reserved for pulumi',
			],
		])
	})

	it('falls back to the last commit when GitHub cannot compare with the previous head, and says so', async () => {
		await commit({ 'tidegate.yaml': CONFIG })
		const pushed = await commit({ 'clusters/tethys/apps/web.yaml': DEPLOYMENT('web') })
		await consume({ ...message(pushed), beforeSha: 'e'.repeat(40) })
		expect(await preflightStatuses(pushed.sha)).toEqual([
			[
				'error',
				'not fully checked (previous head unknown, only the last commit was checked); no conflicts in the 1 read',
			],
		])
	})

	it('a redelivered message posts the recorded result again without re-reading the push', async () => {
		await commit({ 'tidegate.yaml': CONFIG })
		const pushed = await commit({ 'clusters/tethys/infra/crds.yaml': CRD })
		await consume(message(pushed, 'delivery-1'))
		edge.github.clearRequests()
		await consume(message(pushed, 'delivery-1'))
		expect(edge.github.requests({ method: 'GET' })).toEqual([])
		expect((await preflightStatuses(pushed.sha)).map(([state]) => state)).toEqual([
			'failure',
			'failure',
		])
	})

	it('an unparseable preflight message goes to the dead-letter queue', async () => {
		const outcome = await consume({ v: 1, kind: 'preflight', commitSha: 'nope' })
		expect(outcome.explicitAcks).toHaveLength(1)
	})
})
