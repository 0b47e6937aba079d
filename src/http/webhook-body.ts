/**
 * @module The first steps every webhook route takes, in this order: size cap (413 before any
 * parsing), content type (415), then the raw bytes within a deadline (408) — which the signature
 * is checked over.
 */
import {
	isJsonContentType,
	parseJsonBytes,
	readBodyCapped,
	WEBHOOK_BODY_LIMIT,
} from '../webhooks/read-body.ts'
import { AppError } from './errors.ts'

/** Returns the raw body of a JSON webhook, or throws the AppError to answer with. */
export async function rawJsonBody(
	request: Request,
	limit = WEBHOOK_BODY_LIMIT,
): Promise<Uint8Array> {
	const declared = request.headers.get('content-length')
	if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) {
		throw new AppError('payload_too_large', `the body is larger than ${limit} bytes`)
	}
	if (!isJsonContentType(request.headers.get('content-type'))) {
		throw new AppError(
			'unsupported_media_type',
			'content type must be application/json (for GitHub, set the webhook content type to application/json)',
		)
	}
	const body = await readBodyCapped(request, limit)
	if (!body.ok) {
		switch (body.error.kind) {
			case 'too_large':
				throw new AppError('payload_too_large', `the body is larger than ${limit} bytes`)
			case 'too_slow':
				throw new AppError(
					'request_timeout',
					`the body took longer than ${body.error.timeoutMs / 1000} s to arrive`,
				)
			case 'unreadable':
				throw new AppError('bad_request', `the body could not be read: ${body.error.message}`)
		}
	}
	return body.value
}

/** Parses verified bytes as JSON; invalid JSON is the sender's fault (400). */
export function parseJson(body: Uint8Array): unknown {
	const json = parseJsonBytes(body)
	if (!json.ok) {
		throw new AppError('bad_request', json.error)
	}
	return json.value
}
