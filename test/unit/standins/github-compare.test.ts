/**
 * The stand-in's `GET /repos/{o}/{r}/compare/{base}...{head}` against GitHub's published shape
 * (`commit-comparison`: three-dot semantics, files from the merge base, at most 300, only on the
 * first page when paginating), and tidegate's adapter over it: `changedFiles` and `readFileBounded`.
 */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { gitHubRepository } from '../../../src/adapters/github/repository.ts'
import { createCallLog } from '../../../src/adapters/recording-fetch.ts'
import { createGitHubStandin, type GitHubStandin } from '../../standins/github/standin.ts'

const API = 'https://api.github.test'
const TOKEN = 'test-github-token'
const REPO = 'oceanid/gitops'

const sha = z.string().regex(/^[0-9a-f]{40}$/)
const commit = z.object({
	sha,
	url: z.url(),
	html_url: z.url(),
	commit: z.object({ message: z.string(), tree: z.object({ sha, url: z.url() }) }),
	parents: z.array(z.object({ sha, url: z.url() })),
})
const comparison = z.object({
	url: z.url(),
	html_url: z.url(),
	permalink_url: z.url(),
	diff_url: z.url(),
	patch_url: z.url(),
	base_commit: commit,
	merge_base_commit: commit,
	status: z.enum(['diverged', 'ahead', 'behind', 'identical']),
	ahead_by: z.number().int(),
	behind_by: z.number().int(),
	total_commits: z.number().int(),
	commits: z.array(commit),
	files: z
		.array(
			z.object({
				sha: z.string().nullable(),
				filename: z.string(),
				status: z.enum([
					'added',
					'removed',
					'modified',
					'renamed',
					'copied',
					'changed',
					'unchanged',
				]),
				additions: z.number().int(),
				deletions: z.number().int(),
				changes: z.number().int(),
				blob_url: z.url(),
				raw_url: z.url(),
				contents_url: z.url(),
			}),
		)
		.optional(),
})

function standin(): GitHubStandin {
	return createGitHubStandin({
		repositories: [
			{ fullName: REPO, files: { 'tidegate.yaml': 'version: 1\n', 'a.yaml': 'a: 1\n' } },
		],
	})
}

async function get(github: GitHubStandin, path: string) {
	const response = await github.fetch(
		new Request(`${API}/repos/${REPO}${path}`, {
			headers: { authorization: `Bearer ${TOKEN}`, accept: 'application/vnd.github+json' },
		}),
	)
	return { status: response.status, headers: response.headers, body: await response.json() }
}

describe('GET /repos/{o}/{r}/compare/{base}...{head}', () => {
	it('lists the commits and the files changed since the base, in GitHub shape', async () => {
		const github = standin()
		const base = (await github.head()) as string
		await github.push({ files: { 'a.yaml': 'a: 2\n', 'b.yaml': 'b: 1\n' }, delivery: 'skip' })
		const head = await github.push({ files: { 'tidegate.yaml': null }, delivery: 'skip' })
		const { status, body } = await get(github, `/compare/${base}...${head.sha}`)
		expect(status).toBe(200)
		const parsed = comparison.parse(body)
		expect(parsed).toMatchObject({ status: 'ahead', ahead_by: 2, behind_by: 0, total_commits: 2 })
		expect(parsed.base_commit.sha).toBe(base)
		expect(parsed.merge_base_commit.sha).toBe(base)
		expect(parsed.commits.map((c) => c.sha).at(-1)).toBe(head.sha)
		expect(parsed.files?.map((f) => [f.filename, f.status, f.additions, f.deletions])).toEqual([
			['a.yaml', 'modified', 1, 1],
			['b.yaml', 'added', 1, 0],
			['tidegate.yaml', 'removed', 0, 1],
		])
		expect(parsed.files?.[0]?.contents_url).toBe(
			`${API}/repos/${REPO}/contents/a.yaml?ref=${head.sha}`,
		)
	})

	it('compares from the merge base (three dots): a diverged base does not add its own changes', async () => {
		const github = standin()
		const fork = (await github.head()) as string
		const main = await github.push({ files: { 'main-only.yaml': 'x: 1\n' }, delivery: 'skip' })
		const feature = await github.push({
			branch: 'feature',
			from: fork,
			files: { 'feature.yaml': 'y: 1\n' },
			delivery: 'skip',
		})
		const { body } = await get(github, `/compare/${main.sha}...${feature.sha}`)
		const parsed = comparison.parse(body)
		expect(parsed).toMatchObject({ status: 'diverged', ahead_by: 1, behind_by: 1 })
		expect(parsed.merge_base_commit.sha).toBe(fork)
		expect(parsed.files?.map((f) => f.filename)).toEqual(['feature.yaml'])
		expect(
			comparison.parse((await get(github, `/compare/${main.sha}...${main.sha}`)).body).status,
		).toBe('identical')
	})

	it('lists at most 300 files, and only on the first page when paginating', async () => {
		const github = standin()
		const base = (await github.head()) as string
		const files = Object.fromEntries(
			Array.from({ length: 320 }, (_, i) => [`m/${String(i).padStart(3, '0')}.yaml`, `i: ${i}\n`]),
		)
		const head = await github.push({ files, delivery: 'skip' })
		const whole = comparison.parse((await get(github, `/compare/${base}...${head.sha}`)).body)
		expect(whole.files).toHaveLength(300)
		const page1 = comparison.parse(
			(await get(github, `/compare/${base}...${head.sha}?per_page=1`)).body,
		)
		expect(page1.files).toHaveLength(300)
		expect(page1.commits).toHaveLength(1)
		const page2 = await get(github, `/compare/${base}...${head.sha}?per_page=1&page=2`)
		expect(comparison.parse(page2.body).files).toBeUndefined()
	})

	it('answers 404 Not Found for an unknown ref or a malformed range', async () => {
		const github = standin()
		const head = (await github.head()) as string
		for (const range of [`${'f'.repeat(40)}...${head}`, `${head}..${head}`, `...${head}`]) {
			const { status, body } = await get(github, `/compare/${range}`)
			expect(status).toBe(404)
			expect(body).toMatchObject({ message: 'Not Found', status: '404' })
		}
	})
})

