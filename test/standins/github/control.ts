/**
 * @module The stand-in's control API under `/__standin/`: the test controls for other processes
 * (the demo, CLI tests). Unauthenticated by design: it is a test fixture bound to loopback.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { faultSpecSchema } from './faults.ts'
import type { FileContent } from './git.ts'
import type { GitHubStandin } from './standin.ts'

const fileValue = z.union([z.string(), z.null(), z.strictObject({ base64: z.string() })])
const filesSchema = z.record(z.string(), fileValue)
const authorSchema = z.strictObject({
	name: z.string(),
	email: z.string(),
	username: z.string().optional(),
})
const deliverySchema = z.enum(['send', 'fail', 'skip'])

const pushSchema = z.strictObject({
	repo: z.string().optional(),
	branch: z.string().optional(),
	files: filesSchema.optional(),
	message: z.string().optional(),
	author: authorSchema.optional(),
	commits: z
		.array(
			z.strictObject({
				files: filesSchema,
				message: z.string().optional(),
				author: authorSchema.optional(),
			}),
		)
		.optional(),
	from: z.string().optional(),
	delivery: deliverySchema.optional(),
})

const deleteBranchSchema = z.strictObject({
	repo: z.string().optional(),
	branch: z.string(),
	delivery: deliverySchema.optional(),
})

const repoSchema = z.strictObject({ repo: z.string().optional() })

const openPullSchema = z.strictObject({
	repo: z.string().optional(),
	head: z.string().min(1),
	base: z.string().optional(),
	title: z.string().optional(),
	body: z.string().optional(),
	draft: z.boolean().optional(),
	fork: z.string().optional(),
	files: filesSchema.optional(),
	message: z.string().optional(),
	delivery: deliverySchema.optional(),
})

const pullPushSchema = z.strictObject({
	repo: z.string().optional(),
	files: filesSchema,
	message: z.string().optional(),
	delivery: deliverySchema.optional(),
})

const mergeSchema = z.strictObject({
	repo: z.string().optional(),
	delivery: deliverySchema.optional(),
})

const eventSchema = z.strictObject({
	repo: z.string().optional(),
	event: z.string().min(1),
	payload: z.unknown(),
})

const webhookSchema = z.strictObject({
	url: z.string().url().nullable().optional(),
	secret: z.string().nullable().optional(),
	contentType: z.enum(['json', 'form']).optional(),
})

/** Drops keys whose value is `undefined` (zod's optional keys vs. exactOptionalPropertyTypes). */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
	return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
		[K in keyof T]: Exclude<T[K], undefined>
	}
}

function decodeFiles(files: z.infer<typeof filesSchema>): Record<string, FileContent | null> {
	const out: Record<string, FileContent | null> = {}
	for (const [path, value] of Object.entries(files)) {
		if (value === null || typeof value === 'string') {
			out[path] = value
		} else {
			const binary = atob(value.base64)
			out[path] = Uint8Array.from(binary, (char) => char.charCodeAt(0))
		}
	}
	return out
}

function fail(status: number, message: string): Response {
	return Response.json({ error: { code: 'standin', message } }, { status })
}

async function bodyOf<T extends z.ZodType>(request: Request, schema: T): Promise<z.infer<T>> {
	const text = await request.text()
	return schema.parse(text.trim() === '' ? {} : JSON.parse(text))
}

