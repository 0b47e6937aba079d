/**
 * @module Everything a use case may touch, as ports. Built once per invocation by workers/deps.ts,
 * the only reader of `env`; tests build it from fakes or from real bindings.
 */

import type { ApplicationStore, SplitTunnelApi, TunnelApi } from '../domain/edge/ports.ts'
import type { RunStore } from '../domain/edge/runs.ts'
import type { AgentApi, EdgeProber, EgressStore } from '../domain/egress/ports.ts'
import type {
	FluxLedgerStore,
	FluxReceiverApi,
	ReceiverNotificationStore,
} from '../domain/flux/ports.ts'
import type { DeliveryStore, FileCache, RepositoryApi } from '../domain/github/ports.ts'
import type {
	AlertSink,
	ApiCallLog,
	CronLog,
	DeadLetterQueue,
	DeadLetterStore,
	JobQueue,
	RetentionStore,
	SettingsStore,
} from '../domain/ports.ts'
import type { PreflightStore } from '../domain/preflight/ports.ts'
import type { Logger } from '../lib/log.ts'
import type { MissingConfig } from './config.ts'

/** The dependencies of every use case. */
export interface Deps {
	version: string
	missingConfig: MissingConfig[]
	log: Logger
	/** Unix milliseconds. */
	now(): number
	/** Where tidegate.yaml lives in the repository. */
	source: { branch: string; path: string }
	/** `owner/name` of the tracked repository, when configured. */
	repositoryName: string | undefined
	/** Webhook secrets, current first, then the previous one during a rotation. Empty: refuse all. */
	webhookSecrets: { github: string[]; flux: string[] }
	/** Admin credentials: the token, and Cloudflare Access when configured. */
	adminAuth: {
		adminToken: string | undefined
		access: { teamDomain: string; audience: string } | undefined
	}
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
	repository: RepositoryApi
	tunnelApi: TunnelApi
	splitTunnelApi: SplitTunnelApi
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
