/** Start-up with bad configuration, and a clean stop on SIGTERM. */
import { describe, expect, it } from 'vitest'
import { postCheck, rid, SECRET, spawnProcess, startAgent } from './helpers/agents.ts'
import { blackholeServer, freePort } from './helpers/net.ts'

const good = { NODE_NAME: 'n1', AGENT_SECRET: SECRET, AGENT_PEERS: '', AGENT_HOST: '127.0.0.1' }

async function failsWith(env: Record<string, string>, ...expected: string[]) {
	const child = spawnProcess(env)
	const code = await child.exited
	const err = child.stderr.join('\n')
	expect(code).toBe(1)
	expect(child.stdout.join('')).not.toContain('"listening"')
	const line = JSON.parse(child.stderr[0] ?? '{}') as { event?: string; problems?: string[] }
	expect(line.event).toBe('config-invalid')
	for (const text of expected) {
		expect(err).toContain(text)
	}
	return err
}

describe('configuration', () => {
	it('exits 1 naming every missing variable', async () => {
		await failsWith({}, 'NODE_NAME', 'AGENT_SECRET', 'AGENT_PEER_SERVICE')
	})

	it('exits 1 on a short secret without echoing it', async () => {
		const err = await failsWith(
			{ ...good, AGENT_SECRET: 'hunter2' },
			'AGENT_SECRET: must be at least 16',
		)
		expect(err).not.toContain('hunter2')
	})

	it('exits 1 on bad numbers, bad peer URLs and both peer sources at once', async () => {
		await Promise.all([
			failsWith({ ...good, AGENT_PORT: '80x' }, 'AGENT_PORT: must be a whole number'),
			failsWith({ ...good, AGENT_PORT: '70000' }, 'AGENT_PORT'),
			failsWith({ ...good, AGENT_MAX_CONCURRENCY: '0' }, 'AGENT_MAX_CONCURRENCY'),
			failsWith({ ...good, AGENT_PEERS: 'http://a:1/x' }, 'AGENT_PEERS', 'base URL'),
			failsWith({ ...good, AGENT_PEERS: 'ftp://a:1' }, 'AGENT_PEERS'),
			failsWith(
				{ ...good, AGENT_ALLOW_ADDRESSES: '169.254.169.254, metadata.google.internal' },
				'AGENT_ALLOW_ADDRESSES',
				'metadata.google.internal\\" is not an address or CIDR',
			),
			failsWith(
				{ ...good, AGENT_PEERS: 'http://u:pw-secret@a:1' },
				'AGENT_PEERS: a URL must not carry credentials',
			).then((err) => expect(err).not.toContain('pw-secret')),
			failsWith(
				{ ...good, AGENT_PEER_SERVICE: 'tidegate-agent-peers.tidegate.svc.cluster.local' },
				'not both',
			),
		])
	})

	it('exits 1 when the port is taken', async () => {
		const a = await startAgent({ name: 'holder', port: await freePort() })
		const child = spawnProcess({ ...good, AGENT_PORT: String(a.port) })
		expect(await child.exited).toBe(1)
		expect(child.stderr.join('\n')).toContain('listen-failed')
		a.kill()
	})
})

describe('SIGTERM', () => {
	it('exits 0 when idle', async () => {
		const a = await startAgent({ name: 'idle', port: await freePort() })
		a.kill('SIGTERM')
		expect(await a.exited).toBe(0)
		expect(a.stdout.join('\n')).toContain('"event":"stopped"')
	})

	it('stops accepting, finishes the check in flight, then exits 0', async () => {
		const silent = await blackholeServer()
		const a = await startAgent({ name: 'busy', port: await freePort() })
		const inFlight = postCheck(a.url, {
			targets: [{ name: 'slow', host: '127.0.0.1', port: silent.port, probe: 'tls' }],
			timeoutMs: 1000,
			requestId: rid(),
		})
		await new Promise((resolve) => setTimeout(resolve, 300))
		a.kill('SIGTERM')
		await new Promise((resolve) => setTimeout(resolve, 100))
		await expect(fetch(`${a.url}/healthz`)).rejects.toThrow() // no longer accepting
		const res = await inFlight
		expect(res.status).toBe(200)
		expect(res.json).toMatchObject({
			nodes: [{ node: 'busy', results: [{ target: 'slow', error: 'timeout' }] }],
		})
		expect(await a.exited).toBe(0)
		await silent.close()
	})
})