/** The control routes, driving the same methods the tests call in-process. */
export function createControlApp(standin: GitHubStandin): Hono {
	const app = new Hono().basePath('/__standin')

	app.get('/', (c) =>
		c.json({
			endpoints: [
				'GET /__standin/state',
				'POST /__standin/push',
				'POST /__standin/delete-branch',
				'POST /__standin/ping',
				'POST /__standin/events',
				'POST /__standin/pulls',
				'POST /__standin/pulls/:number/push',
				'POST /__standin/pulls/:number/merge',
				'GET /__standin/deliveries',
				'POST /__standin/deliveries/:id/redeliver',
				'PUT /__standin/webhook',
				'GET|POST|DELETE /__standin/faults',
				'DELETE /__standin/faults/:id',
				'GET|DELETE /__standin/requests',
				'POST /__standin/settle',
				'POST /__standin/reset',
			],
		}),
	)

	app.get('/state', async (c) => c.json(await standin.snapshot()))

	app.post('/push', async (c) => {
		const { files, commits, author, ...rest } = await bodyOf(c.req.raw, pushSchema)
		const result = await standin.push({
			...defined(rest),
			...(files ? { files: decodeFiles(files) } : {}),
			...(author ? { author: defined(author) } : {}),
			...(commits
				? {
						commits: commits.map((commit) => ({
							files: decodeFiles(commit.files),
							...(commit.message === undefined ? {} : { message: commit.message }),
							...(commit.author ? { author: defined(commit.author) } : {}),
						})),
					}
				: {}),
		})
		return c.json(result, 201)
	})

	app.post('/delete-branch', async (c) =>
		c.json(await standin.deleteBranch(defined(await bodyOf(c.req.raw, deleteBranchSchema)))),
	)

	app.post('/ping', async (c) =>
		c.json(await standin.ping(defined(await bodyOf(c.req.raw, repoSchema)))),
	)

	app.post('/events', async (c) => {
		const input = await bodyOf(c.req.raw, eventSchema)
		return c.json(
			await standin.sendEvent({
				...defined({ repo: input.repo }),
				event: input.event,
				payload: input.payload,
			}),
		)
	})

	app.post('/pulls', async (c) => {
		const { files, ...rest } = await bodyOf(c.req.raw, openPullSchema)
		const opened = await standin.openPullRequest({
			...defined(rest),
			...(files ? { files: decodeFiles(files) } : {}),
		})
		return c.json(opened, 201)
	})

	app.post('/pulls/:number/push', async (c) => {
		const { files, ...rest } = await bodyOf(c.req.raw, pullPushSchema)
		return c.json(
			await standin.pushToPullRequest({
				...defined(rest),
				number: Number(c.req.param('number')),
				files: decodeFiles(files),
			}),
		)
	})

	app.post('/pulls/:number/merge', async (c) =>
		c.json(
			await standin.mergePullRequest({
				...defined(await bodyOf(c.req.raw, mergeSchema)),
				number: Number(c.req.param('number')),
			}),
		),
	)

	app.get('/deliveries', async (c) => {
		const repo = c.req.query('repo')
		return c.json(await standin.deliveries(repo === undefined ? {} : { repo }))
	})

	app.post('/deliveries/:id/redeliver', async (c) =>
		c.json(await standin.redeliver(Number(c.req.param('id')))),
	)

	app.put('/webhook', async (c) => {
		standin.configureWebhook(defined(await bodyOf(c.req.raw, webhookSchema)))
		return c.json((await standin.snapshot()).webhook)
	})

	app.get('/faults', (c) => c.json(standin.faults()))
	app.post('/faults', async (c) => {
		const body = await c.req.json()
		const specs = Array.isArray(body) ? body : [body]
		const added = specs.map((spec) => standin.addFault(faultSpecSchema.parse(spec)))
		return c.json(Array.isArray(body) ? added : added[0], 201)
	})
	app.delete('/faults', (c) => {
		standin.clearFaults()
		return c.body(null, 204)
	})
	app.delete('/faults/:id', (c) => {
		standin.clearFaults(Number(c.req.param('id')))
		return c.body(null, 204)
	})

	app.get('/requests', (c) => {
		const method = c.req.query('method')
		const path = c.req.query('path')
		return c.json(
			standin.requests({
				...(method === undefined ? {} : { method }),
				...(path === undefined ? {} : { path }),
			}),
		)
	})
	app.delete('/requests', (c) => {
		standin.clearRequests()
		return c.body(null, 204)
	})

	app.post('/settle', async (c) => {
		await standin.settled()
		return c.body(null, 204)
	})

	app.post('/reset', async (c) => {
		await standin.reset()
		return c.body(null, 204)
	})

	app.notFound(() => fail(404, 'no such control endpoint'))
	app.onError((error) => {
		if (error instanceof z.ZodError) {
			return fail(400, z.prettifyError(error))
		}
		if (error instanceof SyntaxError) {
			return fail(400, `invalid JSON: ${error.message}`)
		}
		return fail(400, error instanceof Error ? error.message : String(error))
	})
	return app
}
