/** Alerts to a Slack-compatible incoming webhook (`POST {"text": ...}`), e.g. ALERT_WEBHOOK_URL. */
import type { AlertSink, ApiCallLog } from '../../domain/ports.ts'
import { err, ok } from '../../lib/result.ts'
import { recordingFetch } from '../recording-fetch.ts'

/** An alert that cannot be sent within this time is dropped (and logged by the caller). */
export const ALERT_TIMEOUT_MS = 5_000

/** AlertSink over a webhook URL. The URL holds a secret, so it is never logged, and calls record no path. */
export function webhookAlerts(options: {
	url: string
	calls: ApiCallLog
	fetch?: typeof fetch
}): AlertSink {
	const send = recordingFetch('alert', options.calls, options.fetch ?? fetch, {
		secretPath: true,
		timeoutMs: ALERT_TIMEOUT_MS,
	})
	return {
		async send(alert) {
			try {
				const response = await send(options.url, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ text: alert.text }),
				})
				return response.ok
					? ok(undefined)
					: err({
							kind: 'rejected',
							retryable: response.status >= 500,
							status: response.status,
							message: `alert webhook answered ${response.status}`,
						})
			} catch (e) {
				return err({
					kind: 'unavailable',
					retryable: true,
					message: `alert webhook unreachable: ${e instanceof Error ? e.message : String(e)}`,
				})
			}
		},
	}
}
