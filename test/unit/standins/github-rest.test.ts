/**
 * The GitHub stand-in's REST endpoints against GitHub's published shapes: compile-time through
 * `@octokit/openapi-types` (in the stand-in), run-time here with zod for the fields tidegate reads.
 */
import { createHash } from 'node:crypto'
import type { components } from '@octokit/openapi-types'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createGitHubStandin, type GitHubStandin } from '../../standins/github/standin.ts'

type Schemas = components['schemas']

const API = 'https://api.github.test'
const TOKEN = 'test-github-token'
const REPO = 'oceanid/gitops'

const errorBody = z.object({
	message: z.string(),
	documentation_url: z.url(),
	status: z.string(),
})
const gitRef = z.object({
	ref: z.string(),
	node_id: z.string(),
	url: z.url(),
	object: z.object({
		sha: z.string().regex(/^[0-9a-f]{40}$/),
		type: z.literal('commit'),
		url: z.url(),
	}),
})
const diffEntry = z.object({
	filename: z.string(),
	status: z.enum(['added', 'removed', 'modified', 'renamed', 'copied', 'changed', 'unchanged']),
	additions: z.number().int(),
	deletions: z.number().int(),
	changes: z.number().int(),
	sha: z.string().nullable(),
	blob_url: z.string(),
	raw_url: z.string(),
	contents_url: z.string(),
})
const commit = z.object({
	sha: z.string().regex(/^[0-9a-f]{40}$/),
	url: z.url(),
	html_url: z.url(),
	commit: z.object({
		message: z.string(),
		author: z.object({ name: z.string(), email: z.string(), date: z.iso.datetime() }),
		tree: z.object({ sha: z.string().regex(/^[0-9a-f]{40}$/), url: z.url() }),
	}),
	parents: z.array(z.object({ sha: z.string(), url: z.url() })),
	files: z.array(diffEntry),
	stats: z.object({ additions: z.number(), deletions: z.number(), total: z.number() }),
})
const fileContent = z.object({
	type: z.literal('file'),
	encoding: z.string(),
	content: z.string(),
	size: z.number().int(),
	name: z.string(),
	path: z.string(),
	sha: z.string().regex(/^[0-9a-f]{40}$/),
	url: z.url(),
	git_url: z.url().nullable(),
	html_url: z.url().nullable(),
	download_url: z.url().nullable(),
	_links: z.object({ self: z.url(), git: z.string().nullable(), html: z.string().nullable() }),
})
const directoryEntry = fileContent
	.omit({ type: true, encoding: true, content: true })
	.extend({ type: z.enum(['file', 'dir', 'symlink', 'submodule']) })
const status = z.object({
	id: z.number().int(),
	node_id: z.string(),
	url: z.url(),
	state: z.enum(['error', 'failure', 'pending', 'success']),
	description: z.string().nullable(),
	target_url: z.string().nullable(),
	context: z.string(),
	created_at: z.iso.datetime(),
	updated_at: z.iso.datetime(),
	creator: z.object({ login: z.string(), id: z.number() }).nullable(),
})

function gitBlobSha(content: string | Uint8Array): string {
	const bytes = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content)
	return createHash('sha1')
		.update(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes]))
		.digest('hex')
}

