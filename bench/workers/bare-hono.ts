/** The floor for the webhook benchmark: a bare Hono route in workerd that reads the body and answers 202. */
import { Hono } from 'hono'

const app = new Hono()
app.post('/webhooks/github', async (c) => {
	await c.req.arrayBuffer()
	return c.json({ status: 'queued' }, 202)
})

export default app
