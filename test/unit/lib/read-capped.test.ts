/**
 * The one capped body reader (src/lib/read-capped.ts), used by the webhooks, the Worker's agent
 * client and the agent itself (its request bodies and its peers' answers): one table.
 */
import { describe, expect, it } from 'vitest'
import { readCapped } from '../../../src/lib/read-capped.ts'

/** A body that yields `chunks` on demand and records what the reader did to it. */
function source(chunks: (number | Error)[]) {
	const seen = { pulls: 0, cancelled: false }
	const queue = [...chunks]
	// highWaterMark 0: the source is pulled only when the reader asks, so `pulls` counts the reader's
	// reads, and a stream is still open (cancellable) when the reader gives up on it.
	const stream = new ReadableStream<Uint8Array>(
		{
			pull(controller) {
				seen.pulls++
				const next = queue.shift()
				if (next === undefined) {
					controller.close()
				} else if (next instanceof Error) {
					controller.error(next)
				} else {
					controller.enqueue(new Uint8Array(next).fill(120))
				}
			},
			cancel() {
				seen.cancelled = true
			},
		},
		{ highWaterMark: 0 },
	)
	return { stream, seen }
}

const LIMIT = 10

const ROWS: {
	name: string
	chunks: (number | Error)[] | null
	contentLength?: string
	aborted?: boolean
	expected: { bytes: number } | { kind: 'too_large' | 'unreadable'; message?: string }
	cancelled?: boolean
	pulls?: number
}[] = [
	{ name: 'no body at all', chunks: null, expected: { bytes: 0 } },
	{ name: 'an empty body', chunks: [], expected: { bytes: 0 } },
	{ name: 'exactly the cap, in chunks', chunks: [4, 4, 2], expected: { bytes: 10 } },
	{
		name: 'one byte over the cap, streamed: cancelled there',
		chunks: [6, 5, 100, 100],
		expected: { kind: 'too_large' },
		cancelled: true,
		pulls: 2,
	},
	{
		name: 'a declared length over the cap: refused before reading',
		chunks: [1],
		contentLength: '11',
		expected: { kind: 'too_large' },
		cancelled: true,
		pulls: 0,
	},
	{
		name: 'a declared length that lies low: still counted',
		chunks: [8, 8],
		contentLength: '2',
		expected: { kind: 'too_large' },
		cancelled: true,
	},
	{
		name: 'a length that is not a number: ignored, the bytes are counted',
		chunks: [3],
		contentLength: '1e9',
		expected: { bytes: 3 },
	},
	{
		name: 'a stream that fails half-way',
		chunks: [3, new Error('connection reset')],
		expected: { kind: 'unreadable', message: 'connection reset' },
	},
	{
		name: 'an aborted signal: stops before the next chunk',
		chunks: [3],
		aborted: true,
		expected: { kind: 'unreadable', message: 'gave up' },
		cancelled: true,
	},
]

describe('readCapped', () => {
	for (const row of ROWS) {
		it(row.name, async () => {
			const body = row.chunks === null ? null : source(row.chunks)
			const controller = new AbortController()
			if (row.aborted) {
				controller.abort(new Error('gave up'))
			}
			const read = await readCapped(body?.stream ?? null, LIMIT, {
				contentLength: row.contentLength,
				signal: controller.signal,
			})
			if ('bytes' in row.expected) {
				expect(read).toEqual({ ok: true, value: expect.any(Uint8Array) })
				expect(read.ok && read.value.byteLength).toBe(row.expected.bytes)
			} else {
				expect(read.ok).toBe(false)
				expect(!read.ok && read.error).toMatchObject({
					kind: row.expected.kind,
					...(row.expected.kind === 'too_large' ? { limit: LIMIT } : {}),
					...(row.expected.message ? { message: row.expected.message } : {}),
				})
			}
			if (row.cancelled !== undefined) {
				expect(body?.seen.cancelled).toBe(row.cancelled)
			}
			if (row.pulls !== undefined) {
				expect(body?.seen.pulls).toBe(row.pulls)
			}
		})
	}
})
