/**
 * Review before merge (docs/preflight.md, "On pull requests"): a `pull_request` webhook from the
 * GitHub stand-in → the real queue → the read-only edge plan against the Cloudflare stand-in and the
 * ownership pre-flight → `tidegate/edge-plan` and `tidegate/preflight` on the head and one comment,
 * edited in place on every push. Nothing is ever written to Cloudflare.
 */
import { env, exports } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { pullRequestDeps, pullRequestJob } from '../../src/app/github/pull-request-job.ts'
import { COMMENT_MARKER } from '../../src/domain/github/pull-request-report.ts'
import { buildDeps } from '../../workers/deps.ts'
import { DEFAULT_ACCOUNT_ID } from '../standins/cloudflare/seed.ts'
import { desiredYaml } from './support/desired.ts'
import { githubDelivery } from './support/github.ts'
import { useEdge } from './support/network.ts'
import { reconcileOnce } from './support/runs.ts'
import { waitFor } from './support/wait.ts'

const edge = useEdge()
const ADMIN = { authorization: 'Bearer test-admin-token-0123456789abcdef' }

const GPU_LAN = `    - address: 10.42.0.0/16
      description: K8s Pod Network
    - address: 10.43.0.0/16
      description: K8s Service Network
      protected: true
    - address: 192.168.2.0/24
      description: Calypso GPU
    - address: 192.168.3.0/24
      description: Calypso GPU LAN`

const OWNERSHIP = `ownership:
  fluxPaths: ["clusters/tethys/**"]
  reserved:
    - owner: pulumi
      namespaces: [flux-system, cert-manager, cloudflared]
`

const CONFLICTING_RELEASE = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cert-manager-extras
  namespace: cert-manager
spec:
  interval: 10m
  chart:
    spec:
      chart: extras
      sourceRef: { kind: HelmRepository, name: jetstack }
