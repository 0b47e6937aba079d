/**
 * @module Agents as real child processes (`node agent/src/main.ts`) on loopback, and a signed
 * client for them, the way the Worker calls.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { AGENT_CHECK_PATH, type AgentCheckRequestInput } from '../../../src/contracts/agent.ts'
import {
	signAgentRequest,
	signedHost,
	verifyAgentResponse,
} from '../../../src/contracts/agent-signing.ts'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
/** The secret every test agent shares. */
export const SECRET = 'test-secret-0123456789abcdef'

/** A spawned agent. */
export interface TestAgent {
	name: string
	port: number
	url: string
	proc: ChildProcess
	stdout: string[]
	stderr: string[]
	/** Resolves with the exit code once the process has exited. */
	exited: Promise<number | null>
	kill(signal?: NodeJS.Signals): void
}

/** Starts `node agent/src/main.ts` with the given environment (PATH only is inherited). */
export function spawnProcess(env: Record<string, string>): {
	proc: ChildProcess
	stdout: string[]
	stderr: string[]
	exited: Promise<number | null>
} {
	const proc = spawn(process.execPath, ['agent/src/main.ts'], {
		cwd: ROOT,
		env: { PATH: process.env.PATH ?? '', ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	})
	const stdout: string[] = []
	const stderr: string[] = []
	const collect = (into: string[]) => {
		let rest = ''
		return (chunk: Buffer) => {
			const lines = (rest + chunk.toString('utf8')).split('\n')
			rest = lines.pop() ?? ''
			into.push(...lines.filter(Boolean))
		}
	}
	proc.stdout?.on('data', collect(stdout))
	proc.stderr?.on('data', collect(stderr))
	const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
	return { proc, stdout, stderr, exited }
}

/** Starts an agent and waits until it logs `listening`. */
export async function startAgent(options: {
	name: string
	port: number
	peers?: string[]
	env?: Record<string, string>
}): Promise<TestAgent> {
	const child = spawnProcess({
		NODE_NAME: options.name,
		AGENT_HOST: '127.0.0.1',
		AGENT_PORT: String(options.port),
		AGENT_SECRET: SECRET,
		// A static list unless the test gives the DNS source instead.
		...(options.env?.AGENT_PEER_SERVICE ? {} : { AGENT_PEERS: (options.peers ?? []).join(',') }),
		AGENT_PEER_GRACE_MS: '500',
		...options.env,
	})
	const deadline = Date.now() + 15_000
	while (!child.stdout.some((l) => l.includes('"event":"listening"'))) {
		const early = await Promise.race([
			child.exited.then((code) => ({ code })),
			new Promise<null>((r) => setTimeout(() => r(null), 25)),
		])
		if (early) {
			throw new Error(`agent ${options.name} exited ${early.code}: ${child.stderr.join('\n')}`)
		}
		if (Date.now() > deadline) {
			child.proc.kill('SIGKILL')
			throw new Error(`agent ${options.name} did not start: ${child.stderr.join('\n')}`)
		}
	}
	return {
		name: options.name,
		port: options.port,
		url: `http://127.0.0.1:${options.port}`,
		...child,
		kill: (signal = 'SIGKILL') => {
			if (child.proc.exitCode === null && child.proc.signalCode === null) {
				child.proc.kill(signal)
			}
		},
	}
}

/**
 * Posts a check the way the Worker does: signed with `secret` for the URL's host (unless headers
 * are given, or `host` names another agent). `signed` says whether the answer carries a valid
 * response signature for this request.
 */
export async function postCheck(
	url: string,
	body: AgentCheckRequestInput | string,
	options: {
		secret?: string
		headers?: Record<string, string>
		timestamp?: number
		host?: string
	} = {},
): Promise<{ status: number; json: unknown; ms: number; signed: boolean }> {
	const text = typeof body === 'string' ? body : JSON.stringify(body)
	const secret = options.secret ?? SECRET
	const headers =
		options.headers ??
		(await signAgentRequest({
			secret,
			method: 'POST',
			host: options.host ?? signedHost(url),
			path: AGENT_CHECK_PATH,
			body: text,
			...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
		}))
	const t0 = performance.now()
	const res = await fetch(`${url}${AGENT_CHECK_PATH}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
		body: text,
	})
	const raw = await res.text()
	let json: unknown = raw
	try {
		json = JSON.parse(raw)
	} catch {}
	const sent = headers['x-tidegate-signature']
	const signed =
		sent !== undefined &&
		(await verifyAgentResponse({ secret, request: sent, response: res, body: raw }))
	return { status: res.status, json, ms: performance.now() - t0, signed }
}

/** A fresh request id, so identical bodies are not replays. */
export function rid(): string {
	return `t-${Math.random().toString(36).slice(2)}`
}
