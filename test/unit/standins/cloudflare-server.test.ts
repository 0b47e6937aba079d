/** The stand-in's server script, as `npm start` runs it: `node server.ts --port N --seed file`. */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { cloudflareSeedSchema, defaultCloudflareSeed } from '../../standins/cloudflare/seed.ts'
import { parseServerArgs } from '../../standins/cloudflare/server.ts'

const script = fileURLToPath(new URL('../../standins/cloudflare/server.ts', import.meta.url))
const children: ChildProcess[] = []

afterEach(() => {
	for (const child of children.splice(0)) {
		child.kill('SIGTERM')
	}
})

/** Starts the script and resolves with the first stdout line. */
function start(args: string[]): Promise<{ child: ChildProcess; line: string }> {
	const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
	children.push(child)
	return new Promise((resolve, reject) => {
		let out = ''
		let err = ''
		child.stdout?.on('data', (chunk: Buffer) => {
			out += chunk.toString()
			const newline = out.indexOf('\n')
			if (newline !== -1) {
				resolve({ child, line: out.slice(0, newline) })
			}
		})
		child.stderr?.on('data', (chunk: Buffer) => {
			err += chunk.toString()
		})
		child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)))
	})
}

describe('server script', () => {
	it('prints one line with its URL and serves the seed it was given', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'cf-standin-'))
		const seed = join(dir, 'seed.json')
		writeFileSync(
			seed,
			JSON.stringify({
				tokens: [{ value: 'seeded-token', scopes: ['tunnel', 'dns'] }],
				accounts: [
					{
						id: 'abcdefabcdefabcdefabcdefabcdefab',
						tunnels: [
							{ id: 't-1', version: 41, config: { ingress: [{ service: 'http_status:404' }] } },
						],
						zones: [
							{
								id: 'c'.repeat(32),
								name: 'oceanid.dev',
								records: [{ type: 'CNAME', name: 'www', content: 't-1.cfargotunnel.com' }],
							},
						],
						routes: [{ network: '10.42.0.0/16', tunnel_id: 't-1' }],
					},
				],
			}),
		)
		const { line } = await start(['--port', '0', '--seed', seed])
		const match = /^cloudflare-standin listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line)
		expect(match, line).not.toBeNull()
		const response = await fetch(
			`${match?.[1]}/client/v4/accounts/abcdefabcdefabcdefabcdefabcdefab/cfd_tunnel/t-1/configurations`,
			{ headers: { authorization: 'Bearer seeded-token' } },
		)
		expect(response.status).toBe(200)
		expect(((await response.json()) as { result: { version: number } }).result.version).toBe(41)
		const records = await fetch(`${match?.[1]}/client/v4/zones/${'c'.repeat(32)}/dns_records`, {
			headers: { authorization: 'Bearer seeded-token' },
		})
		expect(((await records.json()) as { result: Array<{ name: string }> }).result).toMatchObject([
			{ name: 'www.oceanid.dev' },
		])
	})

	it('reads the default seed back from JSON, as --seed and POST /__standin/reset do', () => {
		const seed = JSON.parse(JSON.stringify(defaultCloudflareSeed())) as unknown
		expect(cloudflareSeedSchema.parse(seed)).toEqual(seed)
		expect(() =>
			cloudflareSeedSchema.parse({
				accounts: [{ id: 'a', zones: [{ id: 'nope', name: 'x.dev' }] }],
			}),
		).toThrow(/32 lowercase hex/)
	})

	it('refuses a bad seed and unknown arguments', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'cf-standin-'))
		const seed = join(dir, 'seed.json')
		writeFileSync(seed, JSON.stringify({ accounts: [{ tunnels: 'nope' }] }))
		await expect(start(['--port', '0', '--seed', seed])).rejects.toThrow(/exited 1: .*--seed/s)
		expect(() => parseServerArgs(['--verbose'], () => '')).toThrow(/unknown argument/)
		expect(() => parseServerArgs(['--port', 'x'], () => '')).toThrow(/not a port/)
		expect(() => parseServerArgs(['--port'], () => '')).toThrow(/needs a value/)
		expect(parseServerArgs(['--host', '::1'], () => '')).toEqual({ port: 8788, host: '::1' })
	})
})
