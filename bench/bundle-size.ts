/**
 * Benchmark (docs/performance.md): the Worker bundle as `wrangler deploy` would upload it — raw and gzip
 * bytes against Cloudflare's 3 MiB (compressed) free-plan limit — and each dependency's share,
 * from esbuild's metafile (`wrangler deploy --dry-run --outdir DIR --metafile`).
 *
 *   npx node bench/bundle-size.ts
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { printJsonResult } from './lib/baseline.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** Cloudflare's Workers Free plan limit on the compressed script size. */
export const FREE_PLAN_LIMIT_BYTES = 3 * 1024 * 1024

/** One dependency's (or tidegate's own code's) bytes in the output. */
export interface BundleShare {
	name: string
	bytes: number
	share: number
}

/** The bundle's size and composition. */
export interface BundleResult {
	rawBytes: number
	gzipBytes: number
	limitBytes: number
	gzipShareOfLimit: number
	shares: BundleShare[]
}

/** Which package a bundled input came from: `src`/`workers` for tidegate's own code. */
function owner(input: string): string {
	const at = input.lastIndexOf('node_modules/')
	if (at === -1) {
		return input.startsWith('workers/') ? 'tidegate (workers/)' : 'tidegate (src/)'
	}
	const rest = input.slice(at + 'node_modules/'.length).split('/')
	return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? input)
}

/** Builds with wrangler (dry run) and measures. */
export function measureBundle(): BundleResult {
	const dir = mkdtempSync(join(tmpdir(), 'tidegate-bundle-'))
	try {
		const built = spawnSync(
			process.execPath,
			[
				join(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
				'deploy',
				'--dry-run',
				'--outdir',
				dir,
				'--metafile',
				join(dir, 'meta.json'),
			],
			{ cwd: ROOT, env: { ...process.env, CI: '1' }, encoding: 'utf8' },
		)
		if (built.status !== 0) {
			throw new Error(`wrangler deploy --dry-run failed:\n${built.stdout}\n${built.stderr}`)
		}
		const code = readFileSync(join(dir, 'index.js'))
		const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as {
			outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>
		}
		const output = Object.entries(meta.outputs).find(([name]) => name.endsWith('index.js'))?.[1]
		const byOwner = new Map<string, number>()
		for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
			byOwner.set(owner(input), (byOwner.get(owner(input)) ?? 0) + bytesInOutput)
		}
		const gzipBytes = gzipSync(code).byteLength
		const shares = [...byOwner.entries()]
			.map(([name, bytes]) => ({ name, bytes, share: bytes / code.byteLength }))
			.sort((a, b) => b.bytes - a.bytes)
		return {
			rawBytes: code.byteLength,
			gzipBytes,
			limitBytes: FREE_PLAN_LIMIT_BYTES,
			gzipShareOfLimit: gzipBytes / FREE_PLAN_LIMIT_BYTES,
			shares,
		}
	} finally {
		rmSync(dir, { recursive: true, force: true })
	}
}

const main = process.argv[1] === fileURLToPath(import.meta.url)
const measured = main ? measureBundle() : undefined
if (measured && !printJsonResult(measured)) {
	const r = measured
	console.log(
		`bundle: ${(r.rawBytes / 1024).toFixed(1)} KiB raw, ${(r.gzipBytes / 1024).toFixed(1)} KiB gzip = ${(r.gzipShareOfLimit * 100).toFixed(1)}% of the 3 MiB free-plan limit`,
	)
	for (const s of r.shares.slice(0, 12)) {
		console.log(
			`  ${s.name.padEnd(28)} ${(s.bytes / 1024).toFixed(1).padStart(8)} KiB  ${(s.share * 100).toFixed(1)}%`,
		)
	}
}
