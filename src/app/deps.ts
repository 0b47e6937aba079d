/**
 * @module Everything a use case may touch, as ports. Built once per invocation by workers/deps.ts,
 * the only reader of `env`; tests build it from fakes or from real bindings.
 */

import type {
	ApplicationStore,
	DnsApi,
	RoutesApi,
	SplitTunnelApi,
	TunnelApi,
} from '../domain/edge/ports.ts'
import type { AlertTrackStore } from '../domain/edge/run-alerts.ts'
import type { RunStore } from '../domain/edge/runs.ts'
import type { AgentApi, EdgeProber, EgressStore } from '../domain/egress/ports.ts'
import type {
	FluxLedgerStore,
	FluxReceiverApi,
	ReceiverNotificationStore,
} from '../domain/flux/ports.ts'
import type {
	DeliveryStore,
	DeployStatusStore,
	DesiredStateCache,
	FileCache,
	PullRequestApi,
	PullRequestCheckStore,
	RepositoryApi,
} from '../domain/github/ports.ts'
import type {
	AlertSink,
	ApiCallLog,
	CronLog,
	DeadLetterQueue,
	DeadLetterStore,
	JobQueue,
	RateLimiter,
	RetentionStore,
	SettingsStore,
} from '../domain/ports.ts'
import type { PreflightStore } from '../domain/preflight/ports.ts'
import type { Logger } from '../lib/log.ts'
import type { FeatureOff, MissingConfig } from './config.ts'

/** The dependencies of every use case. */
export interface Deps {
	version: string
	missingConfig: MissingConfig[]
	/** Optional features that are off (shown by /healthz, warned about once per isolate). */
	featuresOff: FeatureOff[]
	log: Logger
	/** Unix milliseconds. */
	now(): number
	/** Waits (a Worker invocation may wait; it costs no CPU). */
	sleep(ms: number): Promise<void>
	/** Where tidegate.yaml lives in the repository. */
	source: { branch: string; path: string }
	/** `owner/name` of the tracked repository, when configured. */
	repositoryName: string | undefined
	/**
	 * Webhook secrets, current first, then the previous one during a rotation. Empty: refuse all.
	 * `fluxBearer` holds the tokens of Flux's `generic` provider, never the HMAC keys: empty means
	 * bearer mode is off.
	 */
	webhookSecrets: { github: string[]; flux: string[]; fluxBearer: string[] }
	/** Admin credentials: the tokens (current, previous), and Cloudflare Access when configured. */
	adminAuth: {
		adminTokens: string[]
		access: { teamDomain: string; audience: string } | undefined
	}
	/** Caps the requests one client address may send; absent: nothing is counted. */
	rateLimiter: RateLimiter | undefined
	/** The dashboard's base URL for links, when configured. */
	publicUrl: string | undefined
	calls: ApiCallLog
	runs: RunStore
	deliveries: DeliveryStore
	jobs: JobQueue
	deadLetters: DeadLetterStore
	deadLetterQueue: DeadLetterQueue
	cronLog: CronLog
	retention: RetentionStore
	settings: SettingsStore
	applications: ApplicationStore
	fileCache: FileCache
	/** Validated tidegate.yaml by commit: an unchanged head is not parsed again. */
	desiredStateCache: DesiredStateCache
	repository: RepositoryApi
	/** Pull requests of the tracked repository and their comments (docs/preflight.md). */
	pullRequests: PullRequestApi
	/** Checks of pull request heads, and merges. */
	pullRequestChecks: PullRequestCheckStore
	/** Whether pull requests from forks are checked (GITHUB_PLAN_FORKS). */
	planForkPullRequests: boolean
	/** The `tidegate/deploy` status last posted per commit. */
	deployStatuses: DeployStatusStore
	/** Damped run, token and connector alert states. */
	alertTracks: AlertTrackStore
	tunnelApi: TunnelApi
	splitTunnelApi: SplitTunnelApi
	/** Undefined when CF_DNS_API_TOKEN is not set: DNS records are then skipped, with a warning. */
	dnsApi: DnsApi | undefined
	routesApi: RoutesApi
	/** TIDEGATE_OWNER: the only owner tidegate.yaml may name; unset: the owner of the last write. */
	pinnedOwner: string | undefined
	/** How long a tunnel write waits for its connectors to run the new version. */
	convergence: { windowMs: number; pollMs: number }
	/** Present only when FLUX_RECEIVER_URL and FLUX_RECEIVER_SECRET are set. */
	fluxReceiver: FluxReceiverApi | undefined
	receiverNotifications: ReceiverNotificationStore
	/** The Flux deployment ledger (docs/flux.md). */
	fluxLedger: FluxLedgerStore
	/** Pre-flight results by commit (docs/preflight.md). */
	preflight: PreflightStore
	/** Present only when ALERT_WEBHOOK_URL is set. */
	alerts: AlertSink | undefined
	/** AGENT_SECRET, which also signs the Worker's answers to the agents (`/agent/*`). */
	agentSecret: string | undefined
	/** The in-cluster agent; present only when AGENT_URL and AGENT_SECRET are set. */
	agent: AgentApi | undefined
	/** TCP connects from the edge, to tell "target down" from "nodes cut off". */
	edgeProbe: EdgeProber
	egress: EgressStore
}