function gh(
	standin: GitHubStandin,
	path: string,
	init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
	return standin.fetch(
		new Request(`${API}${path}`, {
			method: init.method ?? 'GET',
			headers: {
				authorization: `Bearer ${TOKEN}`,
				accept: 'application/vnd.github+json',
				...init.headers,
			},
			...(init.body === undefined
				? {}
				: { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
		}),
	)
}

async function standinWithConfig() {
	const standin = createGitHubStandin({
		repositories: [
			{
				fullName: REPO,
				files: { 'tidegate.yaml': 'version: 1\nowner: oceanid\n', 'README.md': '# ops\n' },
			},
		],
	})
	await standin.ready
	return standin
}

describe('git refs', () => {
	it('answers a branch head as a git-ref object', async () => {
		const standin = await standinWithConfig()
		const response = await gh(standin, `/repos/${REPO}/git/ref/heads/main`)
		expect(response.status).toBe(200)
		const body = (await response.json()) as Schemas['git-ref']
		gitRef.parse(body)
		expect(body.ref).toBe('refs/heads/main')
		expect(body.object.sha).toBe(await standin.head())
		expect(body.url).toBe(`${API}/repos/${REPO}/git/refs/heads/main`)
	})

	it('resolves branch names with slashes and matches owner/repo case-insensitively', async () => {
		const standin = await standinWithConfig()
		const { sha } = await standin.push({ branch: 'feature/x', files: { 'a.txt': 'a\n' } })
		const response = await gh(standin, '/repos/OceanID/GitOps/git/ref/heads/feature/x')
		expect(response.status).toBe(200)
		expect(gitRef.parse(await response.json()).object.sha).toBe(sha)
	})

	it('answers 404 with GitHub’s error body for an unknown branch, repository or tag', async () => {
		const standin = await standinWithConfig()
		for (const path of [
			`/repos/${REPO}/git/ref/heads/nope`,
			'/repos/oceanid/other/git/ref/heads/main',
			`/repos/${REPO}/git/ref/tags/v1`,
		]) {
			const response = await gh(standin, path)
			expect(response.status).toBe(404)
			expect(response.headers.get('content-type')).toMatch(/^application\/json/)
			const body = errorBody.parse(await response.json())
			expect(body).toMatchObject({ message: 'Not Found', status: '404' })
			expect(body.documentation_url).toMatch(/^https:\/\/docs\.github\.com\/rest/)
		}
	})
})

describe('commits', () => {
	it('lists the files of a pushed commit relative to its parent, with line counts', async () => {
		const standin = await standinWithConfig()
		const parent = await standin.head()
		const pushed = await standin.push({
			files: {
				'tidegate.yaml': 'version: 1\nowner: oceanid\nsync:\n  drift: report\n',
				'README.md': null,
				'clusters/tethys/app.yaml': 'kind: HelmRelease\n',
			},
			message: 'Report drift',
			delivery: 'skip',
		})
		for (const ref of [pushed.sha, 'main', pushed.sha.slice(0, 7)]) {
			const response = await gh(standin, `/repos/${REPO}/commits/${ref}`)
			expect(response.status).toBe(200)
			const body = (await response.json()) as Schemas['commit']
			commit.parse(body)
			expect(body.sha).toBe(pushed.sha)
			expect(body.commit.message).toBe('Report drift')
			expect(body.parents.map((p) => p.sha)).toEqual([parent])
			const files = Object.fromEntries((body.files ?? []).map((f) => [f.filename, f]))
			expect(files['tidegate.yaml']).toMatchObject({
				status: 'modified',
				additions: 2,
				deletions: 0,
				changes: 2,
				sha: gitBlobSha('version: 1\nowner: oceanid\nsync:\n  drift: report\n'),
			})
			expect(files['README.md']).toMatchObject({ status: 'removed', additions: 0, deletions: 1 })
			expect(files['clusters/tethys/app.yaml']).toMatchObject({ status: 'added', additions: 1 })
			expect(body.stats).toEqual({ additions: 3, deletions: 1, total: 4 })
		}
	})

	it('computes tree SHAs exactly as git does', async () => {
		const standin = createGitHubStandin({
			repositories: [
				{
					fullName: REPO,
					files: { 'tidegate.yaml': 'version: 1\nowner: oceanid\n', 'dir/a.txt': 'hello\n' },
				},
			],
		})
		const response = await gh(standin, `/repos/${REPO}/commits/main`)
		const body = (await response.json()) as Schemas['commit']
		// `git write-tree` of the same two files.
		expect(body.commit.tree.sha).toBe('a6aa6419aaf4e4f54aeefcd6f3f92c2e3e4494b6')
		const dir = z
			.array(directoryEntry)
			.parse(await (await gh(standin, `/repos/${REPO}/contents`)).json())
		expect(dir.find((e) => e.name === 'dir')?.sha).toBe('2e81171448eb9f2ee3821e3d447aa6b2fe3ddba1')
		expect(() => createGitHubStandin({ repositories: ['not-a-repo'] })).toThrow(/owner\/name/)
	})

	it('answers the bare SHA for application/vnd.github.sha', async () => {
		const standin = await standinWithConfig()
		const response = await gh(standin, `/repos/${REPO}/commits/main`, {
			headers: { accept: 'application/vnd.github.sha' },
		})
		expect(response.status).toBe(200)
		expect(await response.text()).toBe(await standin.head())
	})

	it('answers 422 "No commit found for SHA" for an unknown ref', async () => {
		const standin = await standinWithConfig()
		const response = await gh(standin, `/repos/${REPO}/commits/deadbeef`)
		expect(response.status).toBe(422)
		expect(errorBody.parse(await response.json())).toMatchObject({
			message: 'No commit found for SHA: deadbeef',
			status: '422',
		})
	})
})

describe('contents', () => {
	it('answers a file as base64 wrapped at 60 characters, with its git blob SHA', async () => {
		const standin = await standinWithConfig()
		const text = `${'# a long line of yaml comment that needs several base64 lines\n'.repeat(3)}version: 1\n`
		await standin.push({ files: { 'tidegate.yaml': text }, delivery: 'skip' })
		const response = await gh(standin, `/repos/${REPO}/contents/tidegate.yaml`)
		expect(response.status).toBe(200)
		const body = (await response.json()) as Schemas['content-file']
		fileContent.parse(body)
		expect(body).toMatchObject({
			type: 'file',
			encoding: 'base64',
			name: 'tidegate.yaml',
			path: 'tidegate.yaml',
			size: Buffer.byteLength(text),
			sha: gitBlobSha(text),
		})
		const lines = body.content.split('\n')
		expect(lines.at(-1)).toBe('')
		expect(lines.slice(0, -2).every((line) => line.length === 60)).toBe(true)
		expect(lines.length).toBeGreaterThan(3)
		expect(Buffer.from(body.content, 'base64').toString('utf8')).toBe(text)
	})

	it('reads the file at a given ref (SHA or branch), the default branch without one', async () => {
		const standin = await standinWithConfig()
		const before = await standin.head()
		await standin.push({
			files: { 'tidegate.yaml': 'version: 1\nowner: other\n' },
			delivery: 'skip',
		})
		const decode = async (path: string) => {
			const body = fileContent.parse(await (await gh(standin, path)).json())
			return Buffer.from(body.content, 'base64').toString('utf8')
		}
		expect(await decode(`/repos/${REPO}/contents/tidegate.yaml?ref=${before}`)).toBe(
			'version: 1\nowner: oceanid\n',
		)
		expect(await decode(`/repos/${REPO}/contents/tidegate.yaml?ref=main`)).toBe(
			'version: 1\nowner: other\n',
		)
		expect(await decode(`/repos/${REPO}/contents/tidegate.yaml`)).toBe('version: 1\nowner: other\n')
	})

	it('answers the raw bytes for the raw media types', async () => {
		const standin = await standinWithConfig()
		const binary = new Uint8Array([0, 1, 2, 250, 255, 10])
		await standin.push({ files: { 'bin/blob.dat': binary }, delivery: 'skip' })
		for (const accept of [
			'application/vnd.github.raw+json',
			'application/vnd.github.raw',
			'application/vnd.github.v3.raw',
		]) {
			const text = await gh(standin, `/repos/${REPO}/contents/tidegate.yaml`, {
				headers: { accept },
			})
			expect(text.status).toBe(200)
			expect(await text.text()).toBe('version: 1\nowner: oceanid\n')
			const bytes = await gh(standin, `/repos/${REPO}/contents/bin/blob.dat`, {
				headers: { accept },
			})
			expect(new Uint8Array(await bytes.arrayBuffer())).toEqual(binary)
		}
	})

	it('answers a directory as an array of entries (an object with `entries` for the object media type)', async () => {
		const standin = await standinWithConfig()
		await standin.push({
			files: { 'clusters/tethys/a.yaml': 'a: 1\n', 'clusters/tethys/b/c.yaml': 'c: 1\n' },
			delivery: 'skip',
		})
		const root = z
			.array(directoryEntry)
			.parse(await (await gh(standin, `/repos/${REPO}/contents/`)).json())
		expect(root.map((e) => [e.name, e.type])).toEqual([
			['README.md', 'file'],
			['clusters', 'dir'],
			['tidegate.yaml', 'file'],
		])
		const dir = z
			.array(directoryEntry)
			.parse(await (await gh(standin, `/repos/${REPO}/contents/clusters/tethys`)).json())
		expect(dir.map((e) => [e.path, e.type])).toEqual([
			['clusters/tethys/a.yaml', 'file'],
			['clusters/tethys/b', 'dir'],
		])
		expect(dir[1]?.download_url).toBeNull()
		const object = await gh(standin, `/repos/${REPO}/contents/clusters`, {
			headers: { accept: 'application/vnd.github.object+json' },
		})
		const body = z
			.object({ type: z.literal('dir'), entries: z.array(directoryEntry) })
			.parse(await object.json())
		expect(body.entries.map((e) => e.name)).toEqual(['tethys'])
	})

	it('answers 404 for a missing path or an unknown ref', async () => {
		const standin = await standinWithConfig()
		const missing = await gh(standin, `/repos/${REPO}/contents/nope.yaml`)
		expect(missing.status).toBe(404)
		expect(errorBody.parse(await missing.json())).toMatchObject({
			message: 'Not Found',
			status: '404',
		})
		const badRef = await gh(standin, `/repos/${REPO}/contents/tidegate.yaml?ref=nope`)
		expect(badRef.status).toBe(404)
		expect(errorBody.parse(await badRef.json()).message).toBe('No commit found for the ref nope')
	})

	it('answers files over 1 MB with encoding "none"; raw still works', async () => {
		const standin = await standinWithConfig()
		const big = 'x'.repeat(1024 * 1024 + 1)
		await standin.push({ files: { 'big.txt': big }, delivery: 'skip' })
		const body = fileContent.parse(
			await (await gh(standin, `/repos/${REPO}/contents/big.txt`)).json(),
		)
		expect(body).toMatchObject({ encoding: 'none', content: '', size: big.length })
		const raw = await gh(standin, `/repos/${REPO}/contents/big.txt`, {
			headers: { accept: 'application/vnd.github.raw+json' },
		})
		expect((await raw.text()).length).toBe(big.length)
	})
})

describe('commit statuses', () => {
	it('creates a status (201) and lists statuses newest first', async () => {
		const standin = await standinWithConfig()
		const sha = (await standin.head()) ?? ''
		const first = await gh(standin, `/repos/${REPO}/statuses/${sha}`, {
			method: 'POST',
			body: { state: 'pending', context: 'tidegate/edge-sync', description: 'Reconciling' },
		})
		expect(first.status).toBe(201)
		expect(first.headers.get('location')).toBe(`${API}/repos/${REPO}/statuses/${sha}`)
		const created = (await first.json()) as Schemas['status']
		status.parse(created)
		expect(created).toMatchObject({
			state: 'pending',
			context: 'tidegate/edge-sync',
			description: 'Reconciling',
			target_url: null,
		})
		const second = await gh(standin, `/repos/${REPO}/statuses/${sha}`, {
			method: 'POST',
			body: {
				state: 'success',
				context: 'tidegate/edge-sync',
				target_url: 'https://tidegate.test/runs/1',
			},
		})
		expect(second.status).toBe(201)
		const list = await gh(standin, `/repos/${REPO}/commits/main/statuses`)
		expect(list.status).toBe(200)
		const statuses = z.array(status).parse(await list.json())
		expect(statuses.map((s) => s.state)).toEqual(['success', 'pending'])
		expect(statuses[0]?.target_url).toBe('https://tidegate.test/runs/1')
		expect(await standin.statuses({ ref: sha })).toMatchObject([
			{ state: 'success' },
			{ state: 'pending' },
		])
	})

	it('pages the status list with a Link header', async () => {
		const standin = await standinWithConfig()
		const sha = (await standin.head()) ?? ''
		for (let i = 0; i < 3; i++) {
			await gh(standin, `/repos/${REPO}/statuses/${sha}`, {
				method: 'POST',
				body: { state: 'success', context: `c${i}` },
			})
		}
		const page1 = await gh(standin, `/repos/${REPO}/commits/${sha}/statuses?per_page=2`)
		expect(
			z
				.array(status)
				.parse(await page1.json())
				.map((s) => s.context),
		).toEqual(['c2', 'c1'])
		expect(page1.headers.get('link')).toContain('page=2>; rel="next"')
		const page2 = await gh(standin, `/repos/${REPO}/commits/${sha}/statuses?per_page=2&page=2`)
		expect(
			z
				.array(status)
				.parse(await page2.json())
				.map((s) => s.context),
		).toEqual(['c0'])
		expect(page2.headers.get('link')).toBeNull()
	})

	it('answers 422 Validation Failed for a bad state, and 422 for an unknown SHA', async () => {
		const standin = await standinWithConfig()
		const sha = (await standin.head()) ?? ''
		for (const body of [{ state: 'cancelled' }, { context: 'x' }]) {
			const response = await gh(standin, `/repos/${REPO}/statuses/${sha}`, { method: 'POST', body })
			expect(response.status).toBe(422)
			const error = z
				.object({
					message: z.literal('Validation Failed'),
					documentation_url: z.url(),
					errors: z.array(z.object({ resource: z.string(), field: z.string(), code: z.string() })),
				})
				.parse(await response.json())
			expect(error.errors[0]).toMatchObject({ resource: 'Status', field: 'state' })
		}
		const unknown = await gh(standin, `/repos/${REPO}/statuses/${'a'.repeat(40)}`, {
			method: 'POST',
			body: { state: 'success' },
		})
		expect(unknown.status).toBe(422)
		expect(errorBody.parse(await unknown.json()).message).toBe(
			`No commit found for SHA: ${'a'.repeat(40)}`,
		)
		const badJson = await gh(standin, `/repos/${REPO}/statuses/${sha}`, {
			method: 'POST',
			body: '{nope',
		})
		expect(badJson.status).toBe(400)
		expect(errorBody.parse(await badJson.json()).message).toBe('Problems parsing JSON')
		expect(await standin.statuses({ ref: sha })).toEqual([])
	})
})

describe('authentication and rate limits', () => {
	it('answers 401 Requires authentication without a token and Bad credentials with a wrong one', async () => {
		const standin = await standinWithConfig()
		const path = `${API}/repos/${REPO}/git/ref/heads/main`
		const missing = await standin.fetch(new Request(path))
		expect(missing.status).toBe(401)
		expect(errorBody.parse(await missing.json())).toMatchObject({
			message: 'Requires authentication',
			status: '401',
		})
		const wrong = await standin.fetch(
			new Request(path, { headers: { authorization: 'Bearer nope' } }),
		)
		expect(wrong.status).toBe(401)
		expect(errorBody.parse(await wrong.json()).message).toBe('Bad credentials')
		const tokenScheme = await standin.fetch(
			new Request(path, { headers: { authorization: `token ${TOKEN}` } }),
		)
		expect(tokenScheme.status).toBe(200)
	})

	it('sends rate-limit headers and refuses with 403 once the primary limit is spent', async () => {
		let clock = Date.UTC(2026, 0, 1)
		const standin = createGitHubStandin({ rateLimit: 3, now: () => clock })
		const path = `/repos/${REPO}/git/ref/heads/main`
		const seen: (string | null)[] = []
		for (let i = 0; i < 3; i++) {
			const response = await gh(standin, path)
			expect(response.status).toBe(200)
			seen.push(response.headers.get('x-ratelimit-remaining'))
			expect(response.headers.get('x-ratelimit-limit')).toBe('3')
			expect(response.headers.get('x-ratelimit-resource')).toBe('core')
			expect(response.headers.get('x-ratelimit-used')).toBe(String(i + 1))
			expect(Number(response.headers.get('x-ratelimit-reset'))).toBe(clock / 1000 + 3600)
		}
		expect(seen).toEqual(['2', '1', '0'])
		const refused = await gh(standin, path)
		expect(refused.status).toBe(403)
		expect(refused.headers.get('x-ratelimit-remaining')).toBe('0')
		expect(errorBody.parse(await refused.json()).message).toMatch(/^API rate limit exceeded/)
		clock += 3600 * 1000
		expect((await gh(standin, path)).status).toBe(200)
	})

	it('answers a conditional GET with 304, which does not count against the limit', async () => {
		const standin = await standinWithConfig()
		const path = `/repos/${REPO}/contents/tidegate.yaml`
		const first = await gh(standin, path)
		const etag = first.headers.get('etag') ?? ''
		expect(etag).toMatch(/^W\/"[0-9a-f]{40}"$/)
		const again = await gh(standin, path, { headers: { 'if-none-match': etag } })
		expect(again.status).toBe(304)
		expect(again.headers.get('x-ratelimit-used')).toBe('1')
		await standin.push({ files: { 'tidegate.yaml': 'version: 1\nowner: x\n' }, delivery: 'skip' })
		expect((await gh(standin, path, { headers: { 'if-none-match': etag } })).status).toBe(200)
	})

	it('answers unknown paths with GitHub’s 404 body', async () => {
		const standin = await standinWithConfig()
		const response = await gh(standin, '/user/repos')
		expect(response.status).toBe(404)
		expect(errorBody.parse(await response.json())).toMatchObject({
			message: 'Not Found',
			status: '404',
		})
	})
})
