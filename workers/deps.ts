/**
 * @module The composition root: the only code that reads `env`. Bindings, vars and secrets
 * become adapters behind the ports in src/; nothing else in the Worker sees `env`.
 */
import pkg from '../package.json' with { type: 'json' }
import { httpAgentClient } from '../src/adapters/agent/client.ts'
import { webhookAlerts } from '../src/adapters/alert/webhook.ts'
import { createDevicesClient, createTunnelClient } from '../src/adapters/cloudflare/client.ts'
import { cloudflareSplitTunnelApi } from '../src/adapters/cloudflare/split-tunnel.ts'
import { cloudflareTunnelApi } from '../src/adapters/cloudflare/tunnel.ts'
import { d1ApplicationStore } from '../src/adapters/d1/applications.ts'
import { d1CronLog } from '../src/adapters/d1/cron-log.ts'
import { d1DeadLetterStore } from '../src/adapters/d1/dead-letters.ts'
import { d1DeliveryStore } from '../src/adapters/d1/deliveries.ts'
import { d1EgressStore } from '../src/adapters/d1/egress.ts'
import { d1FluxLedger } from '../src/adapters/d1/flux-ledger.ts'
import { d1PreflightStore } from '../src/adapters/d1/preflight-results.ts'
import { d1ReceiverNotifications } from '../src/adapters/d1/receiver-notifications.ts'
import { d1Retention } from '../src/adapters/d1/retention.ts'
import { d1RunStore } from '../src/adapters/d1/runs.ts'
import { d1SettingsStore } from '../src/adapters/d1/settings.ts'
import { socketsEdgeProber } from '../src/adapters/edge/sockets.ts'
import { fluxReceiver } from '../src/adapters/flux/receiver.ts'
import { gitHubRepository } from '../src/adapters/github/repository.ts'
import { kvFileCache } from '../src/adapters/kv/file-cache.ts'
import { deadLetterQueue, jobQueue } from '../src/adapters/queue/jobs.ts'
import { createCallLog } from '../src/adapters/recording-fetch.ts'
import {
	unconfiguredRepository,
	unconfiguredSplitTunnelApi,
	unconfiguredTunnelApi,
} from '../src/adapters/unconfigured.ts'
import { type ConfigValues, findMissingConfig, isSet } from '../src/app/config.ts'
import type { Deps } from '../src/app/deps.ts'
import { consoleLogger } from '../src/lib/log.ts'
import { once } from '../src/lib/once.ts'

/** Builds the dependencies for one invocation. Never throws on missing configuration. */
export function buildDeps(env: Env): Deps {
	const values = env as unknown as ConfigValues
	const calls = createCallLog()
	const cloudflareBase = isSet(env.CF_API_BASE_URL)
		? env.CF_API_BASE_URL
		: 'https://api.cloudflare.com/client/v4'
	// Built on first use: most invocations (webhooks, pages, cron ticks) never call Cloudflare, and
	// building an SDK client costs more CPU than verifying a webhook.
	const tunnelApi = once(() =>
		isSet(env.CF_TUNNEL_API_TOKEN)
			? cloudflareTunnelApi(
					createTunnelClient({ apiToken: env.CF_TUNNEL_API_TOKEN, baseURL: cloudflareBase, calls }),
				)
			: unconfiguredTunnelApi('CF_TUNNEL_API_TOKEN'),
	)
	const splitTunnelApi = once(() =>
		isSet(env.CF_ZERO_TRUST_API_TOKEN)
			? cloudflareSplitTunnelApi(
					createDevicesClient({
						apiToken: env.CF_ZERO_TRUST_API_TOKEN,
						baseURL: cloudflareBase,
						calls,
					}),
				)
			: unconfiguredSplitTunnelApi('CF_ZERO_TRUST_API_TOKEN'),
	)
	return {
		version: pkg.version,
		missingConfig: findMissingConfig(values),
		log: consoleLogger,
		now: () => Date.now(),
		source: {
			branch: isSet(env.GITHUB_BRANCH) ? env.GITHUB_BRANCH : 'main',
			path: isSet(env.TIDEGATE_CONFIG_PATH) ? env.TIDEGATE_CONFIG_PATH : 'tidegate.yaml',
		},
		repositoryName: isSet(env.GITHUB_REPOSITORY) ? env.GITHUB_REPOSITORY : undefined,
		webhookSecrets: {
			github: [env.GITHUB_WEBHOOK_SECRET, env.GITHUB_WEBHOOK_SECRET_PREVIOUS].filter(isSet),
			flux: [env.FLUX_WEBHOOK_SECRET, env.FLUX_WEBHOOK_SECRET_PREVIOUS].filter(isSet),
		},
		adminAuth: {
			adminToken: isSet(env.ADMIN_TOKEN) ? env.ADMIN_TOKEN : undefined,
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
		repository:
			isSet(env.GITHUB_TOKEN) && isSet(env.GITHUB_REPOSITORY)
				? gitHubRepository({
						baseUrl: isSet(env.GITHUB_API_BASE_URL)
							? env.GITHUB_API_BASE_URL
							: 'https://api.github.com',
						token: env.GITHUB_TOKEN,
						repository: env.GITHUB_REPOSITORY,
						calls,
					})
				: unconfiguredRepository('GITHUB_TOKEN and GITHUB_REPOSITORY'),
		get tunnelApi() {
			return tunnelApi()
		},
		get splitTunnelApi() {
			return splitTunnelApi()
		},
		fluxReceiver:
			isSet(env.FLUX_RECEIVER_URL) && isSet(env.FLUX_RECEIVER_SECRET)
				? fluxReceiver({ url: env.FLUX_RECEIVER_URL, secret: env.FLUX_RECEIVER_SECRET, calls })
				: undefined,
		receiverNotifications: d1ReceiverNotifications(env.DB),
		fluxLedger: d1FluxLedger(env.DB),
		preflight: d1PreflightStore(env.DB),
		alerts: isSet(env.ALERT_WEBHOOK_URL)
			? webhookAlerts({ url: env.ALERT_WEBHOOK_URL, calls })
			: undefined,
		agentSecret: isSet(env.AGENT_SECRET) ? env.AGENT_SECRET : undefined,
		agent:
			isSet(env.AGENT_URL) && isSet(env.AGENT_SECRET)
				? httpAgentClient({ url: env.AGENT_URL, secret: env.AGENT_SECRET, calls })
				: undefined,
		edgeProbe: socketsEdgeProber(),
		egress: d1EgressStore(env.DB),
	}
}
