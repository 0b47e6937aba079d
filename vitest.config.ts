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
				ADMIN_TOKEN: 'test-admin-token',
				AGENT_SECRET: 'test-agent-secret',
				CF_TUNNEL_API_TOKEN: 'test-tunnel-token',
				CF_ZERO_TRUST_API_TOKEN: 'test-zero-trust-token',
				CF_DNS_API_TOKEN: 'test-dns-token',
				// Connectors in the stand-in take a version at once or never (a lagging one): wait briefly.
				CONNECTOR_WAIT_SECONDS: '1',
				FLUX_WEBHOOK_SECRET: 'test-flux-secret',
				FLUX_WEBHOOK_SECRET_PREVIOUS: 'test-flux-secret-old',
				// Alerts are queued and POSTed here; tests capture them with an MSW handler.
				ALERT_WEBHOOK_URL: 'https://alerts.test/hook',
				GITHUB_TOKEN: 'test-github-token',
				GITHUB_WEBHOOK_SECRET: 'test-github-webhook-secret',
				GITHUB_WEBHOOK_SECRET_PREVIOUS: 'test-github-webhook-secret-old',
				GITHUB_REPOSITORY: 'oceanid/gitops',
				// Real agent processes on loopback (test/helpers/egress-global-setup.ts).
				AGENT_URL: ctx.inject('egress').agentUrl,
				CF_API_BASE_URL: 'https://api.cloudflare.test/client/v4',
				GITHUB_API_BASE_URL: 'https://api.github.test',
				PUBLIC_URL: 'https://tidegate.test',
				ACCESS_TEAM_DOMAIN: 'oceanid.cloudflareaccess.test',
				ACCESS_AUD: 'test-access-audience',
				FLUX_RECEIVER_URL: 'https://flux-receiver.test/hook/0a1b2c',
				FLUX_RECEIVER_SECRET: 'test-flux-receiver-token',
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
					setupFiles: ['test/integration/setup.ts'],
					globalSetup: ['test/helpers/egress-global-setup.ts'],
				},
			},
			{
				// The fault-injection suite (issue 9, docs/reliability.md): the same real Worker in workerd.
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
