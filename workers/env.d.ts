// Optional secrets: not in wrangler.toml's `[secrets] required` (a deploy must not demand them),
// so `wrangler types` does not know them. test/unit/workers/wrangler-config.test.ts checks that
// every name src/app/config.ts reads is typed here or in the generated types.
interface Env {
	ALERT_WEBHOOK_URL?: string
	FLUX_RECEIVER_SECRET?: string
	GITHUB_WEBHOOK_SECRET_PREVIOUS?: string
	FLUX_WEBHOOK_SECRET_PREVIOUS?: string
	FLUX_WEBHOOK_TOKEN?: string
	FLUX_WEBHOOK_TOKEN_PREVIOUS?: string
	ADMIN_TOKEN_PREVIOUS?: string
}
