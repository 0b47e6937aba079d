/**
 * @module Fault injection for the Cloudflare stand-in: a fault matches method + path pattern,
 * fires N times or until cleared, and either answers in place of the API (an error status, a
 * 429, an HTML 5xx page, a 200 with "success": false, any JSON body) or acts before the API
 * answers (a delay, a hand edit — the race between a read and a write).
 */
import { z } from 'zod'
import { type SplitTunnelItem, splitTunnelListSchema, type TunnelConfig } from './schemas.ts'
import type { DnsRecordSeed, RouteSeed } from './seed.ts'

/**
 * A change made "in the dashboard", behind tidegate's back; the dashboard's checks apply (a
 * refused edit throws). Functions work through the method API only.
 */
export type HandEdit =
	| {
			kind: 'tunnel-config'
			accountId: string
			tunnelId: string
			/** The whole new configuration, or a function of the current one. Bumps the version. */
			config: TunnelConfig | ((current: TunnelConfig | null) => TunnelConfig)
	  }
	| {
			kind: 'split-tunnel'
			accountId: string
			/** A custom policy id; the default profile when omitted or `default`. */
			policyId?: string
			/** The profile's mode after the edit; defaults to its current mode (switching wipes the old list). */
			mode?: 'include' | 'exclude'
			/** The whole new list, or a function of the current one. */
			list: SplitTunnelItem[] | ((current: SplitTunnelItem[]) => SplitTunnelItem[])
	  }
	/** Adds a DNS record (`zone`: the zone's id or name). */
	| { kind: 'dns-record'; op: 'create'; zone: string; record: DnsRecordSeed }
	/** Changes the fields given of a record, as PATCH does. */
	| { kind: 'dns-record'; op: 'update'; zone: string; id: string; record: Partial<DnsRecordSeed> }
	/** Deletes a record. */
	| { kind: 'dns-record'; op: 'delete'; zone: string; id: string }
	/** Adds a private-network route (another team's tunnel must be known to the account). */
	| { kind: 'route'; op: 'create'; accountId: string; route: Omit<RouteSeed, 'tunnel_name'> }
	/** Changes the fields given of a route, as PATCH does. */
	| {
			kind: 'route'
			op: 'update'
			accountId: string
			id: string
			route: Partial<Omit<RouteSeed, 'id' | 'tunnel_name'>>
	  }
	/** Deletes a route (soft deletion, as the API does). */
	| { kind: 'route'; op: 'delete'; accountId: string; id: string }

/** What a fault does. */
export type FaultAction =
	/** Answer with this status and the Cloudflare error envelope (and `Retry-After` when given). */
	| { kind: 'status'; status: number; code?: number; message?: string; retryAfter?: number }
	/** Answer 429, code 971, with `Retry-After: <seconds>` when given. */
	| { kind: 'rate-limit'; retryAfter?: number }
	/** Answer with a Cloudflare-style HTML error page (`text/html`), 502 unless told. */
	| { kind: 'html'; status?: number }
	/** Answer 200 with `"success": false`, an error item and `result: null`. */
	| { kind: 'success-false'; code?: number; message?: string }
	/**
	 * Answer with any JSON body (an envelope whose result is null or lacks fields, a bare array…)
	 * and status, 200 unless told: the ambiguous answers a client must refuse.
	 */
	| { kind: 'body'; status?: number; body: unknown }
	/** Wait, then let the request through (or to the next matching fault). */
	| { kind: 'delay'; ms: number }
	/** Apply a hand edit, then let the request through: state moved between read and write. */
	| { kind: 'hand-edit'; edit: HandEdit }

/** Where and how often a fault fires. */
export interface FaultMatch {
	/** HTTP method; any when omitted. */
	method?: string
	/**
	 * Path relative to `/client/v4` (a full `/client/v4/...` path is accepted too). A `:name` or `*`
	 * segment matches one segment, `**` anything: `/accounts/:account/cfd_tunnel/:tunnel/configurations`.
	 */
	path: string
	/** How many requests it fires for; until cleared when omitted. */
	times?: number
}

/** A fault to install. */
export type FaultSpec = FaultMatch & FaultAction

/** An installed fault. */
export type Fault = FaultSpec & {
	id: string
	/** How many times it fired so far. */
	fired: number
}

const itemList = splitTunnelListSchema

// Record and route fields are checked by the stand-in as the API checks them.
const fields = z.looseObject({})

