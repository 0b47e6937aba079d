/**
 * @module The composition root: the only code that reads `env`. Bindings, vars and secrets
 * become adapters behind the ports in src/; nothing else in the Worker sees `env`.
 */
import pkg from '../package.json' with { type: 'json' }
import { httpAgentClient } from '../src/adapters/agent/client.ts'
import { webhookAlerts } from '../src/adapters/alert/webhook.ts'
import {
	CLOUDFLARE_API_BASE_URL,
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
	findFeaturesOff,
	findMissingConfig,
	isSet,
	usableConfig,
} from '../src/app/config.ts'
import type { Deps } from '../src/app/deps.ts'
import { consoleLogger } from '../src/lib/log.ts'

/** Builds the dependencies for one invocation. Never throws on missing configuration. */
export function buildDeps(env: Env): Deps {
	const values = env as unknown as ConfigValues
	const calls = createCallLog()
	const cloudflare = cloudflareEdgeApis({
		baseURL: isSet(env.CF_API_BASE_URL) ? env.CF_API_BASE_URL : CLOUDFLARE_API_BASE_URL,
		tunnelToken: setOrUndefined(env.CF_TUNNEL_API_TOKEN),
		zeroTrustToken: setOrUndefined(env.CF_ZERO_TRUST_API_TOKEN),
		dnsToken: setOrUndefined(env.CF_DNS_API_TOKEN),
		calls,
	})
	const github =
		isSet(env.GITHUB_TOKEN) && isSet(env.GITHUB_REPOSITORY)
			? {
					baseUrl: isSet(env.GITHUB_API_BASE_URL)
						? env.GITHUB_API_BASE_URL
						: 'https://api.github.com',
					token: env.GITHUB_TOKEN,
					repository: env.GITHUB_REPOSITORY,
					calls,
				}
			: undefined
	const featuresOff = findFeaturesOff(values)
	warnFeaturesOff(featuresOff)
	// Refused secrets (too short, a bearer token reusing the HMAC key) count as unset; /healthz says why.
	const usable = usableConfig(values)
	const secrets = (...names: ConfigName[]) =>
		names.map((name) => usable[name]).filter((v) => v !== undefined)
	const receiverSecret = usable.FLUX_RECEIVER_SECRET
	const agentSecret = usable.AGENT_SECRET
	// The Cloudflare ports are getters: each client is built on first use (edge-apis.ts).
	return withEdgeApis<Omit<Deps, keyof CloudflareEdgeApis>>(
		{
			version: pkg.version,
			missingConfig: findMissingConfig(values),
			featuresOff,
			log: consoleLogger,
			now: () => Date.now(),
			sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
			source: {
				branch: isSet(env.GITHUB_BRANCH) ? env.GITHUB_BRANCH : 'main',
				path: isSet(env.TIDEGATE_CONFIG_PATH) ? env.TIDEGATE_CONFIG_PATH : 'tidegate.yaml',
			},
			repositoryName: isSet(env.GITHUB_REPOSITORY) ? env.GITHUB_REPOSITORY : undefined,
			webhookSecrets: {
				github: secrets('GITHUB_WEBHOOK_SECRET', 'GITHUB_WEBHOOK_SECRET_PREVIOUS'),
				flux: secrets('FLUX_WEBHOOK_SECRET', 'FLUX_WEBHOOK_SECRET_PREVIOUS'),
				fluxBearer: secrets('FLUX_WEBHOOK_TOKEN', 'FLUX_WEBHOOK_TOKEN_PREVIOUS'),
			},
			adminAuth: {
				adminTokens: secrets('ADMIN_TOKEN', 'ADMIN_TOKEN_PREVIOUS'),
				access:
					isSet(env.ACCESS_TEAM_DOMAIN) && isSet(env.ACCESS_AUD)
						? { teamDomain: env.ACCESS_TEAM_DOMAIN, audience: env.ACCESS_AUD }
						: undefined,
			},
			publicUrl: isSet(env.PUBLIC_URL) ? env.PUBLIC_URL.replace(/\/$/, '') : undefined,
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
			planForkPullRequests: env.GITHUB_PLAN_FORKS?.trim().toLowerCase() === 'true',
			deployStatuses: d1DeployStatuses(env.DB),
			alertTracks: d1AlertTracks(env.DB),
			pinnedOwner: setOrUndefined(env.TIDEGATE_OWNER),
			convergence: connectorWait(env.CONNECTOR_WAIT_SECONDS),
			fluxReceiver:
				isSet(env.FLUX_RECEIVER_URL) && receiverSecret
					? fluxReceiver({ url: env.FLUX_RECEIVER_URL, secret: receiverSecret, calls })
					: undefined,
			receiverNotifications: d1ReceiverNotifications(env.DB),
			fluxLedger: d1FluxLedger(env.DB),
			preflight: d1PreflightStore(env.DB),
			alerts: isSet(env.ALERT_WEBHOOK_URL)
				? webhookAlerts({ url: env.ALERT_WEBHOOK_URL, calls })
				: undefined,
			agentSecret,
			agent:
				isSet(env.AGENT_URL) && agentSecret
					? httpAgentClient({ url: env.AGENT_URL, secret: agentSecret, calls })
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
	const seconds = isSet(value) && /^\d{1,3}$/.test(value.trim()) ? Number(value) : 30
	const windowMs = seconds * 1000
	return { windowMs, pollMs: Math.min(2_000, Math.max(100, windowMs / 5)) }
}

function setOrUndefined(value: string | undefined): string | undefined {
	return isSet(value) ? value.trim() : undefined
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
