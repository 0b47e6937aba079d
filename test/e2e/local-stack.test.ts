/**
 * End to end, as a newcomer runs it: `npm start` on a clean state directory, the demo's story
 * against it, the dashboard in Debian's Chromium, then Ctrl-C. Ports are offset so this can run
 * beside a developer's own `npm start`.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const OFFSET = 20_000
const STATE = mkdtempSync(join(tmpdir(), 'tidegate-e2e-'))
const REPORTS = join(ROOT, 'reports')
const CHROMIUM = '/usr/bin/chromium'

// The stack modules read the offset and state directory when they are first imported.
process.env.TIDEGATE_PORT_OFFSET = String(OFFSET)
process.env.TIDEGATE_STATE_DIR = STATE
const { URLS } = await import('../../scripts/local/stack.ts')
const { LocalStack } = await import('../../scripts/local/client.ts')
const { STEPS } = await import('../../scripts/demo.ts')

let stack: ChildProcess
let output = ''
let exitCode: number | null = null
const narration: string[] = []

function untilOutput(text: string, timeoutMs: number): Promise<void> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(
			() =>
				reject(
					new Error(`npm start did not print "${text}" within ${timeoutMs / 1000} s:\n${output}`),
				),
			timeoutMs,
		)
		const poll = setInterval(() => {
			if (output.includes(text)) {
				clearInterval(poll)
				clearTimeout(timer)
				resolve()
			} else if (exitCode !== null) {
				clearInterval(poll)
				clearTimeout(timer)
				reject(new Error(`npm start exited with ${exitCode}:\n${output}`))
			}
		}, 100)
	})
}

beforeAll(async () => {
	stack = spawn('npm', ['start'], {
		cwd: ROOT,
		env: { ...process.env, TIDEGATE_PORT_OFFSET: String(OFFSET), TIDEGATE_STATE_DIR: STATE },
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true,
	})
	for (const stream of [stack.stdout, stack.stderr]) {
		stream?.setEncoding('utf8').on('data', (chunk: string) => {
			output += chunk
		})
	}
	stack.on('exit', (code) => {
		exitCode = code ?? -1
	})
	await untilOutput('tidegate is running.', 150_000)
}, 180_000)

afterAll(() => {
	if (process.env.E2E_DEBUG) {
		console.log(output)
	}
	if (exitCode === null && stack.pid) {
		process.kill(-stack.pid, 'SIGKILL')
	}
	rmSync(STATE, { recursive: true, force: true })
})

describe('npm start', () => {
	it('comes up, says where to look, and answers /healthz with nothing missing', async () => {
		expect(output).toContain(`dashboard   ${URLS.worker}/`)
		const health = (await (await fetch(`${URLS.worker}/healthz`)).json()) as {
			status: string
			missingConfig: string[]
		}
		expect(health).toMatchObject({ status: 'ok', missingConfig: [] })
		expect(existsSync(join(STATE, 'secrets.json'))).toBe(true)
	})

	it('plays the demo story', async () => {
		const secrets = JSON.parse(readFileSync(join(STATE, 'secrets.json'), 'utf8'))
		const client = new LocalStack(secrets)
		for (const step of STEPS) {
			narration.push(step.title)
			await step.run(client, (line) => narration.push(line))
		}
	}, 240_000)
})

describe('the dashboard in Chromium', () => {
	let browser: Browser
	beforeAll(async () => {
		if (!existsSync(CHROMIUM)) {
			throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (.ci/run does)`)
		}
		browser = await chromium.launch({
			executablePath: CHROMIUM,
			args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
		})
	})
	afterAll(async () => {
		await browser?.close()
	})

	it('asks a browser without credentials to sign in', async () => {
		const page = await browser.newPage()
		// Headless Chromium has no one to type into the Basic prompt, so the navigation is refused.
		await expect(page.goto(`${URLS.worker}/`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/)
		await page.close()
		const res = await fetch(`${URLS.worker}/`, { headers: { accept: 'text/html' } })
		expect(res.status).toBe(401)
		expect(res.headers.get('www-authenticate')).toMatch(/^Basic/)
		expect(await res.text()).toContain('Sign in to tidegate')
	})

	it('renders the seeded state, runs a dry run from the page, and saves a screenshot', async () => {
		const secrets = JSON.parse(readFileSync(join(STATE, 'secrets.json'), 'utf8'))
		const context = await browser.newContext({
			httpCredentials: { username: 'admin', password: secrets.adminToken },
			viewport: { width: 1280, height: 900 },
		})
		const page = await context.newPage()
		await page.goto(`${URLS.worker}/`)
		await expect.poll(() => page.locator('h1').textContent()).toBe('tidegate')
		// The story leaves one real problem: the GPU node cannot reach the database.
		const banner = await page.locator('[role=status]').textContent()
		expect(banner).toContain('Egress:')
		expect(banner).toContain('labelfish-db')
		const gpuRow = page.locator('table.matrix tr', {
			has: page.locator('th', { hasText: 'calypso-gpu' }),
		})
		const failing = gpuRow.locator('td.cell-bad')
		expect(await failing.count()).toBeGreaterThan(0)
		expect(await failing.first().textContent()).toMatch(/✗ timeout/)
		expect(await page.locator('#deployments-heading').isVisible()).toBe(true)
		expect(await page.locator('svg[role=img]').getAttribute('aria-label')).toMatch(
			/Daily deployment success rate/,
		)
		expect(await page.locator('#ingress-heading + .scroll table').textContent()).toContain(
			'label.example.com',
		)
		expect(await page.locator('#include-heading + .scroll table').textContent()).toContain(
			'Calypso GPU - oceanid',
		)
		await page.getByRole('button', { name: 'Dry run (plan only)' }).click()
		await expect
			.poll(() => page.locator('#action-output').textContent(), { timeout: 20_000 })
			.toContain('in sync')
		mkdirSync(REPORTS, { recursive: true })
		await page.screenshot({ path: join(REPORTS, 'dashboard.png'), fullPage: true })
		const phone = await browser.newContext({
			httpCredentials: { username: 'admin', password: secrets.adminToken },
			viewport: { width: 390, height: 844 },
			isMobile: true,
		})
		const small = await phone.newPage()
		await small.goto(`${URLS.worker}/`)
		await small.screenshot({ path: join(REPORTS, 'dashboard-phone.png'), fullPage: true })
		// A string expression: this file is type-checked without the DOM library.
		const overflow = await small.evaluate<number>(
			'document.documentElement.scrollWidth - window.innerWidth',
		)
		expect(overflow).toBeLessThanOrEqual(0)
		await context.close()
		await phone.close()
	}, 60_000)
})

describe('Ctrl-C', () => {
	it('stops everything cleanly, keeping the state', async () => {
		process.kill(-(stack.pid ?? 0), 'SIGINT')
		const until = Date.now() + 30_000
		while (exitCode === null && Date.now() < until) {
			await new Promise((r) => setTimeout(r, 100))
		}
		// npm reports a signal exit its own way; what matters is that the stack stopped cleanly.
		expect(exitCode).not.toBeNull()
		expect(output).toContain('stopped; local state is kept')
		expect(output).not.toContain('exited (')
		await expect(fetch(`${URLS.worker}/healthz`)).rejects.toThrow()
		expect(existsSync(join(STATE, 'wrangler'))).toBe(true)
	}, 40_000)
})
