/**
 * `npm run demo`: replays the platform team's story against the running `npm start` stack,
 * narrated, checking each outcome. Exit 0 when every step did what the story says.
 */
import { type ApiRun, LocalStack } from './local/client.ts'
import { localDesiredState, localSecrets, PORTS, URLS } from './local/stack.ts'

/** One chapter of the story. */
export interface Step {
	title: string
	run(stack: LocalStack, say: (line: string) => void): Promise<void>
}

const ACCOUNT = '0123456789abcdef0123456789abcdef'
const TUNNEL = '6ff4dfd7-2b77-4a4f-84d9-3241bea658dc'
const DRIFT_CRON = '*/5 * * * *'
const EGRESS_CRON = '2-59/5 * * * *'

interface EgressApi {
	check: { id: number; status: string } | null
	summary?: string
	nodes: { node: string; egressIp: string | null }[]
	targets: {
		name: string
		source: string
		hostnames: string[]
		verdict: { kind: string; text: string }
	}[]
	cells: {
		node: string
		target: string
		observed: string
		error: string | null
		latencyMs: number | null
	}[]
	expectations: { status: string; text: string }[]
	openOutages: { node: string; target: string }[]
}

/** Fires the egress cron and waits for the check it starts. */
async function checkEgress(stack: LocalStack): Promise<EgressApi> {
	const before = (await stack.api<EgressApi>('/api/egress')).check?.id ?? 0
	await stack.cron(EGRESS_CRON)
	const until = Date.now() + 30_000
	for (;;) {
		const view = await stack.api<EgressApi>('/api/egress')
		if (view.check && view.check.id > before && view.check.status !== 'running') {
			return view
		}
		if (Date.now() > until) {
			throw new Error('the egress check did not finish within 30 s')
		}
		await new Promise((r) => setTimeout(r, 250))
	}
}

function showTarget(view: EgressApi, target: string, say: (line: string) => void) {
	const cells = view.cells.filter((c) => c.target === target)
	say(
		`    ${target}: ${cells.map((c) => `${c.node} ${c.observed === 'ok' ? `✓ ${c.latencyMs} ms` : `✗ ${c.error ?? c.observed}`}`).join(' · ')}`,
	)
	const verdict = view.targets.find((t) => t.name === target)?.verdict
	if (verdict) {
		say(`      → ${verdict.text}`)
	}
}

/** Fails the step with a message a reader of the demo understands. */
function check(condition: unknown, message: string): asserts condition {
	if (!condition) {
		throw new Error(message)
	}
}

/** The local tidegate.yaml with a Label Studio rule for `service` added before the agent's rule. */
function withLabelStudio(
	service: string,
	extra: { include: string; route: string } = { include: '', route: '' },
): string {
	return localDesiredState()
		.replace(
			'  ingress:\n',
			`  ingress:\n    - hostname: label.example.com\n      service: ${service}\n`,
		)
		.replace('      protected: true\n', `      protected: true\n${extra.include}`)
		.replace(
			'      comment: K8s Service Network\n',
			`      comment: K8s Service Network\n${extra.route}`,
		)
}

const WRONG = `http://127.0.0.1:${PORTS.labelStudio - 5}`
const RIGHT = `http://127.0.0.1:${PORTS.labelStudio}`

function showRun(run: ApiRun, say: (line: string) => void) {
	say(`    run #${run.id}: ${run.status} — ${run.summary ?? run.errorMessage ?? ''}`)
	for (const warning of run.warnings ?? []) {
		say(`    warning: ${warning}`)
	}
}