/** Checks a hand edit sent as JSON (values only, no functions). */
export const handEditSchema = z.discriminatedUnion('kind', [
	z.object({
		kind: z.literal('tunnel-config'),
		accountId: z.string(),
		tunnelId: z.string(),
		config: z.looseObject({}),
	}),
	z.object({
		kind: z.literal('split-tunnel'),
		accountId: z.string(),
		policyId: z.string().optional(),
		mode: z.enum(['include', 'exclude']).optional(),
		list: itemList,
	}),
	z.discriminatedUnion('op', [
		z.object({
			kind: z.literal('dns-record'),
			op: z.literal('create'),
			zone: z.string(),
			record: fields,
		}),
		z.object({
			kind: z.literal('dns-record'),
			op: z.literal('update'),
			zone: z.string(),
			id: z.string(),
			record: fields,
		}),
		z.object({
			kind: z.literal('dns-record'),
			op: z.literal('delete'),
			zone: z.string(),
			id: z.string(),
		}),
	]),
	z.discriminatedUnion('op', [
		z.object({
			kind: z.literal('route'),
			op: z.literal('create'),
			accountId: z.string(),
			route: fields,
		}),
		z.object({
			kind: z.literal('route'),
			op: z.literal('update'),
			accountId: z.string(),
			id: z.string(),
			route: fields,
		}),
		z.object({
			kind: z.literal('route'),
			op: z.literal('delete'),
			accountId: z.string(),
			id: z.string(),
		}),
	]),
])

const matchShape = {
	method: z.string().optional(),
	path: z.string().min(1),
	times: z.int().min(1).optional(),
}

/** Checks a fault sent as JSON to `POST /__standin/faults`. */
export const faultSpecSchema = z.discriminatedUnion('kind', [
	z.object({
		...matchShape,
		kind: z.literal('status'),
		status: z.int().min(200).max(599),
		code: z.int().optional(),
		message: z.string().optional(),
		retryAfter: z.int().min(0).optional(),
	}),
	z.object({ ...matchShape, kind: z.literal('rate-limit'), retryAfter: z.int().min(0).optional() }),
	z.object({
		...matchShape,
		kind: z.literal('html'),
		status: z.int().min(500).max(599).optional(),
	}),
	z.object({
		...matchShape,
		kind: z.literal('success-false'),
		code: z.int().optional(),
		message: z.string().optional(),
	}),
	z.object({
		...matchShape,
		kind: z.literal('body'),
		// 204, 205 and 304 cannot carry a body.
		status: z
			.int()
			.min(200)
			.max(599)
			.refine((s) => ![204, 205, 304].includes(s), 'a body needs a status that carries one')
			.optional(),
		body: z.json(),
	}),
	z.object({ ...matchShape, kind: z.literal('delay'), ms: z.int().min(0) }),
	z.object({ ...matchShape, kind: z.literal('hand-edit'), edit: handEditSchema }),
])

/** The API base path the stand-in serves. */
export const API_BASE_PATH = '/client/v4'

/** Turns a fault path pattern into an anchored regular expression over the full request path. */
export function pathPatternToRegExp(pattern: string): RegExp {
	let relative = pattern.startsWith(API_BASE_PATH) ? pattern.slice(API_BASE_PATH.length) : pattern
	if (!relative.startsWith('/')) {
		relative = `/${relative}`
	}
	const source = relative
		.split(/(\*\*|\*|(?<=\/):[^/]+)/)
		.map((part) => {
			if (part === '**') {
				return '.*'
			}
			if (part === '*' || part.startsWith(':')) {
				return '[^/]+'
			}
			return part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
		})
		.join('')
	return new RegExp(`^${API_BASE_PATH.replace(/\//g, '\\/')}${source}$`)
}

/** Whether a fault applies to this request. */
export function faultMatches(fault: FaultMatch, method: string, path: string): boolean {
	if (fault.method !== undefined && fault.method.toUpperCase() !== method.toUpperCase()) {
		return false
	}
	return pathPatternToRegExp(fault.path).test(path)
}

/** A Cloudflare-style HTML error page (the edge answers these, not the API). */
export function htmlErrorPage(status: number): string {
	const title =
		status === 502
			? '502 Bad Gateway'
			: status === 503
				? '503 Service Temporarily Unavailable'
				: status === 504
					? '504 Gateway Time-out'
					: `Error ${status}`
	if (status === 502 || status === 503 || status === 504) {
		return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n`
	}
	return `<!DOCTYPE html>
<html lang="en-US">
<head><meta charset="UTF-8"><title>api.cloudflare.com | ${status}: Web server is returning an unknown error</title></head>
<body>
<div id="cf-wrapper"><h1>Web server is returning an unknown error <span>Error code ${status}</span></h1>
<p>Visit <a href="https://www.cloudflare.com/">cloudflare.com</a> for more information.</p>
<p>Cloudflare Ray ID: <strong>8f00000000000000</strong></p></div>
</body>
</html>
`
}
