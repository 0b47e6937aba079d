/**
 * @module Cloudflare's response envelope and error classification. Every answer is checked for
 * `success`, because a `200` can still carry `"success": false`, and 5xx answers can be HTML pages.
 */
import { APIConnectionError, APIError } from 'cloudflare/error'
import * as z from 'zod'
import type { ApiFailure } from '../../domain/ports.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import { apiFailure, failureKind, type HttpFailureKind } from '../http-failure.ts'

const messageItem = z.looseObject({ code: z.number().optional(), message: z.string() })

// `result` may be missing: a success without one is judged by the result schema (unreadable).
const envelope = z.looseObject({
	success: z.boolean(),
	errors: z.array(messageItem).default([]),
	result: z.unknown().optional(),
})

/** Which token a client holds, so an auth failure can say what to fix. */
export interface TokenIdentity {
	name: 'CF_TUNNEL_API_TOKEN' | 'CF_ZERO_TRUST_API_TOKEN' | 'CF_DNS_API_TOKEN'
	permission: string
}

/** An answer tidegate cannot take at its word: never an empty state, nothing is written on it. */
export function unreadable(message: string, status?: number): ApiFailure {
	return { kind: 'unreadable', retryable: false, message, ...(status !== undefined && { status }) }
}

/** Parses a raw 2xx response: envelope, success flag, then the result fields tidegate relies on. */
export async function readResult<T>(
	response: Response,
	schema: z.ZodType<T>,
): Promise<Result<T, ApiFailure>> {
	const text = await response.text()
	let json: unknown
	try {
		json = JSON.parse(text)
	} catch {
		return err({
			kind: 'unavailable',
			retryable: true,
			status: response.status,
			message: `Cloudflare answered ${response.status} with a body that is not JSON`,
		})
	}
	const parsed = envelope.safeParse(json)
	if (!parsed.success) {
		return err({
			kind: 'unavailable',
			retryable: true,
			status: response.status,
			message: `Cloudflare answered ${response.status} without the API envelope`,
		})
	}
	if (!parsed.data.success) {
		return err({
			kind: 'rejected',
			retryable: false,
			status: response.status,
			message: `Cloudflare answered ${response.status} with "success": false: ${describeErrors(parsed.data.errors)}`,
		})
	}
	const result = schema.safeParse(parsed.data.result)
	if (!result.success) {
		return err(
			unreadable(
				`Cloudflare's result has an unexpected shape: ${result.error.issues[0]?.message ?? 'invalid'} at ${result.error.issues[0]?.path.join('.') || 'result'}`,
				response.status,
			),
		)
	}
	return ok(result.data)
}

/** Turns what the SDK threw into an ApiFailure; anything else is a bug and is rethrown. */
export function classifyError(e: unknown, token: TokenIdentity): ApiFailure {
	if (e instanceof APIError && e.status !== undefined) {
		const status = e.status
		const errors = Array.isArray(e.errors) ? e.errors : []
		const detail =
			errors.length > 0 ? describeErrors(errors) : 'no error details (not a JSON answer)'
		const kind = failureKind(status, {
			authRefused: status === 400 && errors.some((x: { code?: number }) => x.code === 6003),
		})
		if (kind === 'rate_limited') {
			const retryAfterSeconds = parseRetryAfter(e.headers?.get('retry-after') ?? null)
			return apiFailure(
				kind,
				`Cloudflare rate limit (429) for ${token.name}; retrying after ${retryAfterSeconds} s`,
				{ status, retryAfterSeconds },
			)
		}
		const messages: Record<Exclude<HttpFailureKind, 'rate_limited'>, string> = {
			auth: `${token.name} was refused (${status}: ${detail}); it needs the ${token.permission} permission on this account`,
			not_found: `Cloudflare answered 404: ${detail}`,
			unavailable: `Cloudflare answered ${status}: ${detail}`,
			rejected: `Cloudflare rejected the request (${status}): ${detail}`,
		}
		return apiFailure(kind, messages[kind], { status })
	}
	if (e instanceof APIConnectionError) {
		return {
			kind: 'unavailable',
			retryable: true,
			message: `Cloudflare API unreachable: ${e.message}`,
		}
	}
	throw e
}

/** Cloudflare blocks a token for five minutes once its budget is spent; without a header, wait that long. */
export const DEFAULT_RETRY_AFTER_SECONDS = 300

/** `Retry-After` as seconds or an HTTP date; absent or unreadable → the five-minute block. */
export function parseRetryAfter(value: string | null, now = Date.now()): number {
	if (value === null || value.trim() === '') {
		return DEFAULT_RETRY_AFTER_SECONDS
	}
	if (/^\d+$/.test(value.trim())) {
		return Number(value.trim())
	}
	const at = Date.parse(value)
	return Number.isNaN(at) ? DEFAULT_RETRY_AFTER_SECONDS : Math.max(0, Math.ceil((at - now) / 1000))
}

function describeErrors(
	errors: { code?: number | undefined; message?: string | undefined }[],
): string {
	if (errors.length === 0) {
		return 'no error details'
	}
	return errors
		.map((x) => (x.code === undefined ? (x.message ?? '') : `${x.code} ${x.message ?? ''}`))
		.join('; ')
}

const pageInfo = z.looseObject({
	result_info: z
		.looseObject({ page: z.number().optional(), total_pages: z.number().optional() })
		.nullish(),
})

/** Most pages a list read follows; an account with more is read as unreadable, not cut short. */
export const MAX_PAGES = 50

/**
 * Reads every page of a paginated list (`page`, `result_info.total_pages`). A list cut short
 * would look like deleted items to a planner, so a page that fails fails the whole read.
 */
export async function readAllPages<T>(
	fetchPage: (page: number) => Promise<Response>,
	item: z.ZodType<T>,
): Promise<Result<T[], ApiFailure>> {
	const items: T[] = []
	for (let page = 1; page <= MAX_PAGES; page++) {
		const response = await fetchPage(page)
		const text = await response.clone().text()
		const result = await readResult(response, z.array(item))
		if (!result.ok) {
			return result
		}
		items.push(...result.value)
		let totalPages = 1
		try {
			totalPages = pageInfo.parse(JSON.parse(text)).result_info?.total_pages ?? 1
		} catch {
			totalPages = 1
		}
		if (page >= totalPages) {
			return ok(items)
		}
	}
	return err(
		unreadable(`the list has more than ${MAX_PAGES} pages; tidegate does not plan on part of it`),
	)
}
