/**
 * The official `cloudflare` SDK (7.3.0) against the stand-in served on loopback: the paths it
 * calls exist, its results parse, and failures raise the SDK's error classes.
 */
import Cloudflare, {
	BadRequestError,
	InternalServerError,
	NotFoundError,
	PermissionDeniedError,
	RateLimitError,
} from 'cloudflare'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
	CUSTOM_INCLUDE_POLICY_ID,
	DEFAULT_ACCOUNT_ID,
	DEFAULT_TUNNEL_ID,
	TUNNEL_TOKEN,
	ZERO_TRUST_TOKEN,
} from '../../standins/cloudflare/seed.ts'
import {
	type RunningCloudflareStandin,
	serveCloudflareStandin,
} from '../../standins/cloudflare/server.ts'

let running: RunningCloudflareStandin
let tunnels: Cloudflare
let devices: Cloudflare

const account = { account_id: DEFAULT_ACCOUNT_ID }
const catchAll = { hostname: '', service: 'http_status:404' }
const label = {
	hostname: 'label.example.com',
	service: 'http://label-studio-ls-app.apps.svc.cluster.local:8085',
}

beforeAll(async () => {
	running = await serveCloudflareStandin({ port: 0 })
	const client = (apiToken: string) =>
		new Cloudflare({ apiToken, baseURL: running.apiBaseUrl, maxRetries: 0 })
	tunnels = client(TUNNEL_TOKEN)
	devices = client(ZERO_TRUST_TOKEN)
})

afterAll(async () => {
	await running.close()
})

beforeEach(() => {
	running.standin.reset()
})

const lastRequest = () => running.standin.requests.at(-1)

