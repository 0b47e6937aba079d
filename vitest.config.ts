/**
 * Test layers (docs/testing.md): unit (Node, pure code), integration (workerd via the
 * Cloudflare plugin, real D1/KV/Queues), agent (Node, real sockets), cli (the real bin).
 */
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

const migrations = await readD1Migrations('./migrations')

/** The Worker in workerd with its real bindings (D1 with the migrations, KV, Queues, cron). */
function workerd() {
	return cloudflareTest((ctx) => ({
		wrangler: { configPath: './wrangler.toml' },
		miniflare: {
			bindings: {
				TEST_MIGRATIONS: migrations,
				// Test-only values; the real ones are `wrangler secret put`.
				ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
				AGENT_SECRET: 'test-agent-secret-0123456789abcdef',
				CF_TUNNEL_API_TOKEN: 'test-tunnel-token',
				CF_ZERO_TRUST_API_TOKEN: 'test-zero-trust-token',
				CF_DNS_API_TOKEN: 'test-dns-token',
				// Connectors in the stand-in take a version at once or never (a lagging one): wait briefly.
				CONNECTOR_WAIT_SECONDS: '1',
				FLUX_WEBHOOK_SECRET: 'test-flux-secret-0123456789abcdef',
				FLUX_WEBHOOK_SECRET_PREVIOUS: 'test-flux-secret-old-0123456789abcdef',
				// The `generic` provider's bearer token: a separate value from the HMAC key.
				FLUX_WEBHOOK_TOKEN: 'test-flux-bearer-token-0123456789abcdef',
				ADMIN_TOKEN_PREVIOUS: 'test-admin-token-old-0123456789abcdef',
				// Alerts are queued and POSTed here; tests capture them with an MSW handler. Shaped like
				// a Slack incoming webhook, whose path is the secret (test/integration/secrets-hygiene).
				ALERT_WEBHOOK_URL:
					'https://alerts.test/services/T0TIDEGATE/B0ALERTS/alert-path-secret-0123456789abcdef',
				GITHUB_TOKEN: 'test-github-token',
				GITHUB_WEBHOOK_SECRET: 'test-github-webhook-secret-0123456789abcdef',
				GITHUB_WEBHOOK_SECRET_PREVIOUS: 'test-github-webhook-secret-old-0123456789abcdef',
				GITHUB_REPOSITORY: 'oceanid/gitops',
				// Real agent processes on loopback (test/helpers/egress-global-setup.ts).
				AGENT_URL: ctx.inject('egress').agentUrl,
				CF_API_BASE_URL: 'https://api.cloudflare.test/client/v4',
				GITHUB_API_BASE_URL: 'https://api.github.test',
				PUBLIC_URL: 'https://tidegate.test',
				ACCESS_TEAM_DOMAIN: 'oceanid.cloudflareaccess.test',
				ACCESS_AUD: 'test-access-audience',
				// A Flux Receiver's path is `/hook/<sha256 of token+name+namespace>`: a secret too.
				FLUX_RECEIVER_URL:
					'https://flux-receiver.test/hook/5e2d0c1f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d',
				FLUX_RECEIVER_SECRET: 'test-flux-receiver-token-0123456789abcdef',
			},
		},
	}))
}

export default defineConfig({
	test: {
		reporters: ['default', 'json', './test/faults/reporter.ts'],
		outputFile: { json: 'reports/vitest.json' },
		projects: [
			{
				test: {
					name: 'unit',
					environment: 'node',
					include: ['test/unit/**/*.test.ts'],
				},
			},
			{
				test: {
					name: 'agent',
					environment: 'node',
					include: ['test/agent/**/*.test.ts'],
					testTimeout: 30_000,
				},
			},
			{
				test: {
					name: 'e2e',
					environment: 'node',
					include: ['test/e2e/**/*.test.ts'],
					testTimeout: 60_000,
					hookTimeout: 180_000,
				},
			},
			{
				test: {
					name: 'cli',
					environment: 'node',
					include: ['test/cli/**/*.test.ts'],
					testTimeout: 30_000,
				},
			},
			{
				plugins: [workerd()],
				test: {
					name: 'integration',
					include: ['test/integration/**/*.test.ts'],
					// Above waitFor's 10 s default (test/integration/support/wait.ts), so a slow machine
					// shows what was awaited instead of a bare timeout; a push → PR → merge test runs
					// several queue jobs in turn and took over 5 s on a loaded 2-core CI machine.
					testTimeout: 15_000,
					setupFiles: ['test/integration/setup.ts'],
					globalSetup: ['test/helpers/egress-global-setup.ts'],
				},
			},
			{
				// The fault-injection suite (docs/reliability.md): the same real Worker in workerd.
				plugins: [workerd()],
				test: {
					name: 'faults',
					include: ['test/faults/**/*.test.ts'],
					setupFiles: ['test/integration/setup.ts'],
					globalSetup: ['test/helpers/egress-global-setup.ts'],
				},
			},
		],
	},
})
