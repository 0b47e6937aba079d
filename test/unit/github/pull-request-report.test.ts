/** Pull requests, pure parts: the webhook schema against GitHub's own examples, and the comment. */
import examples from '@octokit/webhooks-examples'
import { describe, expect, it } from 'vitest'
import type { PullRequestCheck } from '../../../src/domain/github/ports.ts'
import {
	COMMENT_MARKER,
	MAX_COMMENT_CHARS,
	renderComment,
} from '../../../src/domain/github/pull-request-report.ts'
import { pullRequestPayloadSchema } from '../../../src/webhooks/github.ts'

describe('the pull_request payload schema', () => {
	it('accepts every pull_request example GitHub publishes (@octokit/webhooks-examples)', () => {
		const definition = examples.find((d) => d.name === 'pull_request')
		const all = (definition?.examples ?? []) as unknown[]
		expect(all.length).toBeGreaterThan(20)
		for (const example of all) {
			const parsed = pullRequestPayloadSchema.safeParse(example)
			expect(parsed.success, JSON.stringify(parsed.error?.issues[0])).toBe(true)
		}
	})

	it('refuses a payload without the head commit', () => {
		const parsed = pullRequestPayloadSchema.safeParse({
			action: 'opened',
			number: 1,
			pull_request: { state: 'open', head: { ref: 'x', repo: null }, base: {} },
			repository: { full_name: 'o/r' },
		})
		expect(parsed.success).toBe(false)
	})
})

const check = (over: Partial<PullRequestCheck> = {}): PullRequestCheck => ({
	number: 4,
	headSha: 'abcdef0123456789abcdef0123456789abcdef01',
	headRepository: 'oceanid/gitops',
	baseRef: 'main',
	deliveryId: 'd',
	edge: { state: 'success', summary: 'merging applies tunnel: 1 added' },
	planText: 'tunnel t ingress\n  + a.example.com → http://a:80',
	planFingerprint: '[]',
	warnings: [],
	preflight: { state: 'failure', summary: '1 conflict | first: x.yaml:5' },
	findings: [],
	preflightCutOff: null,
	commentId: null,
	checkedAt: Date.parse('2026-12-01T10:00:00Z'),
	...over,
})
const contexts = { edge: 'tidegate/edge-plan', preflight: 'tidegate/preflight' }

describe('the pull-request comment', () => {
	it('starts with its marker, keeps table rows whole, and fences a plan that holds backticks', () => {
		const body = renderComment(
			check({ planText: 'split tunnel\n  + 10.1.0.0/16 "a ```odd``` name - oceanid"' }),
			contexts,
			'https://t.test/pulls/4/abcdef0',
		)
		expect(body.startsWith(`${COMMENT_MARKER}\n`)).toBe(true)
		expect(body).toContain('| `tidegate/preflight` | ❌ 1 conflict \\| first: x.yaml:5 |')
		expect(body).toContain('````\nsplit tunnel')
		expect(body).toContain('[The whole plan and every finding](https://t.test/pulls/4/abcdef0)')
	})

	it('stays under GitHub’s 65536 characters however long the plan, pointing at the whole one', () => {
		const huge = Array.from({ length: 5000 }, (_, i) => `  + host-${i}.example.com → http://x:80`)
		const body = renderComment(check({ planText: huge.join('\n') }), contexts, 'https://t.test/p')
		expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS)
		expect(body).toContain('… (cut here; the link below has the whole plan)')
		const unlinked = renderComment(check({ planText: huge.join('\n') }), contexts, null)
		expect(unlinked).toContain('… (cut here; too long for a comment)')
	})
})
