/**
 * `npm start`: the whole of tidegate on one machine. The Worker in workerd (`wrangler dev`, local
 * D1/KV/Queue with the migrations applied, cron fired on schedule), the Cloudflare and GitHub API
 * stand-ins, three agents as the cluster's nodes (the GPU node cut off from the database), the
 * database, Label Studio and an alert sink. Secrets are generated on first run into .tidegate/;
 * tidegate's own state persists there across restarts. Ctrl-C stops everything.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { serveCloudflareStandin } from '../test/standins/cloudflare/server.ts'
import { serveGitHubStandin } from '../test/standins/github/server.ts'
import {
	type Listening,
	serveAlertSink,
	serveHttpService,
	servePostgresStandin,
} from '../test/standins/local/services.ts'
import { declaredCrons, startCronTicker } from './local/cron.ts'
import {
	CUT_OFF_SOURCE,
	localDesiredState,
	localSecrets,
	NODES,
	PORTS,
	REPOSITORY,
	ROOT,
	STATE_DIR,
	URLS,
	workerEnv,
} from './local/stack.ts'

const NODE = process.execPath
const WRANGLER = join(ROOT, 'node_modules/wrangler/bin/wrangler.js')
const children: ChildProcess[] = []
const servers: Listening[] = []
let stopping = false

function say(line: string) {
	process.stdout.write(`${line}\n`)
}

/** Runs a child with its output prefixed, so the stack reads as one log. */
function child(
	name: string,
	args: string[],
	env: Record<string, string>,
	options: { quiet?: RegExp } = {},
) {
	const proc = spawn(NODE, args, {
		cwd: ROOT,
		env: { ...process.env, ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	})
	for (const stream of [proc.stdout, proc.stderr]) {
		let buffer = ''
		stream.setEncoding('utf8').on('data', (chunk: string) => {
			buffer += chunk
			const lines = buffer.split('\n')
			buffer = lines.pop() ?? ''
			for (const line of lines) {
				if (line.trim() !== '' && !options.quiet?.test(line)) {
					say(`[${name}] ${line}`)
				}
			}
		})
	}
	proc.on('exit', (code, signal) => {
		// Ctrl-C in a terminal signals the whole process group: a child may see it before we do.
		if (signal === 'SIGINT' && !stopping) {
			void stop(0)
		} else if (!stopping) {
			say(`[${name}] exited (${signal ?? code}); stopping the stack`)
			void stop(1)
		}
	})
	children.push(proc)
	return proc
}

function run(args: string[], env: Record<string, string>): Promise<void> {
	return new Promise((resolve, reject) => {
		const proc = spawn(NODE, args, {
			cwd: ROOT,
			env: { ...process.env, ...env },
			stdio: ['ignore', 'pipe', 'pipe'],
		})
		let output = ''
		proc.stdout.on('data', (d) => {
			output += d
		})
		proc.stderr.on('data', (d) => {
			output += d
		})
		proc.on('exit', (code) =>
			code === 0 ? resolve() : reject(new Error(`${args.join(' ')} failed:\n${output}`)),
		)
	})
}

async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
	const until = Date.now() + timeoutMs
	while (Date.now() < until) {
		try {
			if ((await fetch(url)).ok) {
				return
			}
		} catch {
			// Not listening yet.
		}
		await new Promise((r) => setTimeout(r, 250))
	}
	throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`)
}

async function stop(code: number): Promise<never> {
	if (!stopping) {
		stopping = true
		say('\nstopping tidegate…')
		for (const proc of children) {
			proc.kill('SIGTERM')
		}
		await Promise.all([
			...children.map(
				(proc) => new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r))),
			),
			...servers.map((s) => s.close()),
		])
		say('stopped; local state is kept in .tidegate/ (delete it to start over)')
	}
	process.exit(code)
}

async function main() {
	process.on('SIGINT', () => void stop(0))
	process.on('SIGTERM', () => void stop(0))
	const secrets = localSecrets()
	const env = workerEnv(secrets)
	mkdirSync(STATE_DIR, { recursive: true })
	// Two values go as --var instead of through the env file: wrangler itself reads CF_API_BASE_URL
	// from its environment (its own API endpoint), and an env file only feeds secrets that
	// wrangler.toml lists as required, which the optional ALERT_WEBHOOK_URL is not.
	const { CF_API_BASE_URL, ALERT_WEBHOOK_URL, ...fileEnv } = env
	const envFile = join(STATE_DIR, 'worker.env')
	writeFileSync(
		envFile,
		`${Object.entries(fileEnv)
			.map(([k, v]) => `${k}=${v}`)
			.join('\n')}\n`,
		{ mode: 0o600 },
	)

	const cloudflare = await serveCloudflareStandin({
		port: PORTS.cloudflare,
		tokens: [
			{ value: secrets.tunnelToken, name: 'tunnel', scopes: ['tunnel'] },
			{ value: secrets.zeroTrustToken, name: 'zero-trust', scopes: ['zero-trust'] },
			{ value: secrets.dnsToken, name: 'dns', scopes: ['dns'] },
		],
	})
	servers.push({ port: PORTS.cloudflare, close: cloudflare.close })
	const github = await serveGitHubStandin({
		port: PORTS.github,
		repositories: [
			{
				fullName: REPOSITORY,
				files: {
					'tidegate.yaml': localDesiredState(),
				},
			},
		],
		token: secrets.githubToken,
		webhook: { url: `${URLS.worker}/webhooks/github`, secret: secrets.githubWebhookSecret },
	})
	servers.push({ port: PORTS.github, close: github.close })
	servers.push(await servePostgresStandin({ port: PORTS.postgres, deny: [CUT_OFF_SOURCE] }))
	servers.push(await serveHttpService({ port: PORTS.labelStudio, name: 'Label Studio' }))
	servers.push(
		await serveAlertSink({ port: PORTS.alerts, onAlert: (text) => say(`[alert] ${text}`) }),
	)

	await run(
		[
			WRANGLER,
			'd1',
			'migrations',
			'apply',
			'DB',
			'--local',
			'--persist-to',
			join(STATE_DIR, 'wrangler'),
		],
		{ CI: '1' },
	)
	child(
		'worker',
		[
			WRANGLER,
			'dev',
			'--ip',
			'127.0.0.1',
			'--port',
			String(PORTS.worker),
			'--persist-to',
			join(STATE_DIR, 'wrangler'),
			'--env-file',
			envFile,
			'--var',
			`CF_API_BASE_URL:${CF_API_BASE_URL}`,
			'--var',
			`ALERT_WEBHOOK_URL:${ALERT_WEBHOOK_URL}`,
			'--test-scheduled',
			'--show-interactive-dev-session=false',
			'--log-level',
			'warn',
		],
		{ CI: '1' },
		// Offline, wrangler cannot fetch the sample `request.cf` object; that is harmless noise.
		{ quiet: /Request\.cf|workers\.cloudflare\.com|GetAddrInfoReqWrap/ },
	)
	for (const node of NODES) {
		child(node.name, ['agent/src/main.ts'], {
			NODE_NAME: node.name,
			AGENT_HOST: '127.0.0.1',
			AGENT_PORT: String(node.port),
			AGENT_SECRET: secrets.agentSecret,
			AGENT_SOURCE_ADDRESS: node.source,
			// The Worker tells each agent the address it called from (Miniflare's CF-Connecting-IP):
			// its source address, so each local "node" has its own egress IP, as real nodes do.
			AGENT_WORKER_URL: URLS.worker,
			AGENT_PEERS: NODES.filter((n) => n !== node)
				.map((n) => `http://127.0.0.1:${n.port}`)
				.join(','),
			AGENT_LOG_LEVEL: 'warn',
		})
	}
	await waitForHealth(`${URLS.worker}/healthz`, 90_000)
	await Promise.all(NODES.map((n) => waitForHealth(`http://127.0.0.1:${n.port}/healthz`, 15_000)))

	const crons = declaredCrons(join(ROOT, 'wrangler.toml'))
	startCronTicker(crons, async (cron) => {
		try {
			await fetch(`${URLS.worker}/__scheduled?cron=${encodeURIComponent(cron)}`)
		} catch (e) {
			say(`[cron] ${cron} could not be fired: ${e instanceof Error ? e.message : String(e)}`)
		}
	})
	say(`
tidegate is running.

  dashboard   ${URLS.worker}/            sign in with any user name and password ${secrets.adminToken}
  API         curl -H 'Authorization: Bearer ${secrets.adminToken}' ${URLS.worker}/api/status
  health      ${URLS.worker}/healthz
  Cloudflare  ${URLS.cloudflare}/__standin/state   (API stand-in: tunnel ${'6ff4dfd7…'}, default device profile)
  GitHub      ${URLS.github}/__standin/state       (API stand-in: ${REPOSITORY}, webhooks → the Worker)
  nodes       ${NODES.map((n) => `${n.name} :${n.port}`).join(', ')}   (calypso-gpu cannot reach the database)
  cron        ${crons.join(' · ')} (fired by this script; wrangler dev does not)

  npm run demo    replays the team's story against this stack
  Ctrl-C          stops everything; state stays in .tidegate/
`)
}

main().catch(async (e) => {
	say(`npm start failed: ${e instanceof Error ? e.message : String(e)}`)
	await stop(1)
})
