/** @module Fault injection for the GitHub stand-in: which requests fail, how, and how often. */
import { z } from 'zod'

/**
 * How a matched request fails:
 * - `status`: the given status with GitHub's error body (`message` defaults to the reason phrase);
 * - `server-error`: a 5xx (default 500);
 * - `secondary-rate-limit`: 403 (or `status: 429`) with `retry-after` and GitHub's secondary-limit message;
 * - `primary-rate-limit`: 403 with `x-ratelimit-remaining: 0` and a `x-ratelimit-reset` in the future;
 * - `delay`: no failure, the request is answered normally after `delayMs`.
 */
export type FaultKind =
	| 'status'
	| 'server-error'
	| 'secondary-rate-limit'
	| 'primary-rate-limit'
	| 'delay'

/** Schema of a fault as given to `addFault` or `POST /__standin/faults`. */
export const faultSpecSchema = z.strictObject({
	/** HTTP method, case-insensitive; `*` (default) matches any. */
	method: z.string().min(1).optional(),
	/** Glob over the URL path: `*` stays within one segment, `**` crosses segments. */
	path: z.string().min(1),
	kind: z.enum(['status', 'server-error', 'secondary-rate-limit', 'primary-rate-limit', 'delay']),
	/** How many matching requests fail (default 1), or `always` until cleared. */
	times: z.union([z.number().int().positive(), z.literal('always')]).optional(),
	/** Let this many matching requests through before failing (default 0). */
	skip: z.number().int().nonnegative().optional(),
	status: z.number().int().min(400).max(599).optional(),
	message: z.string().optional(),
	/** Seconds for `retry-after` (secondary rate limit; default 60). */
	retryAfter: z.number().int().nonnegative().optional(),
	/** Seconds until `x-ratelimit-reset` (primary rate limit; default 60). */
	resetAfter: z.number().int().nonnegative().optional(),
	/** Delay before answering; for `delay` the only effect, for other kinds added before the failure. */
	delayMs: z.number().int().nonnegative().optional(),
})

/** A fault as the caller describes it. */
export type FaultSpec = z.infer<typeof faultSpecSchema>

/** A registered fault with its counters. */
export interface Fault extends FaultSpec {
	id: number
	/** Matching requests seen so far (skipped ones included). */
	seen: number
	/** Requests this fault has failed (or delayed) so far. */
	hits: number
}

/** A path glob as an anchored RegExp: `*` stays within one segment, `**` crosses segments. */
export function globToRegExp(glob: string): RegExp {
	let source = ''
	for (let i = 0; i < glob.length; i++) {
		const char = glob[i] ?? ''
		if (char === '*') {
			if (glob[i + 1] === '*') {
				source += '.*'
				i++
			} else {
				source += '[^/]*'
			}
		} else {
			source += char.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
		}
	}
	return new RegExp(`^${source}$`)
}

/** The registered faults, consumed in registration order. */
export function createFaultList() {
	let nextId = 1
	let faults: (Fault & { pattern: RegExp })[] = []
	return {
		/** Registers a fault; throws on an invalid spec. */
		add(spec: FaultSpec): Fault {
			const parsed = faultSpecSchema.parse(spec)
			const fault = {
				...parsed,
				id: nextId++,
				seen: 0,
				hits: 0,
				pattern: globToRegExp(parsed.path),
			}
			faults.push(fault)
			return publicFault(fault)
		},
		/** The fault that takes this request, if any (and counts it). */
		take(method: string, path: string): Fault | undefined {
			for (const fault of faults) {
				const wanted = (fault.method ?? '*').toUpperCase()
				if ((wanted !== '*' && wanted !== method.toUpperCase()) || !fault.pattern.test(path)) {
					continue
				}
				fault.seen++
				if (fault.seen <= (fault.skip ?? 0)) {
					continue
				}
				const times = fault.times ?? 1
				if (times !== 'always' && fault.hits >= times) {
					continue
				}
				fault.hits++
				return publicFault(fault)
			}
			return undefined
		},
		/** All faults, spent ones included. */
		list(): Fault[] {
			return faults.map(publicFault)
		},
		/** Removes one fault (by id) or all. */
		clear(id?: number): void {
			faults = id === undefined ? [] : faults.filter((fault) => fault.id !== id)
		},
	}
}

function publicFault(fault: Fault & { pattern?: RegExp }): Fault {
	const { pattern: _pattern, ...rest } = fault
	return { ...rest }
}