describe('cloudflare SDK against the stand-in', () => {
	it('listens on loopback and names its API base', () => {
		expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
		expect(running.apiBaseUrl).toBe(`${running.url}/client/v4`)
	})

	it('configurations.get and update', async () => {
		const configurations = tunnels.zeroTrust.tunnels.cloudflared.configurations
		const before = await configurations.get(DEFAULT_TUNNEL_ID, account)
		expect(before).toMatchObject({ tunnel_id: DEFAULT_TUNNEL_ID, version: 1, source: 'cloudflare' })
		expect(lastRequest()).toMatchObject({
			method: 'GET',
			path: `/client/v4/accounts/${DEFAULT_ACCOUNT_ID}/cfd_tunnel/${DEFAULT_TUNNEL_ID}/configurations`,
			status: 200,
		})
		const after = await configurations.update(DEFAULT_TUNNEL_ID, {
			...account,
			config: { ingress: [label, catchAll] },
		})
		expect(after.version).toBe(2)
		expect(after.config?.ingress).toEqual([label, catchAll])
		expect(lastRequest()).toMatchObject({
			method: 'PUT',
			write: true,
			applied: true,
			body: { config: { ingress: [label, catchAll] } },
		})
	})

	it('a rejected configuration throws BadRequestError with code 1056', async () => {
		const error = await tunnels.zeroTrust.tunnels.cloudflared.configurations
			.update(DEFAULT_TUNNEL_ID, { ...account, config: { ingress: [label] } })
			.catch((e: unknown) => e)
		expect(error).toBeInstanceOf(BadRequestError)
		expect((error as BadRequestError).errors).toMatchObject([{ code: 1056 }])
	})

	it('connections.get', async () => {
		const page = await tunnels.zeroTrust.tunnels.cloudflared.connections.get(
			DEFAULT_TUNNEL_ID,
			account,
		)
		expect(page.result).toHaveLength(2)
		expect(page.result[0]).toMatchObject({ config_version: 1, arch: 'linux_amd64' })
		expect(page.result[0]?.conns?.length).toBeGreaterThan(0)
		expect(lastRequest()?.path).toBe(
			`/client/v4/accounts/${DEFAULT_ACCOUNT_ID}/cfd_tunnel/${DEFAULT_TUNNEL_ID}/connections`,
		)
	})

	it('default includes.get and update (a bare array, whole-list replace)', async () => {
		const includes = devices.zeroTrust.devices.policies.default.includes
		const before = await includes.get(account)
		expect(before.result).toHaveLength(3)
		expect(lastRequest()?.path).toBe(
			`/client/v4/accounts/${DEFAULT_ACCOUNT_ID}/devices/policy/include`,
		)
		const body = [
			...before.result,
			{ address: '10.42.0.0/16', description: 'K8s Pod Network - oceanid' },
		]
		const after = await includes.update({ ...account, body })
		expect(after.result).toEqual(body)
		expect(lastRequest()).toMatchObject({ method: 'PUT', body })
		expect(Array.isArray(lastRequest()?.body)).toBe(true)
	})

	it('custom includes.get and update', async () => {
		const includes = devices.zeroTrust.devices.policies.custom.includes
		const before = await includes.get(CUSTOM_INCLUDE_POLICY_ID, account)
		expect(before.result).toEqual([{ address: '10.20.0.0/16', description: 'Build farm - ci' }])
		expect(lastRequest()?.path).toBe(
			`/client/v4/accounts/${DEFAULT_ACCOUNT_ID}/devices/policy/${CUSTOM_INCLUDE_POLICY_ID}/include`,
		)
		const after = await includes.update(CUSTOM_INCLUDE_POLICY_ID, {
			...account,
			body: [{ host: '*.example.com' }],
		})
		expect(after.result).toEqual([{ host: '*.example.com' }])
	})

	it('default.get and custom.get describe the profile and its mode', async () => {
		const profile = await devices.zeroTrust.devices.policies.default.get(account)
		expect(profile?.default).toBe(true)
		expect(profile?.include).toHaveLength(3)
		expect(profile?.exclude).toBeUndefined()
		expect(lastRequest()?.path).toBe(`/client/v4/accounts/${DEFAULT_ACCOUNT_ID}/devices/policy`)
		const custom = await devices.zeroTrust.devices.policies.custom.get(
			CUSTOM_INCLUDE_POLICY_ID,
			account,
		)
		expect(custom?.policy_id).toBe(CUSTOM_INCLUDE_POLICY_ID)
		expect(custom?.include).toHaveLength(1)
	})

	it('a 429 throws RateLimitError carrying Retry-After and code 971', async () => {
		running.standin.addFault({ path: '/**', kind: 'rate-limit', retryAfter: 120, times: 1 })
		const error = await devices.zeroTrust.devices.policies.default.includes
			.get(account)
			.catch((e: unknown) => e)
		expect(error).toBeInstanceOf(RateLimitError)
		expect((error as RateLimitError).headers?.get('retry-after')).toBe('120')
		expect((error as RateLimitError).errors).toMatchObject([{ code: 971 }])
	})

	it('a 429 without Retry-After throws RateLimitError too', async () => {
		running.standin.addFault({ path: '/**', kind: 'rate-limit', times: 1 })
		const error = await tunnels.zeroTrust.tunnels.cloudflared.configurations
			.get(DEFAULT_TUNNEL_ID, account)
			.catch((e: unknown) => e)
		expect(error).toBeInstanceOf(RateLimitError)
		expect((error as RateLimitError).headers?.get('retry-after')).toBeNull()
	})

	it('a token without the scope throws PermissionDeniedError', async () => {
		const error = await tunnels.zeroTrust.devices.policies.default.includes
			.get(account)
			.catch((e: unknown) => e)
		expect(error).toBeInstanceOf(PermissionDeniedError)
		expect((error as PermissionDeniedError).errors).toMatchObject([{ code: 10000 }])
		expect(lastRequest()).toMatchObject({ status: 403, scope: 'zero-trust', token: 'tunnel' })
	})

	it('an unknown tunnel throws NotFoundError', async () => {
		const error = await tunnels.zeroTrust.tunnels.cloudflared.configurations
			.get('00000000-0000-4000-8000-000000000000', account)
			.catch((e: unknown) => e)
		expect(error).toBeInstanceOf(NotFoundError)
	})

	it('an HTML 502 throws InternalServerError without error items', async () => {
		running.standin.addFault({ path: '/**', kind: 'html', times: 1 })
		const error = await tunnels.zeroTrust.tunnels.cloudflared.configurations
			.get(DEFAULT_TUNNEL_ID, account)
			.catch((e: unknown) => e)
		expect(error).toBeInstanceOf(InternalServerError)
		expect((error as InternalServerError).status).toBe(502)
	})

	it('200 with success:false does not throw: the SDK returns null (docs/outside-apis.md, Cloudflare)', async () => {
		running.standin.addFault({ path: '/**', kind: 'success-false', times: 1 })
		const result = await tunnels.zeroTrust.tunnels.cloudflared.configurations.get(
			DEFAULT_TUNNEL_ID,
			account,
		)
		expect(result).toBeNull()
		const raw = await tunnels.zeroTrust.tunnels.cloudflared.configurations
			.get(DEFAULT_TUNNEL_ID, account)
			.asResponse()
		expect(raw.status).toBe(200)
	})
})
