/**
 * The device-profile split-tunnel endpoints behind the SplitTunnelApi port: mapping and checking.
 * The mode is read explicitly from the profile (it carries `include` or `exclude`, never both), and
 * the profile's copy of that list must agree with the list endpoint's (same addresses, hosts and
 * descriptions): an answer that says neither mode or both, a list that is null or absent, or two
 * answers that disagree (one empty, one cut short, one missing a field) is unreadable — never a
 * list to write over.
 */
import * as z from 'zod'
import type { ProfileRef, SplitTunnelApi } from '../../domain/edge/ports.ts'
import type { SplitTunnelEntry, SplitTunnelMode } from '../../domain/edge/state.ts'
import { err, ok } from '../../lib/result.ts'
import type { createDevicesClient } from './client.ts'
import { classifyError, readResult, type TokenIdentity, unreadable } from './envelope.ts'

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

const listSchema = z.array(entrySchema)

/** SplitTunnelApi over the official SDK. */
export function cloudflareSplitTunnelApi(
	client: ReturnType<typeof createDevicesClient>,
): SplitTunnelApi {
	const policies = client.zeroTrust.devices.policies
	const profile = (ref: ProfileRef) =>
		ref.policy === 'default'
			? policies.default.get({ account_id: ref.accountId })
			: policies.custom.get(ref.policy, { account_id: ref.accountId })
	const list = (ref: ProfileRef, mode: SplitTunnelMode) => {
		const lists = ref.policy === 'default' ? policies.default : policies.custom
		const endpoint = mode === 'include' ? lists.includes : lists.excludes
		return ref.policy === 'default'
			? (endpoint as typeof policies.default.includes).get({ account_id: ref.accountId })
			: (endpoint as typeof policies.custom.includes).get(ref.policy, {
					account_id: ref.accountId,
				})
	}
	const put = (ref: ProfileRef, mode: SplitTunnelMode, body: SplitTunnelEntry[]) => {
		// The SDK types each item as exactly {address|host, description}; foreign entries may carry more.
		const items = body as Parameters<typeof policies.default.includes.update>[0]['body']
		const lists = ref.policy === 'default' ? policies.default : policies.custom
		const endpoint = mode === 'include' ? lists.includes : lists.excludes
		return ref.policy === 'default'
			? (endpoint as typeof policies.default.includes).update({
					account_id: ref.accountId,
					body: items,
				})
			: (endpoint as typeof policies.custom.includes).update(ref.policy, {
					account_id: ref.accountId,
					body: items,
				})
	}

	return {
		async get(ref) {
			try {
				const settings = await readResult(await profile(ref).asResponse(), profileSchema)
				if (!settings.ok) {
					return settings
				}
				const { include, exclude } = settings.value
				const hasInclude = Array.isArray(include)
				if (hasInclude === Array.isArray(exclude)) {
					return err(
						unreadable(
							`the device profile does not say its split-tunnel mode (it carries ${hasInclude ? 'both an include and an exclude list' : 'neither an include nor an exclude list'}); tidegate never guesses the mode`,
						),
					)
				}
				const mode: SplitTunnelMode = hasInclude ? 'include' : 'exclude'
				const entries = await readResult(await list(ref, mode).asResponse(), listSchema)
				if (!entries.ok) {
					return entries
				}
				const listed = (hasInclude ? include : exclude) ?? []
				if (!sameEntries(listed, entries.value)) {
					return err(
						unreadable(
							`the device profile lists ${listed.length} ${mode} entries but its ${mode} list answered ${entries.value.length} that differ; the two answers disagree, so neither is taken`,
						),
					)
				}
				return ok({ mode, entries: entries.value })
			} catch (e) {
				return err(classifyError(e, TOKEN))
			}
		},
		async put(ref, mode, entries) {
			try {
				return await readResult(await put(ref, mode, entries).asResponse(), listSchema)
			} catch (e) {
				return err(classifyError(e, TOKEN))
			}
		},
	}
}

/** The same entries (address, host, description), in any order. */
function sameEntries(a: readonly SplitTunnelEntry[], b: readonly SplitTunnelEntry[]): boolean {
	const text = (list: readonly SplitTunnelEntry[]) =>
		list
			.map((e) => JSON.stringify([e.address ?? null, e.host ?? null, e.description ?? null]))
			.sort()
			.join('\n')
	return a.length === b.length && text(a) === text(b)
}
