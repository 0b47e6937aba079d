/**
 * @module Sends one webhook delivery the way GitHub's Hookshot does (headers, signature over the
 * exact bytes, 10 s timeout) and records the outcome as GitHub's deliveries API reports it.
 */
import type { RepositoryFacts } from './payloads.ts'
import { signGitHubPayload, signGitHubPayloadSha1 } from './signature.ts'
import type { GitHubDelivery } from './state.ts'

/** `User-Agent` of every delivery; GitHub guarantees only the `GitHub-Hookshot/` prefix. */
export const HOOKSHOT_USER_AGENT = 'GitHub-Hookshot/7f3e2a1'

/** Where and how deliveries are sent. */
export interface WebhookTarget {
	url: string | undefined
	secret: string | undefined
	contentType: 'json' | 'form'
	fetch: (request: Request) => Promise<Response>
	timeoutMs: number
}

/**
 * What happens to a delivery: `send` posts it to the target; `fail` records a failed attempt
 * without sending anything (a missed delivery, as when the target was unreachable).
 */
export type DeliveryMode = 'send' | 'fail'

const RESPONSE_BODY_LIMIT = 64 * 1024

/** The body GitHub sends for a payload: JSON, or a form with the JSON in `payload`. */
export function encodeBody(payload: unknown, contentType: 'json' | 'form'): string {
	const text = JSON.stringify(payload)
	return contentType === 'json' ? text : `payload=${encodeURIComponent(text)}`
}

class DeliveryTimeout extends Error {}

async function withTimeout<T>(promise: Promise<T>, ms: number, abort: AbortController): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => {
			abort.abort()
			reject(new DeliveryTimeout())
		}, ms)
	})
	try {
		return await Promise.race([promise, timeout])
	} finally {
		if (timer !== undefined) {
			clearTimeout(timer)
		}
	}
}

/** Sends (or, in `fail` mode, only records) one delivery; never throws. */
export async function sendDelivery(input: {
	target: WebhookTarget
	id: number
	guid: string
	hookId: number
	repo: RepositoryFacts
	event: string
	action: string | null
	body: string
	contentType: 'json' | 'form'
	payload: unknown
	redelivery: boolean
	mode: DeliveryMode
	now: () => number
}): Promise<GitHubDelivery> {
	const { target, body } = input
	const requestHeaders: Record<string, string> = {
		Accept: '*/*',
		'Content-Type':
			input.contentType === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
		'User-Agent': HOOKSHOT_USER_AGENT,
		'X-GitHub-Delivery': input.guid,
		'X-GitHub-Event': input.event,
		'X-GitHub-Hook-ID': String(input.hookId),
		'X-GitHub-Hook-Installation-Target-ID': String(input.repo.id),
		'X-GitHub-Hook-Installation-Target-Type': 'repository',
	}
	if (target.secret !== undefined && target.secret !== '') {
		requestHeaders['X-Hub-Signature'] = await signGitHubPayloadSha1(target.secret, body)
		requestHeaders['X-Hub-Signature-256'] = await signGitHubPayload(target.secret, body)
	}
	const started = input.now()
	const record: GitHubDelivery = {
		id: input.id,
		guid: input.guid,
		hookId: input.hookId,
		repositoryId: input.repo.id,
		repository: input.repo.fullName,
		event: input.event,
		action: input.action,
		deliveredAt: started,
		durationMs: 0,
		redelivery: input.redelivery,
		statusCode: 0,
		status: 'failed to connect to host',
		ok: false,
		url: target.url ?? null,
		contentType: input.contentType,
		requestHeaders,
		body,
		payload: input.payload,
		responseHeaders: {},
		responseBody: '',
	}
	if (input.mode === 'fail' || target.url === undefined) {
		return record
	}
	const abort = new AbortController()
	const clock = Date.now()
	try {
		const request = new Request(target.url, {
			method: 'POST',
			headers: requestHeaders,
			body,
			signal: abort.signal,
		})
		const response = await withTimeout(target.fetch(request), target.timeoutMs, abort)
		const text = await withTimeout(response.text(), target.timeoutMs, abort)
		record.statusCode = response.status
		record.ok = response.status >= 200 && response.status < 300
		record.status = record.ok ? 'OK' : `Invalid HTTP Response: ${response.status}`
		record.responseHeaders = Object.fromEntries(response.headers)
		record.responseBody = text.slice(0, RESPONSE_BODY_LIMIT)
	} catch (error) {
		record.status = error instanceof DeliveryTimeout ? 'timed out' : 'failed to connect to host'
	}
	record.durationMs = Date.now() - clock
	return record
}
