/**
 * @module GitHub webhook deliveries: the `X-Hub-Signature-256` check over the raw bytes, and the
 * payload schemas of the events tidegate acts on. Schemas are loose (GitHub adds fields over time)
 * but strict about what tidegate reads.
 */
import * as z from 'zod'
import { parseHex256, verifyHmacSha256 } from '../lib/secrets.ts'

/** The outcome of checking `X-Hub-Signature-256`. */
export type SignatureCheck = 'valid' | 'missing' | 'malformed' | 'mismatch'

/** Verifies `sha256=<64 lowercase hex>` against every configured secret (rotation), in constant time. */
export async function verifyGitHubSignature(
	header: string | null,
	body: Uint8Array,
	secrets: readonly string[],
): Promise<SignatureCheck> {
	if (header === null || header === '') {
		return 'missing'
	}
	// Strict on purpose: no whitespace, no uppercase, no second header folded in with a comma.
	const match = /^sha256=([0-9a-f]{64})$/.exec(header)
	const signature = match?.[1] === undefined ? undefined : parseHex256(match[1])
	if (!signature) {
		return 'malformed'
	}
	return (await verifyHmacSha256(secrets, body, signature)) ? 'valid' : 'mismatch'
}

const sha = z.string().regex(/^[0-9a-f]{40}$/, 'must be a 40-character commit sha')

// Nested objects keep only the fields tidegate reads: copying every other key of each commit and of
// the repository was half the cost of checking a push against its schema.
const commitSchema = z.object({
	id: sha,
	timestamp: z.string().optional(),
	message: z.string().optional(),
	added: z.array(z.string()).default([]),
	modified: z.array(z.string()).default([]),
	removed: z.array(z.string()).default([]),
})

/** The `push` fields tidegate reads (docs/outside-apis.md, GitHub: `push` fields). */
export const pushPayloadSchema = z.looseObject({
	ref: z.string().min(1),
	before: sha,
	after: sha,
	created: z.boolean().default(false),
	deleted: z.boolean().default(false),
	forced: z.boolean().default(false),
	repository: z.object({ full_name: z.string().min(1) }),
	commits: z.array(commitSchema).default([]),
	head_commit: commitSchema.nullish(),
	pusher: z.object({ name: z.string() }).optional(),
})

/** A parsed `push` payload. */
export type PushPayload = z.infer<typeof pushPayloadSchema>

const repositoryRef = z.looseObject({ full_name: z.string().min(1) })

/** The `pull_request` fields tidegate reads (any action; the intake decides which it acts on). */
export const pullRequestPayloadSchema = z.looseObject({
	action: z.string().min(1),
	number: z.number().int().positive(),
	pull_request: z.looseObject({
		state: z.enum(['open', 'closed']),
		draft: z.boolean().default(false),
		merged: z.boolean().nullish(),
		merge_commit_sha: sha.nullish(),
		// `repo` is null when the fork the head lives in was deleted.
		head: z.looseObject({ sha, ref: z.string(), repo: repositoryRef.nullable() }),
		base: z.looseObject({ sha, ref: z.string().min(1), repo: repositoryRef }),
	}),
	repository: repositoryRef,
})

/** A parsed `pull_request` payload. */
export type PullRequestPayload = z.infer<typeof pullRequestPayloadSchema>

/** The `ping` fields tidegate reads. */
export const pingPayloadSchema = z.looseObject({
	zen: z.string().optional(),
	hook_id: z.number().int().optional(),
	repository: z.looseObject({ full_name: z.string() }).optional(),
})
