/** @module Calls the Cloudflare stand-in's API in-process, as tests do: a token, a JSON body, the parsed envelope. */
import type { CloudflareMessage, CloudflareStandin } from './standin.ts'

/** The Cloudflare envelope as a test reads it. */
export interface Envelope {
	success: boolean
	errors: CloudflareMessage[]
	messages: unknown[]
	result: unknown
	result_info?: {
		page: number
		per_page: number
		count: number
		total_count: number
		total_pages: number
	}
}

/** What to send: a bearer token (none with `null`), a JSON body or a raw one, extra headers. */
export interface CallOptions {
	token: string | null
	body?: unknown
	rawBody?: string
	headers?: Record<string, string>
}

/** One answer: status, headers, the text, and the envelope when the text is JSON. */
export interface CallResult {
	status: number
	headers: Headers
	text: string
	json: Envelope | undefined
}

/** Sends one request to `https://api.cloudflare.test<path>` through the stand-in's fetch handler. */
export async function callStandin(
	standin: CloudflareStandin,
	method: string,
	path: string,
	options: CallOptions,
): Promise<CallResult> {
	const headers: Record<string, string> = { ...options.headers }
	if (options.token !== null) {
		headers.authorization = `Bearer ${options.token}`
	}
	let body: string | undefined
	if (options.rawBody !== undefined) {
		body = options.rawBody
	} else if (options.body !== undefined) {
		body = JSON.stringify(options.body)
		headers['content-type'] = 'application/json'
	}
	const response = await standin.fetch(
		new Request(`https://api.cloudflare.test${path}`, {
			method,
			headers,
			...(body === undefined ? {} : { body }),
		}),
	)
	const text = await response.text()
	let json: Envelope | undefined
	try {
		json = JSON.parse(text) as Envelope
	} catch {
		json = undefined
	}
	return { status: response.status, headers: response.headers, text, json }
}

/** A failure answer's status and first error item; undefined for a success. */
export function failureOf(
	result: CallResult,
): { status: number; code: number | undefined; message: string | undefined } | undefined {
	if (result.json?.success === true) {
		return undefined
	}
	const first = result.json?.errors[0]
	return { status: result.status, code: first?.code, message: first?.message }
}

/** The result of a success answer; throws, showing the answer, when it is not one. */
export function resultOf<T>(result: CallResult): T {
	if (result.json?.success !== true) {
		throw new Error(`expected a success, got ${result.status} ${result.text}`)
	}
	return result.json.result as T
}

/** Calls the control API (`/__standin…`) with an optional JSON body; the parsed JSON answer. */
export async function callControl(
	standin: CloudflareStandin,
	method: string,
	path: string,
	body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
	const response = await standin.fetch(
		new Request(`https://api.cloudflare.test/__standin${path}`, {
			method,
			...(body === undefined
				? {}
				: { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
		}),
	)
	return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}