`

/** The checks on a commit, by context: [state, description, target_url]. */
async function checksOn(sha: string) {
	const statuses = await edge.github.statuses({ ref: sha })
	const latest = (context: string) => statuses.find((s) => s.context === context)
	const edgePlan = latest('tidegate/edge-plan')
	const preflight = latest('tidegate/preflight')
	return edgePlan && preflight ? { edgePlan, preflight } : null
}

const waitForChecks = (sha: string) =>
	waitFor(() => checksOn(sha), { what: `the pull-request statuses on ${sha.slice(0, 7)}` })

/** Applies the branch's tidegate.yaml, as a push would, so the edge holds what tidegate last wrote. */
async function reconcileBase(): Promise<void> {
	expect(await reconcileOnce('api')).toBe('applied')
}

beforeEach(async () => {
	edge.cloudflare.reset()
	await edge.github.reset()
	edge.github.configureWebhook({
		url: 'https://tidegate.test/webhooks/github',
		fetch: (r) => exports.default.fetch(r),
	})
	await env.DB.batch([
		env.DB.prepare('DELETE FROM applications'),
		env.DB.prepare('DELETE FROM pull_request_checks'),
		env.DB.prepare('DELETE FROM pull_request_merges'),
		env.DB.prepare('DELETE FROM alert_tracks'),
		env.DB.prepare('DELETE FROM settings'),
	])
	edge.alerts.length = 0
})

describe('a pull request to the tracked branch', () => {
	it('gets both statuses and one comment with the rendered plan; Cloudflare is only read', async () => {
		await edge.github.push({ files: { 'tidegate.yaml': desiredYaml() }, delivery: 'skip' })
		edge.cloudflare.clearRequests()
		const opened = await edge.github.openPullRequest({
			head: 'gpu-lan',
			title: 'Route the GPU LAN',
			files: { 'tidegate.yaml': desiredYaml({ entries: GPU_LAN }) },
		})
		expect(opened.statusCode).toBe(202)
		const checks = await waitForChecks(opened.sha)
		const link = `https://tidegate.test/pulls/1/${opened.sha}`
		expect(checks.edgePlan).toMatchObject({
			state: 'success',
			description: 'merging applies tunnel: 2 added; DNS: 2 added; split tunnel: 4 added',
			targetUrl: link,
		})
		expect(checks.preflight).toMatchObject({
			state: 'success',
			description: 'nothing to check: tidegate.yaml has no ownership section',
			targetUrl: link,
		})
		const comments = await waitFor(async () => {
			const all = await edge.github.comments({ number: 1 })
			return all.length > 0 ? all : null
		})
		expect(comments).toHaveLength(1)
		const body = comments[0]?.body ?? ''
		expect(body.startsWith(COMMENT_MARKER)).toBe(true)
		expect(body).toContain(`checks of \`${opened.sha.slice(0, 7)}\``)
		expect(body).toContain('+ 192.168.3.0/24 "Calypso GPU LAN - oceanid"')
		expect(body).toContain(`[The whole plan and every finding](${link})`)
		// Read, never written: not one PUT, POST or DELETE reached the Cloudflare API.
		expect(edge.cloudflare.writes()).toEqual([])
		expect(edge.cloudflare.requests.length).toBeGreaterThan(0)

		const page = await exports.default.fetch(new Request(link, { headers: ADMIN }))
		expect(page.status).toBe(200)
		const html = await page.text()
		expect(html).toContain('192.168.3.0/24')
		expect(html).toContain('merging applies tunnel: 2 added; DNS: 2 added; split tunnel: 4 added')
		const anonymous = await exports.default.fetch(new Request(link))
		expect(anonymous.status).toBe(401)
	})

	it('edits the same comment in place when the pull request gets another push', async () => {
		await edge.github.push({ files: { 'tidegate.yaml': desiredYaml() }, delivery: 'skip' })
		const opened = await edge.github.openPullRequest({
			head: 'gpu-lan',
			files: { 'tidegate.yaml': desiredYaml({ entries: GPU_LAN }) },
		})
		await waitForChecks(opened.sha)
		const [first] = await waitFor(async () => {
			const all = await edge.github.comments({ number: 1 })
			return all.length > 0 ? all : null
		})
		const pushed = await edge.github.pushToPullRequest({
			number: 1,
			files: { 'tidegate.yaml': desiredYaml() },
			message: 'Not the GPU LAN after all',
		})
		const checks = await waitForChecks(pushed.sha)
		expect(checks.edgePlan.description).toBe(
			'merging applies tunnel: 2 added; DNS: 2 added; split tunnel: 3 added',
		)
		const comments = await waitFor(async () => {
			const all = await edge.github.comments({ number: 1 })
			return all[0]?.body.includes(pushed.sha.slice(0, 7)) ? all : null
		})
		expect(comments.map((c) => c.id)).toEqual([first?.id])
		expect(comments[0]?.body).not.toContain('192.168.3.0/24')
		// Creating it was the only POST; the second push edited it.
		const posts = edge.github.requests({ method: 'POST', path: '/repos/*/*/issues/*/comments' })
		const patches = edge.github.requests({ method: 'PATCH', path: '/repos/*/*/issues/comments/*' })
		expect([posts.length, patches.length]).toEqual([1, 1])
	})

	it('fails tidegate/preflight on the head when the pull request adds a conflicting HelmRelease', async () => {
		await edge.github.push({
			files: { 'tidegate.yaml': desiredYaml({ extra: OWNERSHIP }) },
			delivery: 'skip',
		})
		const opened = await edge.github.openPullRequest({
			head: 'extras',
			files: {
				'clusters/tethys/apps/extras.yaml': CONFLICTING_RELEASE,
				'docs/extras.md': '# why\n',
			},
		})
		const checks = await waitForChecks(opened.sha)
		expect(checks.preflight).toMatchObject({
			state: 'failure',
			description:
				'1 conflict; first: clusters/tethys/apps/extras.yaml:5 HelmRelease cert-manager/cert-manager-extras is reserved for pulumi',
		})
		expect(checks.edgePlan.state).toBe('success')
		const [comment] = await edge.github.comments({ number: 1 })
		expect(comment?.body).toContain('`clusters/tethys/apps/extras.yaml:5`')
	})

	it('fails tidegate/edge-plan with the rail’s message when the plan trips sync.maxDeletions', async () => {
		await edge.github.push({ files: { 'tidegate.yaml': desiredYaml() }, delivery: 'skip' })
		await reconcileBase()
		edge.cloudflare.clearRequests()
		const opened = await edge.github.openPullRequest({
			head: 'shrink',
			files: {
				'tidegate.yaml': desiredYaml({
					entries: `    - address: 10.43.0.0/16
      description: K8s Service Network
      protected: true`,
					extra: 'sync:\n  maxDeletions: 1\n',
				}),
			},
		})
		const checks = await waitForChecks(opened.sha)
		expect(checks.edgePlan).toMatchObject({
			state: 'failure',
			description:
				'refused: the plan removes 2 split-tunnel include entries, more than sync.maxDeletions (1); review it and apply with force if it is intended',
		})
		expect(edge.cloudflare.writes()).toEqual([])
		const [comment] = await edge.github.comments({ number: 1 })
		expect(comment?.body).toContain('REFUSED (max-deletions)')
	})

	it('does not plan a pull request from a fork by default, and says why on the head', async () => {
		await edge.github.push({ files: { 'tidegate.yaml': desiredYaml() }, delivery: 'skip' })
		edge.cloudflare.clearRequests()
		edge.github.clearRequests()
		const opened = await edge.github.openPullRequest({
			head: 'patch-1',
			fork: 'mallory/gitops',
			files: { 'tidegate.yaml': desiredYaml({ entries: GPU_LAN }) },
		})
		const checks = await waitForChecks(opened.sha)
		const why =
			'not checked: the head is in the fork mallory/gitops; forks are checked only with GITHUB_PLAN_FORKS=true'
		expect(checks.edgePlan).toMatchObject({ state: 'error', description: why })
		expect(checks.preflight).toMatchObject({ state: 'error', description: why })
		// The fork's file was never read, and nothing of Cloudflare was.
		expect(edge.github.requests({ path: '/repos/*/*/contents/**' })).toEqual([])
		expect(edge.cloudflare.requests).toEqual([])
	})

	it('plans a fork’s pull request when GITHUB_PLAN_FORKS=true, still with reads only', async () => {
		await edge.github.push({ files: { 'tidegate.yaml': desiredYaml() }, delivery: 'skip' })
		const opened = await edge.github.openPullRequest({
			head: 'patch-1',
			fork: 'mallory/gitops',
			files: { 'tidegate.yaml': desiredYaml({ entries: GPU_LAN }) },
			delivery: 'skip',
		})
		edge.cloudflare.clearRequests()
		const deps = buildDeps({ ...env, GITHUB_PLAN_FORKS: 'true' })
		const outcome = await pullRequestJob(
			pullRequestDeps(deps),
			{ v: 1, kind: 'pull_request', deliveryId: 'fork-allowed', number: 1, headSha: opened.sha },
			1,
		)
		expect(outcome).toEqual({ retry: false })
		const checks = await checksOn(opened.sha)
		expect(checks?.edgePlan).toMatchObject({
			state: 'success',
			description: 'merging applies tunnel: 2 added; DNS: 2 added; split tunnel: 4 added',
		})
		expect(edge.cloudflare.writes()).toEqual([])
	})

	it('says on the merge commit when the run did not apply the plan shown on the pull request', async () => {
		await edge.github.push({ files: { 'tidegate.yaml': desiredYaml() }, delivery: 'skip' })
		await reconcileBase()
		const opened = await edge.github.openPullRequest({
			head: 'gpu-lan',
			files: { 'tidegate.yaml': desiredYaml({ entries: GPU_LAN }) },
		})
		expect(opened.statusCode).toBe(202)
		await waitForChecks(opened.sha)
		// Someone adds the GPU LAN by hand before the merge: the merge's run has nothing left to add.
		edge.cloudflare.handEdit({
			kind: 'split-tunnel',
			accountId: DEFAULT_ACCOUNT_ID,
			list: (current) => [
				...current,
				{ address: '192.168.3.0/24', description: 'Calypso GPU LAN - oceanid' },
			],
		})
		const merged = await edge.github.mergePullRequest({ number: 1 })
		const sync = await waitFor(async () => {
			const statuses = await edge.github.statuses({ ref: merged.mergeCommitSha ?? '' })
			const latest = statuses.find((s) => s.context === 'tidegate/edge-sync')
			return latest && latest.state !== 'pending' ? latest : null
		})
		expect(sync.state).toBe('success')
		expect(sync.description).toMatch(
			/^not the plan shown on #1 \(the edge or the branch changed since\); (in sync|applied)/,
		)
	})

	it('ignores pull requests to other branches and closes without merging, and dedupes deliveries', async () => {
		const payload = (base: string, action = 'opened') =>
			JSON.stringify({
				action,
				number: 7,
				pull_request: {
					state: action === 'closed' ? 'closed' : 'open',
					merged: false,
					head: { sha: 'c'.repeat(40), ref: 'x', repo: { full_name: 'oceanid/gitops' } },
					base: { sha: 'd'.repeat(40), ref: base, repo: { full_name: 'oceanid/gitops' } },
				},
				repository: { full_name: 'oceanid/gitops' },
			})
		const send = async (body: string, deliveryId = crypto.randomUUID()) =>
			exports.default.fetch(await githubDelivery(body, { event: 'pull_request', deliveryId }))
		const other = await send(payload('develop'))
		expect(await other.json()).toMatchObject({
			status: 'ignored',
			reason: 'pull request #7 targets develop, not the tracked branch main',
		})
		const closed = await send(payload('main', 'closed'))
		expect(await closed.json()).toMatchObject({
			status: 'ignored',
			reason: 'pull request #7 was closed without merging',
		})
		const id = crypto.randomUUID()
		const first = await send(payload('main'), id)
		expect(first.status).toBe(202)
		expect(await first.json()).toMatchObject({ status: 'queued', pullRequest: 7 })
		const again = await send(payload('main'), id)
		expect(again.status).toBe(200)
		expect(await again.json()).toMatchObject({ duplicate: true })
	})
})
