/** The device-profile split-tunnel endpoints behind the SplitTunnelApi port: mapping and checking only. */
import { z } from 'zod'
import type { ProfileRef, SplitTunnelApi } from '../../domain/edge/ports.ts'
import type { SplitTunnelEntry } from '../../domain/edge/state.ts'
import { err, ok } from '../../lib/result.ts'
import type { createDevicesClient } from './client.ts'
import { classifyError, readResult, type TokenIdentity } from './envelope.ts'

const TOKEN: TokenIdentity = {
	name: 'CF_ZERO_TRUST_API_TOKEN',
	permission: 'Account › Zero Trust › Edit',
}

// Entries are kept whole (looseObject), so other teams' entries round-trip exactly.
const entrySchema = z.looseObject({
	address: z.string().optional(),
	host: z.string().optional(),
	description: z.string().optional(),
})

const profileSchema = z.looseObject({
	include: z.array(entrySchema).nullish(),
	exclude: z.array(entrySchema).nullish(),
})

/** SplitTunnelApi over the official SDK. */
export function cloudflareSplitTunnelApi(
	client: ReturnType<typeof createDevicesClient>,
): SplitTunnelApi {
	const policies = client.zeroTrust.devices.policies
	const profile = (ref: ProfileRef) =>
		ref.policy === 'default'
			? policies.default.get({ account_id: ref.accountId })
			: policies.custom.get(ref.policy, { account_id: ref.accountId })
	const getInclude = (ref: ProfileRef) =>
		ref.policy === 'default'
			? policies.default.includes.get({ account_id: ref.accountId })
			: policies.custom.includes.get(ref.policy, { account_id: ref.accountId })
	const putInclude = (ref: ProfileRef, body: SplitTunnelEntry[]) => {
		// The SDK types each item as exactly {address|host, description}; foreign entries may carry more.
		const items = body as Parameters<typeof policies.default.includes.update>[0]['body']
		return ref.policy === 'default'
			? policies.default.includes.update({ account_id: ref.accountId, body: items })
			: policies.custom.includes.update(ref.policy, { account_id: ref.accountId, body: items })
	}

	return {
		async get(ref) {
			try {
				const settings = await readResult(await profile(ref).asResponse(), profileSchema)
				if (!settings.ok) {
					return settings
				}
				const excludeCount = settings.value.exclude?.length ?? 0
				// A profile reports one list: an exclude list without an include list means exclude mode.
				if (excludeCount > 0 && (settings.value.include?.length ?? 0) === 0) {
					return ok({ mode: 'exclude' as const, include: [], excludeCount })
				}
				const include = await readResult(
					await getInclude(ref).asResponse(),
					z.array(entrySchema).nullable(),
				)
				if (!include.ok) {
					return include
				}
				return ok({ mode: 'include' as const, include: include.value ?? [], excludeCount })
			} catch (e) {
				return err(classifyError(e, TOKEN))
			}
		},
		async putInclude(ref, entries) {
			try {
				const stored = await readResult(
					await putInclude(ref, entries).asResponse(),
					z.array(entrySchema),
				)
				return stored
			} catch (e) {
				return err(classifyError(e, TOKEN))
			}
		},
	}
}
