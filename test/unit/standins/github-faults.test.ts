/**
 * The GitHub stand-in's fault injection, request log and control API, through the loopback server
 * (`serveGitHubStandin`) and the `node test/standins/github/server.ts` command.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
	parseServerArgs,
	type RunningGitHubStandin,
	serveGitHubStandin,
} from '../../standins/github/server.ts'
import {
	createGitHubStandin,
	type Fault,
	type GitHubDelivery,
	type GitHubStandin,
	type PushResult,
	type RecordedRequest,
} from '../../standins/github/standin.ts'

const API = 'https://api.github.test'
const TOKEN = 'test-github-token'
const REPO = 'oceanid/gitops'
const REF_PATH = `/repos/${REPO}/git/ref/heads/main`

const errorBody = z.object({ message: z.string(), documentation_url: z.url(), status: z.string() })

function gh(standin: GitHubStandin, path: string, method = 'GET'): Promise<Response> {
	return standin.fetch(
		new Request(`${API}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } }),
	)
}

const running: RunningGitHubStandin[] = []
afterEach(async () => {
	await Promise.all(running.splice(0).map((server) => server.close()))
})

describe('fault injection', () => {
	it('fails matching requests N times with GitHub’s error body, then answers normally', async () => {
		const standin = createGitHubStandin()
		const fault = standin.addFault({
			method: 'GET',
			path: '/repos/*/*/git/ref/**',
			kind: 'server-error',
			status: 502,
			times: 2,
		})
		const statuses: number[] = []
		for (let i = 0; i < 3; i++) {
			statuses.push((await gh(standin, REF_PATH)).status)
		}
		expect(statuses).toEqual([502, 502, 200])
		const failed = await (async () => {
			standin.addFault({ path: '**/contents/**', kind: 'status', status: 404 })
			return gh(standin, `/repos/${REPO}/contents/tidegate.yaml`)
		})()
		expect(failed.status).toBe(404)
		expect(errorBody.parse(await failed.json())).toMatchObject({
			message: 'Not Found',
			status: '404',
		})
		expect(standin.faults().find((f) => f.id === fault.id)).toMatchObject({ hits: 2, seen: 3 })
		expect(
			standin.requests({ path: '/repos/**/git/ref/**' }).map((r) => [r.status, r.faultId]),
		).toEqual([
			[502, fault.id],
			[502, fault.id],
			[200, null],
		])
	})

	it('answers a secondary rate limit with 403 and retry-after, remaining still above 0', async () => {
		const standin = createGitHubStandin()
		standin.addFault({ path: '**', kind: 'secondary-rate-limit', retryAfter: 30 })
		const response = await gh(standin, REF_PATH)
		expect(response.status).toBe(403)
		expect(response.headers.get('retry-after')).toBe('30')
		expect(Number(response.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0)
		const body = errorBody.parse(await response.json())
		expect(body.message).toMatch(/secondary rate limit/)
		expect(body.documentation_url).toMatch(/secondary-rate-limits$/)

		standin.addFault({ path: '**', kind: 'secondary-rate-limit', status: 429 })
		expect((await gh(standin, REF_PATH)).status).toBe(429)
	})

	it('answers a primary rate limit with 403, x-ratelimit-remaining 0 and a reset in the future', async () => {
		const clock = Date.UTC(2026, 0, 1)
		const standin = createGitHubStandin({ now: () => clock })
		standin.addFault({ path: '**', kind: 'primary-rate-limit', resetAfter: 120 })
		const response = await gh(standin, REF_PATH)
		expect(response.status).toBe(403)
		expect(response.headers.get('x-ratelimit-remaining')).toBe('0')
		expect(Number(response.headers.get('x-ratelimit-reset'))).toBe(clock / 1000 + 120)
		expect(response.headers.get('retry-after')).toBeNull()
		expect(errorBody.parse(await response.json()).message).toMatch(/^API rate limit exceeded/)
		expect((await gh(standin, REF_PATH)).status).toBe(200)
	})

	it('delays, skips, matches by method, fails always until cleared', async () => {
		const standin = createGitHubStandin()
		standin.addFault({ path: '**', kind: 'delay', delayMs: 120 })
		const started = performance.now()
		expect((await gh(standin, REF_PATH)).status).toBe(200)
		expect(performance.now() - started).toBeGreaterThanOrEqual(100)

		standin.addFault({
			method: 'POST',
			path: '/repos/*/*/statuses/*',
			kind: 'status',
			status: 500,
			skip: 1,
			times: 'always',
		})
		const sha = (await standin.head()) ?? ''
		const post = () =>
			standin.fetch(
				new Request(`${API}/repos/${REPO}/statuses/${sha}`, {
					method: 'POST',
					headers: { authorization: `Bearer ${TOKEN}` },
					body: JSON.stringify({ state: 'success' }),
				}),
			)
		expect((await gh(standin, REF_PATH)).status).toBe(200)
		expect([(await post()).status, (await post()).status, (await post()).status]).toEqual([
			201, 500, 500,
		])
		standin.clearFaults()
		expect((await post()).status).toBe(201)
		expect(standin.faults()).toEqual([])
		expect(() => standin.addFault({ path: '**', kind: 'status', status: 200 })).toThrow()
	})
})

describe('loopback server and control API', () => {
	async function serve() {
		const server = await serveGitHubStandin({
			repositories: [{ fullName: REPO, files: { 'tidegate.yaml': 'version: 1\n' } }],
			token: 'cli-token',
		})
		running.push(server)
		const control = async <T = unknown>(method: string, path: string, body?: unknown) => {
			const response = await fetch(`${server.url}/__standin${path}`, {
				method,
				headers: { 'content-type': 'application/json' },
				...(body === undefined ? {} : { body: JSON.stringify(body) }),
			})
			return {
				status: response.status,
				body: (response.status === 204 ? null : await response.json()) as T,
			}
		}
		return { server, control }
	}

	it('serves the REST API on loopback with links to itself', async () => {
		const { server } = await serve()
		expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
		const response = await fetch(`${server.url}${REF_PATH}`, {
			headers: { authorization: 'token cli-token' },
		})
		expect(response.status).toBe(200)
		const body = (await response.json()) as { url: string }
		expect(body.url).toBe(`${server.url}/repos/${REPO}/git/refs/heads/main`)
	})

	it('pushes, injects faults, lists requests and resets through /__standin', async () => {
		const { server, control } = await serve()
		const initial = (await server.standin.head()) ?? ''
		const pushed = await control<PushResult>('POST', '/push', {
			files: { 'tidegate.yaml': 'version: 1\nowner: oceanid\n', 'logo.bin': { base64: 'AAEC' } },
			message: 'via control API',
		})
		expect(pushed.status).toBe(201)
		expect(pushed.body).toMatchObject({ before: initial, deliveryId: null, created: false })
		expect(await server.standin.readFile({ path: 'tidegate.yaml' })).toBe(
			'version: 1\nowner: oceanid\n',
		)

		const state = await control('GET', '/state')
		expect(state.body).toMatchObject({
			publicUrl: server.url,
			repositories: [
				{ fullName: REPO, defaultBranch: 'main', branches: { main: pushed.body.sha } },
			],
		})

		const fault = await control<Fault>('POST', '/faults', {
			path: '/repos/**',
			kind: 'status',
			status: 503,
		})
		expect(fault.status).toBe(201)
		const failed = await fetch(`${server.url}${REF_PATH}`, {
			headers: { authorization: 'Bearer cli-token' },
		})
		expect(failed.status).toBe(503)
		expect((await control('GET', '/faults')).body).toMatchObject([{ id: fault.body.id, hits: 1 }])

		const requests = await control<RecordedRequest[]>(
			'GET',
			`/requests?method=GET&path=${encodeURIComponent('/repos/**')}`,
		)
		expect(requests.body).toMatchObject([
			{ method: 'GET', path: REF_PATH, status: 503, faultId: fault.body.id },
		])
		expect(requests.body[0]?.headers.authorization).toBe('Bearer cli-token')

		expect((await control('POST', '/faults', { path: '**', kind: 'bogus' })).status).toBe(400)
		expect((await control('POST', '/push', { files: { 'a.txt': 1 } })).status).toBe(400)

		expect((await control('POST', '/reset')).status).toBe(204)
		expect(await server.standin.head()).toBe(initial)
		expect((await control('GET', '/faults')).body).toEqual([])
		expect((await control('GET', '/requests')).body).toEqual([])
	})

	it('configures the webhook target, delivers and redelivers through /__standin', async () => {
		const { control } = await serve()
		const target = await serveGitHubStandin({ token: 'unused' })
		running.push(target)
		// Any HTTP endpoint will do as a target; the second stand-in answers 401 (no token) to it.
		const configured = await control('PUT', '/webhook', {
			url: `${target.url}/hook`,
			secret: 's3cret',
		})
		expect(configured.body).toEqual({
			url: `${target.url}/hook`,
			contentType: 'json',
			secret: true,
		})
		const pushed = await control<PushResult>('POST', '/push', {
			files: { 'a.txt': 'a\n' },
			delivery: 'fail',
		})
		expect(pushed.body).toMatchObject({ statusCode: 0, delivered: false })
		const redelivered = await control('POST', `/deliveries/${pushed.body.deliveryId}/redeliver`)
		expect(redelivered.body).toMatchObject({
			guid: pushed.body.guid,
			statusCode: 401,
			delivered: false,
		})
		const deliveries = await control<GitHubDelivery[]>('GET', '/deliveries')
		expect(deliveries.body.map((d) => d.redelivery)).toEqual([true, false])
		expect((await control('POST', '/ping')).body).toMatchObject({ statusCode: 401 })
		expect(target.standin.requests({ path: '/hook' })).toHaveLength(2)
	})

	it('runs as a command and prints one line with its URL', async () => {
		const script = fileURLToPath(new URL('../../standins/github/server.ts', import.meta.url))
		const child = spawn(
			process.execPath,
			[script, '--port', '0', '--repo', 'acme/ops:trunk', '--token', 't0k'],
			{
				stdio: ['ignore', 'pipe', 'pipe'],
			},
		)
		try {
			const line = await new Promise<string>((resolve, reject) => {
				let out = ''
				child.stdout.on('data', (chunk: Buffer) => {
					out += chunk.toString('utf8')
					if (out.includes('\n')) {
						resolve(out)
					}
				})
				child.once('exit', (code) => reject(new Error(`exited with ${code}`)))
			})
			const url = /^github-standin listening on (http:\/\/127\.0\.0\.1:\d+)\n$/.exec(line)?.[1]
			expect(url).toBeDefined()
			const response = await fetch(`${url}/repos/acme/ops/git/ref/heads/trunk`, {
				headers: { authorization: 'Bearer t0k' },
			})
			expect(response.status).toBe(200)
		} finally {
			child.kill('SIGTERM')
		}
		const code = await new Promise<number | null>((resolve) => {
			if (child.exitCode !== null) {
				resolve(child.exitCode)
			} else {
				child.once('exit', resolve)
			}
		})
		expect(code).toBe(0)
	})

	it('parses the command line and refuses unknown flags', () => {
		expect(
			parseServerArgs([
				'--port=8789',
				'--repo',
				'oceanid/gitops:main',
				'--hook-id',
				'12',
				'--webhook-url',
				'http://127.0.0.1:8787/webhooks/github',
				'--webhook-secret',
				'dev',
			]),
		).toEqual({
			port: 8789,
			repositories: [{ fullName: 'oceanid/gitops', defaultBranch: 'main' }],
			hookId: 12,
			webhook: { url: 'http://127.0.0.1:8787/webhooks/github', secret: 'dev' },
		})
		expect(() => parseServerArgs(['--nope'])).toThrow(/unknown argument/)
		expect(() => parseServerArgs(['--port', 'x'])).toThrow(/integer/)
	})
})
