/**
 * @module The composition root: the only code that reads `env`. Bindings, vars and secrets
 * become adapters behind the ports in src/; nothing else in the Worker sees `env`.
 */
import pkg from '../package.json' with { type: 'json' }
import { httpAgentClient } from '../src/adapters/agent/client.ts'
import { webhookAlerts } from '../src/adapters/alert/webhook.ts'
import {
	type CloudflareEdgeApis,
	cloudflareEdgeApis,
	withEdgeApis,
} from '../src/adapters/cloudflare/edge-apis.ts'
import { d1AlertTracks } from '../src/adapters/d1/alert-tracks.ts'
import { d1ApplicationStore } from '../src/adapters/d1/applications.ts'
import { d1CronLog } from '../src/adapters/d1/cron-log.ts'
import { d1DeadLetterStore } from '../src/adapters/d1/dead-letters.ts'
import { d1DeliveryStore } from '../src/adapters/d1/deliveries.ts'
import { d1DeployStatuses } from '../src/adapters/d1/deploy-statuses.ts'
import { d1EgressStore } from '../src/adapters/d1/egress.ts'
import { d1FluxLedger } from '../src/adapters/d1/flux-ledger.ts'
import { d1PreflightStore } from '../src/adapters/d1/preflight-results.ts'
import { d1PullRequestChecks } from '../src/adapters/d1/pull-request-checks.ts'
import { d1ReceiverNotifications } from '../src/adapters/d1/receiver-notifications.ts'
import { d1Retention } from '../src/adapters/d1/retention.ts'
import { d1RunStore } from '../src/adapters/d1/runs.ts'
import { d1SettingsStore } from '../src/adapters/d1/settings.ts'
import { socketsEdgeProber } from '../src/adapters/edge/sockets.ts'
import { fluxReceiver } from '../src/adapters/flux/receiver.ts'
import { gitHubPullRequests } from '../src/adapters/github/pull-requests.ts'
import { gitHubRepository } from '../src/adapters/github/repository.ts'
import { kvDesiredStateCache } from '../src/adapters/kv/desired-state-cache.ts'
import { kvFileCache } from '../src/adapters/kv/file-cache.ts'
import { deadLetterQueue, jobQueue } from '../src/adapters/queue/jobs.ts'
import { createCallLog } from '../src/adapters/recording-fetch.ts'
import { unconfiguredPullRequests, unconfiguredRepository } from '../src/adapters/unconfigured.ts'
import {
	type ConfigName,
	type ConfigValues,
	type FeatureOff,
	parseConfig,
} from '../src/app/config.ts'
import type { Deps } from '../src/app/deps.ts'
import { consoleLogger } from '../src/lib/log.ts'

