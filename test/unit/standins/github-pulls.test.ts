/**
 * The GitHub stand-in's pull requests: the REST answers (pull request, its files, issue comments)
 * against GitHub's published shapes, and the `pull_request` webhook against GitHub's own examples
 * (@octokit/webhooks-examples).
 */
import examples from '@octokit/webhooks-examples'
import type { PullRequestEvent, PullRequestOpenedEvent } from '@octokit/webhooks-types'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createGitHubStandin } from '../../standins/github/standin.ts'

const API = 'https://api.github.test'
const REPO = 'oceanid/gitops'

const comment = z.object({
	id: z.number().int(),
	node_id: z.string(),
	url: z.url(),
	html_url: z.url(),
	body: z.string(),
	user: z.object({ login: z.string(), id: z.number() }),
	created_at: z.iso.datetime(),
	updated_at: z.iso.datetime(),
	issue_url: z.url(),
})
const pullRequest = z.object({
	number: z.number().int(),
	state: z.enum(['open', 'closed']),
	draft: z.boolean(),
	merged: z.boolean(),
	merge_commit_sha: z.string().nullable(),
	changed_files: z.number().int(),
	head: z.object({
		ref: z.string(),
		sha: z.string().regex(/^[0-9a-f]{40}$/),
		repo: z.object({ full_name: z.string(), fork: z.boolean() }),
	}),
	base: z.object({
		ref: z.string(),
		sha: z.string().regex(/^[0-9a-f]{40}$/),
		repo: z.object({ full_name: z.string() }),
	}),
})

async function setup(now?: () => number) {
	const sent: { event: string; payload: PullRequestEvent }[] = []
	const standin = createGitHubStandin({
		...(now ? { now } : {}),
		repositories: [{ fullName: REPO, files: { 'tidegate.yaml': 'version: 1\n' } }],
		webhook: {
			url: 'https://tidegate.test/webhooks/github',
			secret: 's',
			fetch: async (request) => {
				sent.push({
					event: request.headers.get('x-github-event') ?? '',
					payload: (await request.json()) as PullRequestEvent,
				})
				return new Response(null, { status: 202 })
			},
		},
	})
	await standin.ready
	const gh = (path: string, init: { method?: string; body?: unknown } = {}) =>
		standin.fetch(
			new Request(`${API}${path}`, {
				method: init.method ?? 'GET',
				headers: { authorization: 'Bearer test-github-token' },
				...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
			}),
		)
	return { standin, sent, gh }
}

const missing = (theirs: object, mine: object, skip: string[] = []) =>
	Object.keys(theirs).filter((key) => !(key in mine) && !skip.includes(key))

