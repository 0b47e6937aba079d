// Optional secrets: not in wrangler.toml's `[secrets] required` (a deploy must not demand them),
// so `wrangler types` does not know them. Keep in sync with src/app/config.ts.
interface Env {
	ALERT_WEBHOOK_URL?: string
	FLUX_RECEIVER_SECRET?: string
	GITHUB_WEBHOOK_SECRET_PREVIOUS?: string
	FLUX_WEBHOOK_SECRET_PREVIOUS?: string
	FLUX_WEBHOOK_TOKEN?: string
	FLUX_WEBHOOK_TOKEN_PREVIOUS?: string
	ADMIN_TOKEN_PREVIOUS?: string
}
