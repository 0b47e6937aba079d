/**
 * @module In-memory git objects for the GitHub stand-in. Blob, tree and commit SHAs are computed
 * exactly as git computes them (SHA-1 over `<type> <size>\0<body>`, via WebCrypto), so a blob SHA
 * from the contents API is the one `git hash-object` would print for the same bytes.
 */

/** File content as a push gives it: text (UTF-8) or raw bytes. */
export type FileContent = string | Uint8Array

/** A file at one commit. */
export interface GitBlob {
	sha: string
	bytes: Uint8Array
}

/** Author or committer of a commit; `date` is Unix milliseconds. */
export interface GitSignature {
	name: string
	email: string
	date: number
}

/** One file changed by a commit against its first parent, counted in lines like GitHub does. */
export interface GitFileChange {
	filename: string
	status: 'added' | 'modified' | 'removed'
	additions: number
	deletions: number
	changes: number
	/** The new blob SHA, or the removed blob's SHA for a removal. */
	sha: string
}

/** A commit with the full snapshot of its tree. */
export interface GitCommit {
	sha: string
	treeSha: string
	parents: string[]
	message: string
	author: GitSignature
	committer: GitSignature
	/** Every file of the tree, by repository-relative path. */
	files: ReadonlyMap<string, GitBlob>
	/** Tree SHA of every directory, by path (`''` is the root). */
	trees: ReadonlyMap<string, string>
	/** Changes against the first parent (all files are `added` for a root commit). */
	changes: GitFileChange[]
}

/** What a new commit changes: `null` deletes the path. */
export type FileEdits = Readonly<Record<string, FileContent | null>>

const encoder = new TextEncoder()

/** Lowercase hex of some bytes. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
	const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
	let out = ''
	for (const byte of view) {
		out += byte.toString(16).padStart(2, '0')
	}
	return out
}

function fromHex(hex: string): Uint8Array {
	const out = new Uint8Array(hex.length / 2)
	for (let i = 0; i < out.length; i++) {
		out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
	}
	return out
}

function concat(parts: Uint8Array[]): Uint8Array {
	const total = parts.reduce((sum, part) => sum + part.length, 0)
	const out = new Uint8Array(total)
	let offset = 0
	for (const part of parts) {
		out.set(part, offset)
		offset += part.length
	}
	return out
}

/** SHA-1 of some bytes, as lowercase hex. */
export async function sha1Hex(bytes: Uint8Array): Promise<string> {
	return toHex(await crypto.subtle.digest('SHA-1', bytes))
}

async function hashObject(type: 'blob' | 'tree' | 'commit', body: Uint8Array): Promise<string> {
	return sha1Hex(concat([encoder.encode(`${type} ${body.length}\0`), body]))
}

/** Bytes of a file content (strings are UTF-8). */
export function contentBytes(content: FileContent): Uint8Array {
	return typeof content === 'string' ? encoder.encode(content) : content
}

/** The git blob for a content. */
export async function makeBlob(content: FileContent): Promise<GitBlob> {
	const bytes = contentBytes(content)
	return { sha: await hashObject('blob', bytes), bytes }
}

/** Checks a repository-relative path; returns a reason when it is not one. */
export function invalidPath(path: string): string | undefined {
	if (path === '') {
		return 'empty path'
	}
	if (path.startsWith('/') || path.endsWith('/')) {
		return 'path must not start or end with "/"'
	}
	for (const segment of path.split('/')) {
		if (segment === '' || segment === '.' || segment === '..' || segment === '.git') {
			return `invalid path segment "${segment}"`
		}
	}
	return undefined
}

interface TreeNode {
	files: Map<string, GitBlob>
	dirs: Map<string, TreeNode>
}

function buildTree(files: ReadonlyMap<string, GitBlob>): TreeNode {
	const root: TreeNode = { files: new Map(), dirs: new Map() }
	for (const [path, blob] of files) {
		const segments = path.split('/')
		const name = segments.pop() ?? path
		let node = root
		for (const segment of segments) {
			let next = node.dirs.get(segment)
			if (!next) {
				next = { files: new Map(), dirs: new Map() }
				node.dirs.set(segment, next)
			}
			node = next
		}
		node.files.set(name, blob)
	}
	return root
}

async function hashTree(node: TreeNode, path: string, out: Map<string, string>): Promise<string> {
	// Git sorts tree entries by name, comparing a directory as if its name ended in "/".
	const entries: { key: string; mode: string; name: string; sha: string }[] = []
	for (const [name, blob] of node.files) {
		entries.push({ key: name, mode: '100644', name, sha: blob.sha })
	}
	for (const [name, child] of node.dirs) {
		const sha = await hashTree(child, path === '' ? name : `${path}/${name}`, out)
		entries.push({ key: `${name}/`, mode: '40000', name, sha })
	}
	entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
	const body = concat(
		entries.flatMap((entry) => [
			encoder.encode(`${entry.mode} ${entry.name}\0`),
			fromHex(entry.sha),
		]),
	)
	const sha = await hashObject('tree', body)
	out.set(path, sha)
	return sha
}

