/**
 * @module The in-cluster Flux Receiver. `generic-hmac` Receivers verify `X-Signature:
 * sha256=<hex>` over the body with the Receiver's token; a valid call makes Flux reconcile the
 * resources the Receiver lists (its GitRepository), so a push lands without waiting for the poll.
 */

import type { FluxReceiverApi } from '../../domain/flux/ports.ts'
import type { ApiCallLog } from '../../domain/ports.ts'
import { err, ok } from '../../lib/result.ts'
import { hmacSha256Hex } from '../../lib/secrets.ts'
import { recordingFetch } from '../recording-fetch.ts'

/** The Receiver answers quickly or not at all; do not hold the consumer for long. */
export const RECEIVER_TIMEOUT_MS = 10_000

/** FluxReceiverApi over fetch. */
export function fluxReceiver(options: {
	url: string
	secret: string
	calls: ApiCallLog
	fetch?: typeof fetch
}): FluxReceiverApi {
	// The Receiver's path is `/hook/<sha256(token + name + namespace)>`: a credential.
	const send = recordingFetch('flux', options.calls, options.fetch ?? fetch, {
		secretPath: true,
		timeoutMs: RECEIVER_TIMEOUT_MS,
	})
	return {
		async notify(notice) {
			const body = JSON.stringify({
				source: 'tidegate',
				repository: notice.repository,
				ref: notice.ref,
				after: notice.commitSha,
				deliveryId: notice.deliveryId,
			})
			let response: Response
			try {
				response = await send(options.url, {
					method: 'POST',
					headers: {
						'content-type': 'application/json',
						'x-signature': `sha256=${await hmacSha256Hex(options.secret, body)}`,
					},
					body,
				})
			} catch (e) {
				return err({
					kind: 'unavailable',
					retryable: true,
					message: `Flux Receiver unreachable: ${e instanceof Error ? e.message : String(e)}`,
				})
			}
			if (response.ok) {
				return ok(undefined)
			}
			const retryable = response.status === 429 || response.status >= 500
			return err({
				kind: retryable ? 'unavailable' : 'rejected',
				retryable,
				status: response.status,
				message: `Flux Receiver answered ${response.status}${response.status === 401 || response.status === 403 ? ' (check FLUX_RECEIVER_SECRET against the Receiver token)' : ''}`,
			})
		},
	}
}
