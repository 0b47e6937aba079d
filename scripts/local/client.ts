/**
 * @module A small client for the running local stack (the demo and the end-to-end tests use it):
 * the admin API, the stand-ins' control APIs, and firing a cron trigger.
 */
import { createHmac } from 'node:crypto'
import type { LocalSecrets } from './stack.ts'
import { REPOSITORY, URLS } from './stack.ts'

/** A run as the admin API returns it. */
export interface ApiRun {
	id: number
	trigger: string
	status: string
	commitSha: string | null
	summary: string | null
	errorMessage: string | null
	warnings?: string[]
	planText?: string | null
}

/** Talks to the local stack. */
export class LocalStack {
	readonly secrets: LocalSecrets

	constructor(secrets: LocalSecrets) {
		this.secrets = secrets
	}

	/** GET or POST the admin API; throws with the error envelope's message on a non-2xx answer. */
	async api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
		const res = await fetch(`${URLS.worker}${path}`, {
			method: init.method ?? 'GET',
			headers: {
				authorization: `Bearer ${this.secrets.adminToken}`,
				...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
			},
			...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
		})
		const text = await res.text()
		if (!res.ok) {
			throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`)
		}
		return JSON.parse(text) as T
	}

	/** Commits files to the stand-in repository's main branch; GitHub then delivers the push webhook. */
	async push(
		files: Record<string, string | null>,
		message: string,
	): Promise<{ sha: string; statusCode: number | null }> {
		const res = await fetch(`${URLS.github}/__standin/push`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ repo: REPOSITORY, files, message }),
		})
		if (!res.ok) {
			throw new Error(`push failed: ${res.status} ${await res.text()}`)
		}
		return (await res.json()) as { sha: string; statusCode: number | null }
	}

	/** The file at the head of main. */
	async headFile(path: string): Promise<string> {
		const res = await fetch(`${URLS.github}/repos/${REPOSITORY}/contents/${path}`, {
			headers: {
				authorization: `Bearer ${this.secrets.githubToken}`,
				accept: 'application/vnd.github.raw+json',
			},
		})
		return res.text()
	}

	/** Commit statuses GitHub holds for a commit, newest first. */
	async statuses(sha: string): Promise<{ context: string; state: string; description: string }[]> {
		const res = await fetch(`${URLS.github}/repos/${REPOSITORY}/commits/${sha}/statuses`, {
			headers: { authorization: `Bearer ${this.secrets.githubToken}` },
		})
		return (await res.json()) as { context: string; state: string; description: string }[]
	}

	/** Sends one Flux event the way notification-controller's generic-hmac Provider does; returns the status. */
	async fluxEvent(event: Record<string, unknown>): Promise<number> {
		const body = JSON.stringify(event)
		const signature = createHmac('sha256', this.secrets.fluxWebhookSecret)
			.update(body)
			.digest('hex')
		const res = await fetch(`${URLS.worker}/webhooks/flux`, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				'gotk-component': String(event.reportingController),
				'x-signature': `sha256=${signature}`,
			},
			body,
		})
		return res.status
	}

	/** Fires a cron trigger the way Cloudflare would. */
	async cron(cron: string): Promise<void> {
		const res = await fetch(`${URLS.worker}/__scheduled?cron=${encodeURIComponent(cron)}`)
		if (!res.ok) {
			throw new Error(`cron ${cron}: ${res.status}`)
		}
	}

	/** Changes the Cloudflare stand-in as a person in the Cloudflare dashboard would. */
	async handEdit(edit: unknown): Promise<void> {
		const res = await fetch(`${URLS.cloudflare}/__standin/hand-edit`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(edit),
		})
		if (!res.ok) {
			throw new Error(`hand edit failed: ${res.status} ${await res.text()}`)
		}
	}

	/** The Cloudflare stand-in's state. */
	async cloudflareState(): Promise<CloudflareState> {
		return (await (await fetch(`${URLS.cloudflare}/__standin/state`)).json()) as CloudflareState
	}

	/**
	 * Waits until every run after `after` has finished, and returns the one matching `which` that
	 * changed the edge, else the newest match. Cron keeps running beside the demo: a drift check can
	 * reconcile a new head before its push's run does, and that run then finds everything in sync.
	 */
	async waitForDeciding(
		which: (run: ApiRun) => boolean,
		after: number,
		timeoutMs = 30_000,
	): Promise<ApiRun> {
		const until = Date.now() + timeoutMs
		for (;;) {
			const runs = (await this.api<{ items: ApiRun[] }>('/api/runs?limit=20')).items.filter(
				(r) => r.id > after,
			)
			const busy = runs.some((r) => r.status === 'queued' || r.status === 'running')
			const matching = runs.filter(which)
			if (!busy && matching.length > 0) {
				const deciding = matching.find((r) => r.status === 'applied') ?? matching[0]
				return this.api<ApiRun>(`/api/runs/${deciding?.id}`)
			}
			if (Date.now() > until) {
				throw new Error(
					`no finished run as expected within ${timeoutMs / 1000} s (runs: ${runs.map((r) => `#${r.id} ${r.status}`).join(', ') || 'none'})`,
				)
			}
			await new Promise((r) => setTimeout(r, 250))
		}
	}

	/** The newest run id, to wait for runs after it. */
	async lastRunId(): Promise<number> {
		return (await this.api<{ items: ApiRun[] }>('/api/runs?limit=1')).items[0]?.id ?? 0
	}
}

/** The parts of the Cloudflare stand-in's state the demo reads. */
export interface CloudflareState {
	accounts: {
		id: string
		tunnels: {
			id: string
			version: number
			config: { ingress: { hostname?: string; service: string }[] } | null
		}[]
		profiles?: {
			policyId: string
			mode: string
			list: { address?: string; host?: string; description?: string }[]
		}[]
		zones?: {
			name: string
			records: {
				name: string
				type: string
				content: string
				proxied: boolean
				comment: string | null
			}[]
		}[]
		routes?: {
			network: string
			tunnel_id: string
			comment: string | null
			deleted_at: string | null
		}[]
	}[]
}
