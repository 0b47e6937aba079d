/**
 * The GitHub stand-in's webhooks: what a receiver on a real loopback socket gets (headers, bytes,
 * signature, payload), the deliveries API with cursor pagination, and redelivery.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { components } from '@octokit/openapi-types'
import examples from '@octokit/webhooks-examples'
import type { PingEvent, PushEvent } from '@octokit/webhooks-types'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
	createGitHubStandin,
	type GitHubStandin,
	type GitHubStandinOptions,
	signGitHubPayload,
} from '../../standins/github/standin.ts'

type Schemas = components['schemas']

const API = 'https://api.github.test'
const TOKEN = 'test-github-token'
const REPO = 'oceanid/gitops'
const SECRET = 'test-github-webhook-secret-0123456789abcdef'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

interface Received {
	headers: IncomingHttpHeaders
	body: Buffer
}

/** A webhook receiver on loopback that keeps the raw bytes and answers `status`. */
async function receiver(status = 202, delayMs = 0) {
	const received: Received[] = []
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = []
		req.on('data', (chunk: Buffer) => chunks.push(chunk))
		req.on('end', () => {
			received.push({ headers: req.headers, body: Buffer.concat(chunks) })
			setTimeout(() => {
				res.writeHead(receiverState.status, { 'content-type': 'application/json' })
				res.end(JSON.stringify({ accepted: true }))
			}, delayMs)
		})
	})
	const receiverState = { status }
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	const { port } = server.address() as AddressInfo
	servers.push(server)
	return { url: `http://127.0.0.1:${port}/webhooks/github`, received, state: receiverState }
}

const servers: Server[] = []
afterEach(async () => {
	await Promise.all(
		servers.splice(0).map(
			(server) =>
				new Promise<void>((resolve) => {
					server.closeAllConnections()
					server.close(() => resolve())
				}),
		),
	)
})

function verifies(secret: string, body: Buffer, header: string | string[] | undefined): boolean {
	const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`)
	const actual = Buffer.from(String(header))
	return expected.length === actual.length && timingSafeEqual(expected, actual)
}

function gh(standin: GitHubStandin, path: string, method = 'GET'): Promise<Response> {
	return standin.fetch(
		new Request(`${API}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } }),
	)
}

async function setup(webhook: GitHubStandinOptions['webhook'] = {}, status = 202) {
	const target = await receiver(status)
	const standin = createGitHubStandin({
		repositories: [
			{ fullName: REPO, files: { 'tidegate.yaml': 'version: 1\n', 'README.md': '# hi\n' } },
		],
		hookId: 4242,
		webhook: { url: target.url, secret: SECRET, ...webhook },
	})
	await standin.ready
	return { standin, target }
}

const deliveryItem = z.object({
	id: z.number().int(),
	guid: z.string().regex(UUID),
	delivered_at: z.iso.datetime(),
	redelivery: z.boolean(),
	duration: z.number(),
	status: z.string(),
	status_code: z.number().int(),
	event: z.string(),
	action: z.string().nullable(),
	installation_id: z.number().nullable(),
	repository_id: z.number().nullable(),
	throttled_at: z.string().nullable().optional(),
})

describe('signGitHubPayload', () => {
	it('reproduces GitHub’s published test vector', async () => {
		expect(await signGitHubPayload("It's a Secret to Everybody", 'Hello, World!')).toBe(
			'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
		)
		expect(
			await signGitHubPayload(
				"It's a Secret to Everybody",
				new TextEncoder().encode('Hello, World!'),
			),
		).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17')
	})
})

