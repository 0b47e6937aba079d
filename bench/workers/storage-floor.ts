/**
 * The storage floor for the webhook benchmark: the least any Worker can do for what tidegate needs
 * of intake on the storage side, one D1 dedupe insert and one queue send, with no verification or
 * parsing. On the local stack both are simulators in the same workerd process, so this is the
 * ceiling any intake that dedupes in D1 and enqueues can reach here.
 */
// The shapes used, typed here: bench/ is checked by the Node program, which has no Workers types.
interface FloorEnv {
	DB: { prepare(sql: string): { bind(...values: unknown[]): { first(): Promise<unknown> } } }
	JOBS: { send(body: unknown, options: { contentType: 'json' }): Promise<void> }
}

export default {
	async fetch(request: Request, env: FloorEnv): Promise<Response> {
		await request.arrayBuffer()
		const deliveryId = request.headers.get('x-github-delivery') ?? crypto.randomUUID()
		const claimed = await env.DB.prepare(
			'INSERT INTO deliveries (id) VALUES (?1) ON CONFLICT (id) DO NOTHING RETURNING id',
		)
			.bind(deliveryId)
			.first()
		if (!claimed) {
			return Response.json({ deliveryId, duplicate: true })
		}
		await env.JOBS.send({ deliveryId }, { contentType: 'json' })
		return Response.json({ deliveryId, status: 'queued' }, { status: 202 })
	},
}
