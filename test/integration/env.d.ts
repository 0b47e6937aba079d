// Bindings the integration project adds on top of wrangler.toml (see vitest.config.ts).
declare namespace Cloudflare {
	interface Env {
		TEST_MIGRATIONS: import('cloudflare:test').D1Migration[]
	}
}
