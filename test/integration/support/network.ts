// Outside APIs for workerd tests: MSW (fetch interceptor) routes each API origin to its in-process
// stand-in; any other outbound request fails the test.
import { env } from 'cloudflare:workers'
import { FetchInterceptor } from '@mswjs/interceptors/fetch'
import { HttpResponse, http, passthrough, type RequestHandler } from 'msw'
import { defineNetwork, InterceptorSource } from 'msw/experimental'
import { afterEach, beforeAll } from 'vitest'
import { cloudflareStandinHandlers } from '../../standins/cloudflare/msw.ts'
import {
	type CloudflareStandin,
	createCloudflareStandin,
} from '../../standins/cloudflare/standin.ts'
import { githubStandinHandlers } from '../../standins/github/msw.ts'
import { createGitHubStandin, type GitHubStandin } from '../../standins/github/standin.ts'

/** A request a test endpoint received, read at once. */
export interface ReceivedCall {
	headers: Headers
	body: string
}

/** The stand-ins behind CF_API_BASE_URL and GITHUB_API_BASE_URL (see vitest.config.ts). */
export interface Edge {
	cloudflare: CloudflareStandin
	github: GitHubStandin
	/** Requests the in-cluster Flux Receiver stand-in got (FLUX_RECEIVER_URL). */
	receiver: ReceivedCall[]
	/** Texts the alert webhook stand-in received (ALERT_WEBHOOK_URL). */
	alerts: string[]
	/** Adds handlers for one test (e.g. an agent or alert endpoint). */
	use(...handlers: RequestHandler[]): void
}

/** Installs the network for this test file; stand-ins start from their seeds. */
export function useEdge(
	options: {
		cloudflare?: Parameters<typeof createCloudflareStandin>[0]
		/** Extra handlers kept for every test of the file. */
		handlers?: RequestHandler[]
	} = {},
): Edge {
	const cloudflare = createCloudflareStandin(options.cloudflare)
	const github = createGitHubStandin({
		webhook: { secret: 'test-github-webhook-secret-0123456789abcdef' },
	})
	const receiver: ReceivedCall[] = []
	const alerts: string[] = []
	// A file's own handlers come first, so they override the defaults below.
	const base = [
		...(options.handlers ?? []),
		...cloudflareStandinHandlers(cloudflare),
		...githubStandinHandlers(github),
		// Bodies are read here: I/O objects cannot cross from the queue consumer's context into the test's.
		http.post(env.FLUX_RECEIVER_URL, async ({ request }) => {
			receiver.push({ headers: new Headers(request.headers), body: await request.text() })
			return new HttpResponse(null, { status: 200 })
		}),
		// ALERT_WEBHOOK_URL: alerts are queued by many tests; record them rather than fail the lookup.
		http.post(
			(env as Env).ALERT_WEBHOOK_URL ?? 'https://alerts.test/unset',
			async ({ request }) => {
				alerts.push(((await request.json()) as { text: string }).text)
				return new HttpResponse('ok')
			},
		),
		// Loopback is real: the egress agents and impostors of test/helpers/egress-global-setup.ts.
		http.all(
			({ request }) => new URL(request.url).hostname === '127.0.0.1',
			() => passthrough(),
		),
	]
	const network = defineNetwork({
		sources: [new InterceptorSource({ interceptors: [new FetchInterceptor()] })],
		handlers: base,
		onUnhandledFrame: 'error',
		context: { quiet: true },
	})
	beforeAll(() => network.enable())
	afterEach(() => network.resetHandlers(...base))
	// Left enabled after the file: a queue job or alert a test set going may still run before the
	// file's isolate is dropped, and it should reach the stand-ins, not a real DNS lookup that fails
	// loudly in the log. Every file runs in an isolate of its own.
	return { cloudflare, github, receiver, alerts, use: (...handlers) => network.use(...handlers) }
}