function signatureLine(kind: 'author' | 'committer', who: GitSignature): string {
	return `${kind} ${who.name} <${who.email}> ${Math.floor(who.date / 1000)} +0000`
}

function isBinary(bytes: Uint8Array): boolean {
	return bytes.includes(0)
}

function lines(bytes: Uint8Array): string[] {
	if (bytes.length === 0) {
		return []
	}
	const text = new TextDecoder().decode(bytes)
	const all = text.split('\n')
	if (all.at(-1) === '') {
		all.pop()
	}
	return all
}

/** Longest common subsequence length of two line lists (one rolling row, so memory stays small). */
function lcsLength(a: string[], b: string[]): number {
	const row = new Array<number>(b.length + 1).fill(0)
	for (let i = 1; i <= a.length; i++) {
		let diagonal = 0
		for (let j = 1; j <= b.length; j++) {
			const above = row[j] ?? 0
			row[j] = a[i - 1] === b[j - 1] ? diagonal + 1 : Math.max(above, row[j - 1] ?? 0)
			diagonal = above
		}
	}
	return row[b.length] ?? 0
}

/** Added and deleted line counts between two versions of a file (binary files count 0, as on GitHub). */
export function lineDelta(
	before: Uint8Array | undefined,
	after: Uint8Array | undefined,
): { additions: number; deletions: number } {
	if ((before && isBinary(before)) || (after && isBinary(after))) {
		return { additions: 0, deletions: 0 }
	}
	const a = before ? lines(before) : []
	const b = after ? lines(after) : []
	// Past a few million cells the exact count is not worth the time: report a full rewrite.
	const common = a.length * b.length > 4_000_000 ? 0 : lcsLength(a, b)
	return { additions: b.length - common, deletions: a.length - common }
}

/** Builds the next commit on top of `parent` (or a root commit) and computes its SHA like git. */
export async function createCommit(input: {
	parent: GitCommit | undefined
	edits: FileEdits
	message: string
	author: GitSignature
	committer: GitSignature
}): Promise<GitCommit> {
	const { parent, edits } = input
	const files = new Map(parent?.files ?? [])
	const changes: GitFileChange[] = []
	for (const [path, content] of Object.entries(edits).sort(([a], [b]) => (a < b ? -1 : 1))) {
		const reason = invalidPath(path)
		if (reason) {
			throw new Error(`github standin: ${reason}: ${JSON.stringify(path)}`)
		}
		const previous = files.get(path)
		if (content === null) {
			if (!previous) {
				throw new Error(`github standin: cannot delete ${path}: no such file`)
			}
			files.delete(path)
			const delta = lineDelta(previous.bytes, undefined)
			changes.push({
				filename: path,
				status: 'removed',
				...delta,
				changes: delta.deletions,
				sha: previous.sha,
			})
			continue
		}
		const blob = await makeBlob(content)
		if (previous?.sha === blob.sha) {
			continue
		}
		files.set(path, blob)
		const delta = lineDelta(previous?.bytes, blob.bytes)
		changes.push({
			filename: path,
			status: previous ? 'modified' : 'added',
			...delta,
			changes: delta.additions + delta.deletions,
			sha: blob.sha,
		})
	}
	for (const path of files.keys()) {
		// A file may not also be a directory (`a` and `a/b` cannot both exist).
		const segments = path.split('/')
		for (let i = 1; i < segments.length; i++) {
			const prefix = segments.slice(0, i).join('/')
			if (files.has(prefix)) {
				throw new Error(
					`github standin: ${path} needs ${prefix} to be a directory, but it is a file`,
				)
			}
		}
	}
	const trees = new Map<string, string>()
	const treeSha = await hashTree(buildTree(files), '', trees)
	const parents = parent ? [parent.sha] : []
	const message = input.message
	const text = [
		`tree ${treeSha}`,
		...parents.map((sha) => `parent ${sha}`),
		signatureLine('author', input.author),
		signatureLine('committer', input.committer),
		'',
		message.endsWith('\n') ? message : `${message}\n`,
	].join('\n')
	const sha = await hashObject('commit', encoder.encode(text))
	return {
		sha,
		treeSha,
		parents,
		message,
		author: input.author,
		committer: input.committer,
		files,
		trees,
		changes,
	}
}