describe('push webhooks', () => {
	it('delivers a signed push to a real HTTP receiver and records the answer', async () => {
		const { standin, target } = await setup()
		const before = await standin.head()
		const result = await standin.push({
			files: {
				'tidegate.yaml': 'version: 1\nowner: oceanid\n',
				'README.md': null,
				'new.txt': 'n\n',
			},
			message: 'Own the tunnel',
			author: { name: 'Ada', email: 'ada@example.com', username: 'ada' },
		})
		expect(result).toMatchObject({
			statusCode: 202,
			delivered: true,
			before,
			created: false,
			forced: false,
		})
		expect(result.sha).toMatch(/^[0-9a-f]{40}$/)
		expect(target.received).toHaveLength(1)
		const [{ headers, body }] = target.received as [Received]
		expect(headers['x-github-event']).toBe('push')
		expect(headers['x-github-delivery']).toMatch(UUID)
		expect(headers['x-github-delivery']).toBe(result.guid)
		expect(headers['x-github-hook-id']).toBe('4242')
		expect(headers['x-github-hook-installation-target-type']).toBe('repository')
		expect(headers['x-github-hook-installation-target-id']).toMatch(/^\d+$/)
		expect(headers['user-agent']).toMatch(/^GitHub-Hookshot\/[0-9a-f]{7}$/)
		expect(headers['content-type']).toBe('application/json')
		expect(verifies(SECRET, body, headers['x-hub-signature-256'])).toBe(true)
		expect(headers['x-hub-signature']).toBe(
			`sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`,
		)
		expect(await signGitHubPayload(SECRET, new Uint8Array(body))).toBe(
			headers['x-hub-signature-256'],
		)

		const payload = JSON.parse(body.toString('utf8')) as PushEvent
		expect(payload).toMatchObject({
			ref: 'refs/heads/main',
			before,
			after: result.sha,
			created: false,
			deleted: false,
			forced: false,
			base_ref: null,
			repository: {
				full_name: REPO,
				name: 'gitops',
				owner: { login: 'oceanid' },
				default_branch: 'main',
			},
			pusher: { name: 'tidegate-tester' },
			sender: { login: 'tidegate-tester' },
		})
		expect(payload.commits).toHaveLength(1)
		expect(payload.head_commit).toEqual(payload.commits[0])
		expect(payload.head_commit).toMatchObject({
			id: result.sha,
			message: 'Own the tunnel',
			author: { name: 'Ada', email: 'ada@example.com', username: 'ada' },
			added: ['new.txt'],
			removed: ['README.md'],
			modified: ['tidegate.yaml'],
			distinct: true,
		})
		expect(payload.head_commit?.tree_id).toMatch(/^[0-9a-f]{40}$/)
		expect(payload.repository.id).toBe(Number(headers['x-github-hook-installation-target-id']))

		const [delivery] = await standin.deliveries()
		expect(delivery).toMatchObject({
			id: result.deliveryId,
			guid: result.guid,
			event: 'push',
			statusCode: 202,
			status: 'OK',
			redelivery: false,
			ok: true,
		})
		expect(delivery?.body).toBe(body.toString('utf8'))
	})

	it('has every field of GitHub’s own push example (@octokit/webhooks-examples)', async () => {
		const { standin, target } = await setup()
		await standin.push({ branch: 'feature', files: { 'a.txt': 'a\n' } })
		const ours = JSON.parse(target.received[0]?.body.toString('utf8') ?? '{}') as PushEvent
		const push = examples.find((definition) => definition.name === 'push')
		const example = ((push?.examples ?? []) as PushEvent[]).find(
			(e) => e.ref.startsWith('refs/heads/') && e.head_commit !== null,
		)
		expect(example).toBeDefined()
		const missing = (theirs: object, mine: object, skip: string[] = []) =>
			Object.keys(theirs).filter((key) => !(key in mine) && !skip.includes(key))
		// `installation` only appears for GitHub App webhooks; `organization` only for org-owned repos.
		expect(missing(example ?? {}, ours, ['installation', 'organization'])).toEqual([])
		expect(missing(example?.repository ?? {}, ours.repository)).toEqual([])
		expect(missing(example?.head_commit ?? {}, ours.head_commit ?? {})).toEqual([])
		expect(missing(example?.sender ?? {}, ours.sender)).toEqual([])
		expect(ours).toMatchObject({ created: true, before: '0'.repeat(40), ref: 'refs/heads/feature' })
		expect(typeof ours.repository.created_at).toBe(typeof example?.repository.created_at)
	})

	it('reports several commits, force pushes and branch deletions like GitHub', async () => {
		const { standin, target } = await setup()
		const base = await standin.head()
		const multi = await standin.push({
			commits: [
				{ files: { 'a.txt': 'a\n' }, message: 'one' },
				{ files: { 'b.txt': 'b\n' }, message: 'two' },
			],
		})
		expect(multi.commits).toHaveLength(2)
		const forced = await standin.push({ from: base ?? '', files: { 'c.txt': 'c\n' } })
		expect(forced.forced).toBe(true)
		await standin.push({ branch: 'topic', files: { 'd.txt': 'd\n' } })
		const deleted = await standin.deleteBranch({ branch: 'topic' })
		expect(deleted.delivered).toBe(true)
		const payloads = target.received.map((r) => JSON.parse(r.body.toString('utf8')) as PushEvent)
		expect(payloads[0]?.commits.map((c) => c.message)).toEqual(['one', 'two'])
		expect(payloads[0]?.head_commit?.id).toBe(multi.sha)
		expect(payloads[1]).toMatchObject({ forced: true, before: multi.sha, after: forced.sha })
		expect(payloads[3]).toMatchObject({
			ref: 'refs/heads/topic',
			deleted: true,
			after: '0'.repeat(40),
			head_commit: null,
			commits: [],
		})
		expect(await standin.head({ branch: 'topic' })).toBeUndefined()
	})

	it('sends form-encoded payloads signed over the form bytes, and no signature without a secret', async () => {
		const { standin, target } = await setup({ contentType: 'form' })
		await standin.push({ files: { 'a.txt': 'a\n' } })
		const form = target.received[0] as Received
		expect(form.headers['content-type']).toBe('application/x-www-form-urlencoded')
		expect(verifies(SECRET, form.body, form.headers['x-hub-signature-256'])).toBe(true)
		const payload = new URLSearchParams(form.body.toString('utf8')).get('payload') ?? ''
		expect((JSON.parse(payload) as PushEvent).ref).toBe('refs/heads/main')

		standin.configureWebhook({ contentType: 'json', secret: null })
		await standin.push({ files: { 'b.txt': 'b\n' } })
		const unsigned = target.received[1] as Received
		expect(unsigned.headers['x-hub-signature-256']).toBeUndefined()
		expect(unsigned.headers['x-hub-signature']).toBeUndefined()
	})

	it('records a non-2xx answer, an unreachable target and a timeout as failed deliveries', async () => {
		const { standin, target } = await setup({}, 500)
		const failed = await standin.push({ files: { 'a.txt': 'a\n' } })
		expect(failed).toMatchObject({ statusCode: 500, delivered: false })
		expect((await standin.deliveries())[0]?.status).toBe('Invalid HTTP Response: 500')

		standin.configureWebhook({ url: 'http://127.0.0.1:9/unreachable' })
		const unreachable = await standin.push({ files: { 'b.txt': 'b\n' } })
		expect(unreachable).toMatchObject({ statusCode: 0, delivered: false })
		expect((await standin.deliveries())[0]?.status).toBe('failed to connect to host')

		const slow = await receiver(200, 500)
		const timing = createGitHubStandin({
			webhook: { url: slow.url, secret: SECRET, timeoutMs: 100 },
		})
		const timedOut = await timing.push({ files: { 'c.txt': 'c\n' } })
		expect(timedOut).toMatchObject({ statusCode: 0, delivered: false })
		expect((await timing.deliveries())[0]?.status).toBe('timed out')
		expect(target.received).toHaveLength(1)
	})

	it('delivers a ping, and any other event on request', async () => {
		const { standin, target } = await setup()
		expect(await standin.ping()).toMatchObject({ statusCode: 202, delivered: true })
		const ping = JSON.parse(target.received[0]?.body.toString('utf8') ?? '{}') as PingEvent
		expect(target.received[0]?.headers['x-github-event']).toBe('ping')
		expect(ping).toMatchObject({
			hook_id: 4242,
			hook: {
				id: 4242,
				type: 'Repository',
				config: { content_type: 'json', url: target.url, secret: '********' },
			},
			repository: { full_name: REPO },
		})
		expect(ping.zen.length).toBeGreaterThan(0)

		const pings = await gh(standin, `/repos/${REPO}/hooks/4242/pings`, 'POST')
		expect(pings.status).toBe(204)
		expect(target.received).toHaveLength(2)

		await standin.sendEvent({
			event: 'issues',
			payload: { action: 'opened', issue: { number: 1 } },
		})
		expect(target.received[2]?.headers['x-github-event']).toBe('issues')
		expect((await standin.deliveries())[0]).toMatchObject({ event: 'issues', action: 'opened' })
	})
})

