/**
 * @module Page-number pagination as the Cloudflare v4 list endpoints answer it (the SDK's
 * `V4PagePaginationArray`): `page` from 1, `per_page` within the endpoint's bounds, and
 * `result_info` with `page`, `per_page`, `count`, `total_count`, `total_pages`. A page past the
 * end is empty, which is what stops the SDK's auto-pagination.
 */

/** An endpoint's `per_page` bounds. */
export interface PageBounds {
	defaultPerPage: number
	minPerPage: number
	maxPerPage: number
}

/** `result_info` of a paginated list. */
export interface ResultInfo {
	page: number
	per_page: number
	count: number
	total_count: number
	/** At least 1, as Cloudflare reports an empty list. */
	total_pages: number
}

/** One page of a list, or why the query was refused. */
export type PageVerdict<T> =
	| { ok: true; result: T[]; resultInfo: ResultInfo }
	| { ok: false; message: string }

/** Cuts `items` to the page `query` asks for. */
export function paginate<T>(
	items: readonly T[],
	query: URLSearchParams,
	bounds: PageBounds,
): PageVerdict<T> {
	const page = wholeNumber(query.get('page'), 1)
	const perPage = wholeNumber(query.get('per_page'), bounds.defaultPerPage)
	if (page === null || page < 1) {
		return { ok: false, message: 'page must be a whole number of at least 1' }
	}
	if (perPage === null || perPage < bounds.minPerPage || perPage > bounds.maxPerPage) {
		return {
			ok: false,
			message: `per_page must be a whole number from ${bounds.minPerPage} to ${bounds.maxPerPage}`,
		}
	}
	const result = items.slice((page - 1) * perPage, page * perPage)
	return {
		ok: true,
		result,
		resultInfo: {
			page,
			per_page: perPage,
			count: result.length,
			total_count: items.length,
			total_pages: Math.max(1, Math.ceil(items.length / perPage)),
		},
	}
}

/** A boolean query parameter: undefined when absent, null when neither `true` nor `false`. */
export function booleanParam(query: URLSearchParams, key: string): boolean | undefined | null {
	const value = query.get(key)
	if (value === null) {
		return undefined
	}
	return value === 'true' ? true : value === 'false' ? false : null
}

function wholeNumber(text: string | null, fallback: number): number | null {
	if (text === null) {
		return fallback
	}
	return /^\d{1,9}$/.test(text) ? Number(text) : null
}