describe('pull requests', () => {
	it('delivers `opened` with every field of GitHub’s own example, and answers the pull request and its files', async () => {
		const { standin, sent, gh } = await setup()
		const opened = await standin.openPullRequest({
			head: 'gpu-cidr',
			title: 'Add the GPU CIDR',
			files: { 'tidegate.yaml': 'version: 1\n# gpu\n', 'clusters/a.yaml': 'kind: A\n' },
		})
		expect(opened).toMatchObject({ number: 1, delivered: true, mergeCommitSha: null })
		// GitHub sends the new branch's push, then the pull request.
		expect(sent.map((s) => s.event)).toEqual(['push', 'pull_request'])
		const ours = sent[1]?.payload as PullRequestOpenedEvent
		const definition = examples.find((d) => d.name === 'pull_request')
		const example = ((definition?.examples ?? []) as PullRequestEvent[]).find(
			(e) => e.action === 'opened',
		) as PullRequestOpenedEvent
		expect(missing(example, ours, ['installation', 'organization'])).toEqual([])
		expect(missing(example.pull_request, ours.pull_request)).toEqual([])
		expect(missing(example.pull_request.head, ours.pull_request.head)).toEqual([])
		expect(ours).toMatchObject({
			action: 'opened',
			number: 1,
			pull_request: {
				state: 'open',
				head: { ref: 'gpu-cidr', sha: opened.sha, repo: { full_name: REPO, fork: false } },
				base: { ref: 'main', sha: opened.before, repo: { full_name: REPO } },
			},
		})

		const response = await gh(`/repos/${REPO}/pulls/1`)
		expect(response.status).toBe(200)
		const pull = pullRequest.parse(await response.json())
		expect(pull).toMatchObject({ number: 1, state: 'open', changed_files: 2, merged: false })
		const files = (await (await gh(`/repos/${REPO}/pulls/1/files?per_page=1`)).json()) as {
			filename: string
			status: string
		}[]
		expect(files.map((f) => [f.filename, f.status])).toEqual([['clusters/a.yaml', 'added']])
		const second = await gh(`/repos/${REPO}/pulls/1/files?per_page=1&page=2`)
		expect(((await second.json()) as { filename: string }[])[0]?.filename).toBe('tidegate.yaml')
		expect((await gh(`/repos/${REPO}/pulls/9`)).status).toBe(404)
	})

	it('keeps a fork’s head in the fork but its commits readable from the base, and says `fork: true`', async () => {
		const { standin, sent, gh } = await setup()
		const opened = await standin.openPullRequest({
			head: 'patch-1',
			fork: 'mallory/gitops',
			files: { 'tidegate.yaml': 'version: 1\n# fork\n' },
		})
		// No push reaches the base repository's hook: the branch is in the fork.
		expect(sent.map((s) => s.event)).toEqual(['pull_request'])
		const pull = pullRequest.parse(await (await gh(`/repos/${REPO}/pulls/1`)).json())
		expect(pull.head).toMatchObject({ repo: { full_name: 'mallory/gitops', fork: true } })
		expect(await standin.readFile({ path: 'tidegate.yaml', ref: opened.sha })).toBe(
			'version: 1\n# fork\n',
		)
		const pushed = await standin.pushToPullRequest({ number: 1, files: { 'b.txt': 'b\n' } })
		expect(sent.at(-1)?.payload).toMatchObject({
			action: 'synchronize',
			before: opened.sha,
			after: pushed.sha,
		})
	})

	it('squash-merges onto the base with a push, and delivers `closed` with the merge commit', async () => {
		const { standin, sent } = await setup()
		await standin.openPullRequest({ head: 'x', files: { 'tidegate.yaml': 'version: 1\n# x\n' } })
		const merged = await standin.mergePullRequest({ number: 1 })
		expect(await standin.head()).toBe(merged.mergeCommitSha)
		expect(await standin.readFile({ path: 'tidegate.yaml' })).toBe('version: 1\n# x\n')
		expect(sent.slice(-2).map((s) => [s.event, s.payload.action ?? null])).toEqual([
			['push', null],
			['pull_request', 'closed'],
		])
		expect(sent.at(-1)?.payload.pull_request).toMatchObject({
			state: 'closed',
			merged: true,
			merge_commit_sha: merged.mergeCommitSha,
		})
	})

	it('never reuses a pull request’s id, not even after a reset within the same second', async () => {
		// Same commits at the same instant after a reset: only the id tells the two openings apart, as
		// on GitHub. A byte-identical body under a new delivery id would be a replay to tidegate.
		const { standin, sent } = await setup(() => Date.UTC(2026, 11, 5, 12))
		const open = () =>
			standin.openPullRequest({ head: 'x', files: { 'tidegate.yaml': 'version: 1\n# x\n' } })
		const first = await open()
		await standin.reset()
		const second = await open()
		expect(second.sha).toBe(first.sha)
		const [a, b] = sent.filter((s) => s.event === 'pull_request').map((s) => s.payload.pull_request)
		expect(b?.number).toBe(a?.number)
		expect(b?.id).not.toBe(a?.id)
		expect(b?.node_id).not.toBe(a?.node_id)
	})
})

describe('issue comments', () => {
	it('creates, lists (paged), edits and deletes comments like GitHub', async () => {
		const { standin, gh } = await setup()
		await standin.openPullRequest({ head: 'x', files: { 'a.txt': 'a\n' } })
		const created = await gh(`/repos/${REPO}/issues/1/comments`, {
			method: 'POST',
			body: { body: 'first' },
		})
		expect(created.status).toBe(201)
		const first = comment.parse(await created.json())
		expect(created.headers.get('location')).toBe(`${API}/repos/${REPO}/issues/comments/${first.id}`)
		await gh(`/repos/${REPO}/issues/1/comments`, { method: 'POST', body: { body: 'second' } })
		const page = await gh(`/repos/${REPO}/issues/1/comments?per_page=1`)
		expect(page.headers.get('link')).toContain('rel="next"')
		expect(
			z
				.array(comment)
				.parse(await page.json())
				.map((c) => c.body),
		).toEqual(['first'])

		const edited = await gh(`/repos/${REPO}/issues/comments/${first.id}`, {
			method: 'PATCH',
			body: { body: 'first, edited' },
		})
		expect(edited.status).toBe(200)
		expect(comment.parse(await edited.json()).body).toBe('first, edited')
		expect((await standin.comments({ number: 1 })).map((c) => c.body)).toEqual([
			'first, edited',
			'second',
		])

		const deleted = await gh(`/repos/${REPO}/issues/comments/${first.id}`, { method: 'DELETE' })
		expect(deleted.status).toBe(204)
		const gone = await gh(`/repos/${REPO}/issues/comments/${first.id}`, {
			method: 'PATCH',
			body: { body: 'again' },
		})
		expect(gone.status).toBe(404)
	})

	it('refuses a missing or over-long body with GitHub’s Validation Failed, and unknown issues with 404', async () => {
		const { standin, gh } = await setup()
		await standin.openPullRequest({ head: 'x', files: { 'a.txt': 'a\n' } })
		const empty = await gh(`/repos/${REPO}/issues/1/comments`, { method: 'POST', body: {} })
		expect(empty.status).toBe(422)
		expect(await empty.json()).toMatchObject({
			message: 'Validation Failed',
			errors: [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }],
		})
		const long = await gh(`/repos/${REPO}/issues/1/comments`, {
			method: 'POST',
			body: { body: 'x'.repeat(65_537) },
		})
		expect(long.status).toBe(422)
		const unknown = await gh(`/repos/${REPO}/issues/7/comments`, {
			method: 'POST',
			body: { body: 'hi' },
		})
		expect(unknown.status).toBe(404)
	})
})