describe('deliveries API and redelivery', () => {
	it('lists deliveries newest first with cursor pagination through the Link header', async () => {
		const { standin } = await setup()
		const ids: number[] = []
		for (let i = 0; i < 5; i++) {
			ids.push((await standin.push({ files: { [`f${i}.txt`]: `${i}\n` } })).deliveryId ?? 0)
		}
		const seen: number[] = []
		let next: string | undefined = `/repos/${REPO}/hooks/4242/deliveries?per_page=2`
		let pages = 0
		while (next) {
			const response = await gh(standin, next)
			expect(response.status).toBe(200)
			const items: Schemas['hook-delivery-item'][] = z
				.array(deliveryItem)
				.parse(await response.json())
			seen.push(...items.map((item) => Number(item.id)))
			expect(items.every((item) => item.event === 'push' && item.status_code === 202)).toBe(true)
			const link = response.headers.get('link')
			const url = link ? /<([^>]+)>; rel="next"/.exec(link)?.[1] : undefined
			next = url ? url.slice(API.length) : undefined
			pages++
		}
		expect(pages).toBe(3)
		expect(seen).toEqual([...ids].reverse())

		const unknownHook = await gh(standin, `/repos/${REPO}/hooks/1/deliveries`)
		expect(unknownHook.status).toBe(404)
	})

	it('shows one delivery with its request and response', async () => {
		const { standin } = await setup()
		const { deliveryId, guid } = await standin.push({ files: { 'a.txt': 'a\n' } })
		const response = await gh(standin, `/repos/${REPO}/hooks/4242/deliveries/${deliveryId}`)
		expect(response.status).toBe(200)
		const body = (await response.json()) as Schemas['hook-delivery']
		expect(deliveryItem.parse(body)).toMatchObject({ id: deliveryId, guid, redelivery: false })
		expect(body.request.headers).toMatchObject({
			'X-GitHub-Event': 'push',
			'X-GitHub-Delivery': guid,
		})
		expect(body.request.payload).toMatchObject({ ref: 'refs/heads/main' })
		expect(body.response.payload).toBe('{"accepted":true}')
		expect((await gh(standin, `/repos/${REPO}/hooks/4242/deliveries/999`)).status).toBe(404)
	})

	it('redelivers a missed delivery with the same guid and bytes (POST …/attempts → 202)', async () => {
		const { standin, target } = await setup()
		const missed = await standin.push({
			files: { 'tidegate.yaml': 'version: 2\n' },
			delivery: 'fail',
		})
		expect(missed).toMatchObject({ statusCode: 0, delivered: false })
		expect(target.received).toHaveLength(0)
		const listed = z
			.array(deliveryItem)
			.parse(await (await gh(standin, `/repos/${REPO}/hooks/4242/deliveries`)).json())
		expect(listed[0]).toMatchObject({ id: missed.deliveryId, status_code: 0, redelivery: false })

		const attempt = await gh(
			standin,
			`/repos/${REPO}/hooks/4242/deliveries/${missed.deliveryId}/attempts`,
			'POST',
		)
		expect(attempt.status).toBe(202)
		expect(await attempt.json()).toEqual({})
		expect(target.received).toHaveLength(1)
		const resent = target.received[0] as Received
		expect(resent.headers['x-github-delivery']).toBe(missed.guid)
		expect(verifies(SECRET, resent.body, resent.headers['x-hub-signature-256'])).toBe(true)
		const original = (await standin.deliveries()).find((d) => d.id === missed.deliveryId)
		expect(resent.body.toString('utf8')).toBe(original?.body)

		const after = z
			.array(deliveryItem)
			.parse(await (await gh(standin, `/repos/${REPO}/hooks/4242/deliveries`)).json())
		expect(after).toHaveLength(2)
		expect(after[0]).toMatchObject({
			guid: missed.guid,
			redelivery: true,
			status_code: 202,
			status: 'OK',
		})
		expect(after[0]?.id).toBeGreaterThan(missed.deliveryId ?? 0)
		const redeliveries = await gh(standin, `/repos/${REPO}/hooks/4242/deliveries?redelivery=true`)
		expect(z.array(deliveryItem).parse(await redeliveries.json())).toHaveLength(1)
	})

	it('re-signs a redelivery with the current secret and refuses unknown or too old deliveries', async () => {
		let clock = Date.UTC(2026, 0, 1)
		const target = await receiver(202)
		const standin = createGitHubStandin({
			hookId: 7,
			now: () => clock,
			webhook: { url: target.url, secret: 'old-secret' },
		})
		const { deliveryId, guid } = await standin.push({ files: { 'a.txt': 'a\n' } })
		standin.configureWebhook({ secret: 'new-secret' })
		const again = await standin.redeliver(deliveryId ?? 0)
		expect(again).toMatchObject({ guid, delivered: true })
		const resent = target.received[1] as Received
		expect(verifies('new-secret', resent.body, resent.headers['x-hub-signature-256'])).toBe(true)

		expect((await gh(standin, `/repos/${REPO}/hooks/7/deliveries/1/attempts`, 'POST')).status).toBe(
			404,
		)
		clock += 4 * 24 * 3600 * 1000
		const old = await gh(
			standin,
			`/repos/${REPO}/hooks/7/deliveries/${deliveryId}/attempts`,
			'POST',
		)
		expect(old.status).toBe(422)
	})

	it('can answer the redelivery at once and send in the background (settled() waits)', async () => {
		const { standin, target } = await setup({ redelivery: 'background' })
		const { deliveryId } = await standin.push({ files: { 'a.txt': 'a\n' }, delivery: 'fail' })
		const attempt = await gh(
			standin,
			`/repos/${REPO}/hooks/4242/deliveries/${deliveryId}/attempts`,
			'POST',
		)
		expect(attempt.status).toBe(202)
		await standin.settled()
		expect(target.received).toHaveLength(1)
		expect((await standin.deliveries())[0]).toMatchObject({ redelivery: true, ok: true })
	})

	it('records nothing for delivery "skip" or without a target URL', async () => {
		const standin = createGitHubStandin()
		const result = await standin.push({ files: { 'a.txt': 'a\n' } })
		expect(result).toMatchObject({
			deliveryId: null,
			guid: null,
			statusCode: null,
			delivered: false,
		})
		const { standin: withTarget, target } = await setup()
		await withTarget.push({ files: { 'a.txt': 'a\n' }, delivery: 'skip' })
		expect(target.received).toHaveLength(0)
		expect(await withTarget.deliveries()).toEqual([])
		expect(await standin.deliveries()).toEqual([])
	})
})