/** Builds the dependencies for one invocation. Never throws on missing configuration. */
export function buildDeps(env: Env): Deps {
	// Refused values (a short secret, a bearer token reusing the HMAC key, a URL that is not
	// http(s)) count as unset, and defaults are applied, once, here; /healthz says what is wrong.
	const config = parseConfig(env as unknown as ConfigValues)
	const usable = config.values
	const calls = createCallLog()
	const cloudflare = cloudflareEdgeApis({
		baseURL: usable.CF_API_BASE_URL,
		tunnelToken: usable.CF_TUNNEL_API_TOKEN?.trim(),
		zeroTrustToken: usable.CF_ZERO_TRUST_API_TOKEN?.trim(),
		dnsToken: usable.CF_DNS_API_TOKEN?.trim(),
		calls,
	})
	const github =
		usable.GITHUB_TOKEN !== undefined && usable.GITHUB_REPOSITORY !== undefined
			? {
					baseUrl: usable.GITHUB_API_BASE_URL,
					token: usable.GITHUB_TOKEN,
					repository: usable.GITHUB_REPOSITORY,
					calls,
				}
			: undefined
	const featuresOff = config.featuresOff
	warnFeaturesOff(featuresOff)
	const secrets = (...names: ConfigName[]) =>
		names.map((name) => usable[name]).filter((v) => v !== undefined)
	const receiverSecret = usable.FLUX_RECEIVER_SECRET
	const agentSecret = usable.AGENT_SECRET
	// The Cloudflare ports are getters: each client is built on first use (edge-apis.ts).
	return withEdgeApis<Omit<Deps, keyof CloudflareEdgeApis>>(
		{
			version: pkg.version,
			missingConfig: config.missing,
			featuresOff,
			log: consoleLogger,
			now: () => Date.now(),
			sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
			source: {
				branch: usable.GITHUB_BRANCH,
				path: usable.TIDEGATE_CONFIG_PATH,
			},
			repositoryName: usable.GITHUB_REPOSITORY,
			webhookSecrets: {
				github: secrets('GITHUB_WEBHOOK_SECRET', 'GITHUB_WEBHOOK_SECRET_PREVIOUS'),
				flux: secrets('FLUX_WEBHOOK_SECRET', 'FLUX_WEBHOOK_SECRET_PREVIOUS'),
				fluxBearer: secrets('FLUX_WEBHOOK_TOKEN', 'FLUX_WEBHOOK_TOKEN_PREVIOUS'),
			},
			adminAuth: {
				adminTokens: secrets('ADMIN_TOKEN', 'ADMIN_TOKEN_PREVIOUS'),
				access:
					usable.ACCESS_TEAM_DOMAIN !== undefined && usable.ACCESS_AUD !== undefined
						? { teamDomain: usable.ACCESS_TEAM_DOMAIN, audience: usable.ACCESS_AUD }
						: undefined,
			},
			publicUrl: usable.PUBLIC_URL?.replace(/\/$/, ''),
			calls,
			runs: d1RunStore(env.DB),
			deliveries: d1DeliveryStore(env.DB),
			jobs: jobQueue(env.JOBS),
			deadLetters: d1DeadLetterStore(env.DB),
			deadLetterQueue: deadLetterQueue(env.JOBS_DLQ),
			cronLog: d1CronLog(env.DB),
			retention: d1Retention(env.DB),
			settings: d1SettingsStore(env.DB),
			applications: d1ApplicationStore(env.DB),
			fileCache: kvFileCache(env.CACHE),
			desiredStateCache: kvDesiredStateCache(env.CACHE),
			repository: github
				? gitHubRepository(github)
				: unconfiguredRepository('GITHUB_TOKEN and GITHUB_REPOSITORY'),
			pullRequests: github
				? gitHubPullRequests(github)
				: unconfiguredPullRequests('GITHUB_TOKEN and GITHUB_REPOSITORY'),
			pullRequestChecks: d1PullRequestChecks(env.DB),
			planForkPullRequests: usable.GITHUB_PLAN_FORKS?.trim().toLowerCase() === 'true',
			deployStatuses: d1DeployStatuses(env.DB),
			alertTracks: d1AlertTracks(env.DB),
			pinnedOwner: usable.TIDEGATE_OWNER?.trim(),
			convergence: connectorWait(usable.CONNECTOR_WAIT_SECONDS),
			fluxReceiver:
				usable.FLUX_RECEIVER_URL !== undefined && receiverSecret
					? fluxReceiver({ url: usable.FLUX_RECEIVER_URL, secret: receiverSecret, calls })
					: undefined,
			receiverNotifications: d1ReceiverNotifications(env.DB),
			fluxLedger: d1FluxLedger(env.DB),
			preflight: d1PreflightStore(env.DB),
			alerts:
				usable.ALERT_WEBHOOK_URL === undefined
					? undefined
					: webhookAlerts({ url: usable.ALERT_WEBHOOK_URL, calls }),
			agentSecret,
			agent:
				usable.AGENT_URL !== undefined && agentSecret
					? httpAgentClient({ url: usable.AGENT_URL, secret: agentSecret, calls })
					: undefined,
			rateLimiter: env.INTAKE_LIMITER
				? { allow: async (key) => (await env.INTAKE_LIMITER.limit({ key })).success }
				: undefined,
			edgeProbe: socketsEdgeProber(),
			egress: d1EgressStore(env.DB),
		},
		cloudflare,
	)
}

/**
 * How long a tunnel write waits for its connectors to take the new version (CONNECTOR_WAIT_SECONDS,
 * default 30), polling every 2 s or five times in a shorter window.
 */
function connectorWait(value: string | undefined): { windowMs: number; pollMs: number } {
	const seconds = value !== undefined && /^\d{1,3}$/.test(value.trim()) ? Number(value) : 30
	const windowMs = seconds * 1000
	return { windowMs, pollMs: Math.min(2_000, Math.max(100, windowMs / 5)) }
}

let warnedFeaturesOff = false

/** Says once per isolate (in effect, at startup) which optional features are off, and the likely cause. */
function warnFeaturesOff(off: FeatureOff[]): void {
	if (warnedFeaturesOff || off.length === 0) {
		return
	}
	warnedFeaturesOff = true
	consoleLogger.log('warn', 'config.features_off', {
		off: off.map((f) => `${f.name}: ${f.effect}`),
		hint: 'an optional secret set in .dev.vars is dropped by `wrangler dev` (it loads only [secrets] required); pass it with --var NAME:value, or wrangler secret put it when deployed',
	})
}