/** The story, in order. */
export const STEPS: Step[] = [
	{
		title: 'A push routes Label Studio through the tunnel — with the wrong service port',
		async run(stack, say) {
			say(
				`  The team's runbook had "label-studio:8080"; the Service listens on 8085. Pushing ${WRONG}…`,
			)
			const after = await stack.lastRunId()
			const pushed = await stack.push(
				{ 'tidegate.yaml': withLabelStudio(WRONG) },
				'Route Label Studio',
			)
			check(
				pushed.statusCode === 202,
				`GitHub's webhook delivery got ${pushed.statusCode}, expected 202`,
			)
			const run = await stack.waitForDeciding((r) => r.commitSha === pushed.sha, after)
			showRun(run, say)
			check(run.status === 'applied', `expected the push to be applied, got ${run.status}`)
			const statuses = await stack.statuses(pushed.sha)
			say(
				`    commit ${pushed.sha.slice(0, 7)}: ${statuses.map((s) => `${s.context} ${s.state}`).join(', ')}`,
			)
			check(statuses[0]?.state === 'success', 'expected a success commit status')
			say(
				'  Cloudflare accepted it — nothing there knows the port is wrong. The ingress-target check does:',
			)
			const view = await checkEgress(stack)
			const label = view.targets.find((t) => t.hostnames.includes('label.example.com'))
			check(label, 'no ingress target was derived for label.example.com')
			showTarget(view, label.name, say)
			check(
				view.cells.filter((c) => c.target === label.name).every((c) => c.observed === 'failing'),
				'the wrong port was not flagged on every node',
			)
		},
	},
	{
		title: 'The fix: label-studio-ls-app on port 8085',
		async run(stack, say) {
			const after = await stack.lastRunId()
			const pushed = await stack.push(
				{ 'tidegate.yaml': withLabelStudio(RIGHT) },
				'Label Studio listens on 8085',
			)
			const run = await stack.waitForDeciding((r) => r.commitSha === pushed.sha, after)
			showRun(run, say)
			check(run.status === 'applied', `expected the fix to be applied, got ${run.status}`)
			const state = await stack.cloudflareState()
			const rule = state.accounts[0]?.tunnels[0]?.config?.ingress.find(
				(r) => r.hostname === 'label.example.com',
			)
			say(`    Cloudflare now routes label.example.com → ${rule?.service}`)
			check(rule?.service === RIGHT, 'the tunnel does not route to the fixed service')
			const view = await checkEgress(stack)
			const label = view.targets.find((t) => t.hostnames.includes('label.example.com'))
			check(label, 'no ingress target was derived for label.example.com')
			showTarget(view, label.name, say)
			check(
				view.cells.filter((c) => c.target === label.name).every((c) => c.observed === 'ok'),
				'Label Studio is still not reachable from every node',
			)
		},
	},
	{
		title: 'Someone edits the tunnel by hand in the Cloudflare dashboard',
		async run(stack, say) {
			say(
				'  The old runbook edited a ConfigMap cloudflared ignored; someone "fixes" it in the dashboard instead.',
			)
			await stack.handEdit({
				kind: 'tunnel-config',
				accountId: ACCOUNT,
				tunnelId: TUNNEL,
				config: {
					ingress: [
						{ hostname: 'label.example.com', service: WRONG },
						{ hostname: 'agent.example.com', service: `http://127.0.0.1:${PORTS.agents[0]}` },
						{ service: 'http_status:404' },
					],
				},
			})
			const after = await stack.lastRunId()
			say('  The next drift check (cron) finds it…')
			await stack.cron(DRIFT_CRON)
			const run = await stack.waitForDeciding((r) => r.trigger === 'drift', after)
			showRun(run, say)
			check(run.status === 'applied', `expected the drift to be corrected, got ${run.status}`)
			const detail = await stack.api<ApiRun>(`/api/runs/${run.id}`)
			say((detail.planText ?? '').replace(/^/gm, '    '))
			check(
				detail.planText?.includes('hand edit in the dashboard'),
				'the plan does not name the hand edit',
			)
		},
	},
	{
		title: "The split-tunnel list is shared: only the owner's entries change",
		async run(stack, say) {
			const gpu = {
				include: '    - address: 192.168.2.0/24\n      description: Calypso GPU\n',
				route: '    - network: 192.168.2.0/24\n      comment: Calypso GPU\n',
			}
			const after = await stack.lastRunId()
			const pushed = await stack.push(
				{ 'tidegate.yaml': withLabelStudio(RIGHT, gpu) },
				'Route the GPU LAN over WARP',
			)
			const run = await stack.waitForDeciding((r) => r.commitSha === pushed.sha, after)
			showRun(run, say)
			check(run.status === 'applied', `expected the include list to be applied, got ${run.status}`)
			const state = await stack.cloudflareState()
			const list = state.accounts[0]?.profiles?.find((p) => p.policyId === 'default')?.list ?? []
			for (const entry of list) {
				const ours = entry.description?.endsWith(' - oceanid')
				say(
					`    ${ours ? 'tidegate ' : 'other    '} ${entry.address ?? entry.host}  ${entry.description ?? ''}`,
				)
			}
			check(
				list.some((e) => e.description === 'Office VPN'),
				"another team's entry disappeared",
			)
			check(
				list.some((e) => e.address === '192.168.2.0/24'),
				'the GPU LAN was not added',
			)
		},
	},
	{
		title: 'The whole edge: every hostname resolves, and WARP reaches the cluster',
		async run(stack, say) {
			say(
				'  No more `cloudflared tunnel route dns` and `route ip add` by hand: the same runs wrote these.',
			)
			const state = await stack.cloudflareState()
			const account = state.accounts[0]
			const records = (account?.zones ?? []).flatMap((z) => z.records)
			const cnames = records.filter((r) => r.content === `${TUNNEL}.cfargotunnel.com`)
			for (const r of cnames) {
				say(
					`    DNS   ${r.name} CNAME ${r.content}${r.proxied ? ' (proxied)' : ''}  "${r.comment}"`,
				)
			}
			check(
				['label.example.com', 'agent.example.com'].every((h) => cnames.some((r) => r.name === h)),
				'a hostname of the tunnel has no DNS record',
			)
			const routes = (account?.routes ?? []).filter((r) => r.deleted_at === null)
			for (const r of routes) {
				const ours = r.tunnel_id === TUNNEL
				say(`    route ${r.network} → ${ours ? 'this tunnel' : 'another tunnel'}  "${r.comment}"`)
			}
			check(
				['10.42.0.0/16', '10.43.0.0/16', '192.168.2.0/24'].every((n) =>
					routes.some((r) => r.network === n && r.tunnel_id === TUNNEL),
				),
				'an include CIDR has no route to the tunnel',
			)
			check(
				routes.some((r) => r.comment === 'Office VPN - netops'),
				"another team's route disappeared",
			)
			say(
				'    kubectl over WARP reaches https://10.43.0.1:443: include entry + route + warpRouting.',
			)
		},
	},
	{
		title: 'Flux: a HelmRelease fails on an ownership conflict, then recovers',
		async run(stack, say) {
			const commit = (await stack.api<{ items: ApiRun[] }>('/api/runs?limit=1&trigger=push'))
				.items[0]?.commitSha
			check(commit, 'no pushed commit to deploy')
			const event = (spec: {
				kind: string
				namespace: string
				name: string
				severity: string
				reason: string
				message: string
				metadata: Record<string, string>
				controller: string
			}) => ({
				involvedObject: {
					kind: spec.kind,
					namespace: spec.namespace,
					name: spec.name,
					uid: `uid-${spec.name}`,
				},
				severity: spec.severity,
				timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
				message: spec.message,
				reason: spec.reason,
				metadata: spec.metadata,
				reportingController: spec.controller,
				reportingInstance: `${spec.controller}-local`,
			})
			const events = [
				event({
					kind: 'Kustomization',
					namespace: 'flux-system',
					name: 'apps',
					severity: 'info',
					reason: 'ReconciliationSucceeded',
					message: 'Reconciliation finished in 2.1s, next run in 10m0s',
					metadata: { revision: `main@sha1:${commit}` },
					controller: 'kustomize-controller',
				}),
				event({
					kind: 'HelmRelease',
					namespace: 'apps',
					name: 'label-studio',
					severity: 'error',
					reason: 'InstallFailed',
					message:
						'Helm install failed for release apps/label-studio with chart label-studio@1.4.0: Unable to continue with install: ServiceAccount "label-studio" in namespace "apps" exists and cannot be imported into the current release: invalid ownership metadata; annotation validation error: missing key "meta.helm.sh/release-name": must be set to "label-studio"',
					metadata: { revision: '1.4.0' },
					controller: 'helm-controller',
				}),
			]
			const send = async (e: (typeof events)[number]) => {
				const status = await stack.fluxEvent(e)
				say(
					`    ${String((e.involvedObject as { kind: string }).kind).padEnd(13)} ${e.reason.padEnd(24)} → ${status}`,
				)
				check(status === 202, `Flux event answered ${status}, expected 202`)
			}
			for (const e of events) {
				await send(e)
			}
			// The fix lands a little later, as it would after someone adopts the ServiceAccount.
			await new Promise((r) => setTimeout(r, 2500))
			await send(
				event({
					kind: 'HelmRelease',
					namespace: 'apps',
					name: 'label-studio',
					severity: 'info',
					reason: 'InstallSucceeded',
					message:
						'Helm install succeeded for release apps/label-studio.v1 with chart label-studio@1.4.0',
					metadata: { revision: '1.4.0' },
					controller: 'helm-controller',
				}),
			)
			const again = await stack.fluxEvent(events[1] as Record<string, unknown>)
			say(`    the same failure retried by Flux → ${again} (counted once)`)
			const failures = await stack.api<{ items: { class: string | null; hint: string | null }[] }>(
				'/api/events?outcome=failure&limit=1',
			)
			say(`    classified as ${failures.items[0]?.class}: ${failures.items[0]?.hint}`)
			check(
				failures.items[0]?.class === 'helm-ownership-conflict',
				'the failure was not classified as a Helm ownership conflict',
			)
			const rate = await stack.api<{
				overall: { rate: number | null; successes: number; total: number }
			}>('/api/deployments/success-rate?window=1d')
			say(
				`    success rate today: ${rate.overall.rate === null ? '—' : `${Math.round(rate.overall.rate * 100)}%`} (${rate.overall.successes} of ${rate.overall.total})`,
			)
		},
	},
	{
		title: 'Egress: the database answers two nodes, not the GPU node',
		async run(stack, say) {
			say(
				'  It looked like an app problem. Every node probes the database (a Postgres handshake) on cron:',
			)
			await checkEgress(stack)
			say('  A second check, on demand (the dashboard button, `npx tidegate egress`):')
			const view = await stack.api<EgressApi>('/api/egress/check', { method: 'POST', body: {} })
			say(`    ${view.summary}`)
			say(`    egress IPs: ${view.nodes.map((n) => `${n.node} ${n.egressIp ?? '?'}`).join(' · ')}`)
			showTarget(view, 'labelfish-db', say)
			for (const e of view.expectations) {
				say(`    expectation ${e.status}: ${e.text}`)
			}
			const gpu = view.cells.find((c) => c.node === 'calypso-gpu' && c.target === 'labelfish-db')
			const others = view.cells.filter(
				(c) => c.node !== 'calypso-gpu' && c.target === 'labelfish-db',
			)
			check(gpu?.observed === 'failing', 'calypso-gpu should not reach the database')
			check(
				others.length === 2 && others.every((c) => c.observed === 'ok'),
				'the other nodes should reach the database',
			)
			const gpuIp = view.nodes.find((n) => n.node === 'calypso-gpu')?.egressIp
			check(gpuIp, "calypso-gpu's egress IP is unknown: the agents could not ask the Worker")
			check(
				view.targets
					.find((t) => t.name === 'labelfish-db')
					?.verdict.text.includes(`IP allowlist missing ${gpuIp}`),
				"the verdict does not name the database's allowlist as a possible cause",
			)
			check(
				view.expectations.some((e) => e.status === 'unmet'),
				'the expectation "every node reaches the database" should be unmet',
			)
			check(
				view.openOutages.some((o) => o.node === 'calypso-gpu' && o.target === 'labelfish-db'),
				'no outage window was opened for calypso-gpu → labelfish-db',
			)
			say(
				'    an outage window is open for calypso-gpu → labelfish-db, and an alert went out (see the npm start log)',
			)
		},
	},
]

async function main() {
	const say = (line: string) => process.stdout.write(`${line}\n`)
	const stack = new LocalStack(localSecrets())
	try {
		await fetch(`${URLS.worker}/healthz`)
	} catch {
		say(
			`tidegate is not running at ${URLS.worker}: start it with \`npm start\` in another terminal first.`,
		)
		process.exit(1)
	}
	for (const [i, step] of STEPS.entries()) {
		say(`\n${i + 1}. ${step.title}`)
		try {
			await step.run(stack, say)
		} catch (e) {
			say(`\n✗ step ${i + 1} failed: ${e instanceof Error ? e.message : String(e)}`)
			process.exit(1)
		}
	}
	say(`\n✓ The story played out. Open ${URLS.worker}/ to see it on the dashboard.`)
}

if (import.meta.url === `file://${process.argv[1]}`) {
	await main()
}
