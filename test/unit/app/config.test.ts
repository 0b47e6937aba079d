import { describe, expect, it } from 'vitest'
import {
	type ConfigValues,
	findMissingConfig,
	MIN_SECRET_LENGTH,
	parseConfig,
} from '../../../src/app/config.ts'

const LONG = 'k'.repeat(MIN_SECRET_LENGTH)
const problems = (values: ConfigValues) =>
	Object.fromEntries(findMissingConfig(values).map((m) => [m.name, m.problem]))

describe('parseConfig', () => {
	it('applies the defaults once, for unset and blank values alike', () => {
		const { values } = parseConfig({ GITHUB_BRANCH: '  ', CF_API_BASE_URL: '' })
		expect(values).toMatchObject({
			GITHUB_BRANCH: 'main',
			TIDEGATE_CONFIG_PATH: 'tidegate.yaml',
			GITHUB_API_BASE_URL: 'https://api.github.com',
			CF_API_BASE_URL: 'https://api.cloudflare.com/client/v4',
		})
	})

	it('keeps a set value over the default, and drops a refused one for the default', () => {
		const { values } = parseConfig({
			GITHUB_API_BASE_URL: 'http://127.0.0.1:8788',
			CF_API_BASE_URL: 'api.cloudflare.test',
		})
		expect(values.GITHUB_API_BASE_URL).toBe('http://127.0.0.1:8788')
		expect(values.CF_API_BASE_URL).toBe('https://api.cloudflare.com/client/v4')
	})
})

describe('findMissingConfig: what is refused, and why', () => {
	it.each([
		[{ AGENT_URL: 'agent.internal' }, 'AGENT_URL', 'not an http(s) URL'],
		[{ PUBLIC_URL: 'ftp://x.test' }, 'PUBLIC_URL', 'not an http(s) URL'],
		[{ ALERT_WEBHOOK_URL: 'javascript:alert(1)' }, 'ALERT_WEBHOOK_URL', 'not an http(s) URL'],
		[{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN', 'too short'],
		[{ ADMIN_TOKEN_PREVIOUS: 'short' }, 'ADMIN_TOKEN_PREVIOUS', 'too short'],
		[
			{ FLUX_WEBHOOK_SECRET: LONG, FLUX_WEBHOOK_TOKEN: LONG },
			'FLUX_WEBHOOK_TOKEN',
			'same as FLUX_WEBHOOK_SECRET',
		],
		[{ FLUX_WEBHOOK_SECRET: LONG, FLUX_WEBHOOK_TOKEN: 'short' }, 'FLUX_WEBHOOK_TOKEN', 'too short'],
		[{}, 'GITHUB_TOKEN', 'unset'],
	] as const)('%o → %s %s', (values, name, problem) => {
		expect(problems(values)[name]).toBe(problem)
	})

	it('reports nothing for a good URL, an optional unset setting or a defaulted one', () => {
		const found = problems({ AGENT_URL: 'https://agent.example.com', PUBLIC_URL: '' })
		for (const name of ['AGENT_URL', 'PUBLIC_URL', 'GITHUB_BRANCH', 'CF_API_BASE_URL']) {
			expect(found[name], name).toBeUndefined()
		}
	})
})