describe("the adapter's changedFiles and readFileBounded", () => {
	function adapter(github: GitHubStandin) {
		return gitHubRepository({
			baseUrl: API,
			token: TOKEN,
			repository: REPO,
			calls: createCallLog(),
			fetch: (input, init) => github.fetch(new Request(input, init)),
		})
	}

	it('lists a push through compare, and a first push through the commit', async () => {
		const github = standin()
		const repo = adapter(github)
		const base = (await github.head()) as string
		const head = await github.push({
			files: { 'a.yaml': null, 'c.yaml': 'c: 1\n' },
			delivery: 'skip',
		})
		expect(await repo.changedFiles(base, head.sha)).toEqual({
			ok: true,
			value: {
				files: [
					{ path: 'a.yaml', status: 'removed' },
					{ path: 'c.yaml', status: 'added' },
				],
				truncated: false,
			},
		})
		const first = await repo.changedFiles(null, head.sha)
		expect(first.ok && first.value.files.map((f) => f.path)).toEqual(['a.yaml', 'c.yaml'])
		const unknown = await repo.changedFiles('e'.repeat(40), head.sha)
		expect(unknown.ok ? unknown : unknown.error.kind).toBe('not_found')
	})

	it('says a 300-file list may be cut short', async () => {
		const github = standin()
		const base = (await github.head()) as string
		const files = Object.fromEntries(
			Array.from({ length: 305 }, (_, i) => [`m/${i}.yaml`, `i: ${i}\n`]),
		)
		const head = await github.push({ files, delivery: 'skip' })
		const listed = await adapter(github).changedFiles(base, head.sha)
		expect(listed.ok && [listed.value.files.length, listed.value.truncated]).toEqual([300, true])
	})

	it('reads a file within the bound, refuses one over it unread, and answers null for a missing one', async () => {
		const github = standin()
		const head = await github.push({
			files: { 'small.yaml': 'kind: Namespace\n', 'big.yaml': `# ${'x'.repeat(5000)}\n` },
			delivery: 'skip',
		})
		const repo = adapter(github)
		expect(await repo.readFileBounded('small.yaml', head.sha, 1024)).toEqual({
			ok: true,
			value: { text: 'kind: Namespace\n', bytes: 16 },
		})
		const big = await repo.readFileBounded('big.yaml', head.sha, 1024)
		expect(big.ok && 'tooLarge' in (big.value ?? {})).toBe(true)
		expect(await repo.readFileBounded('nope.yaml', head.sha, 1024)).toEqual({
			ok: true,
			value: null,
		})
	})
})
