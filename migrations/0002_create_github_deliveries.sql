-- Migration number: 0002 	 2026-11-26T12:00:00.000Z
-- Every verified GitHub delivery, for idempotency (X-GitHub-Delivery) and the missed-delivery repair.

CREATE TABLE github_deliveries (
	delivery_id TEXT PRIMARY KEY,
	event TEXT NOT NULL,
	-- received: recorded, not yet queued (a redelivery of it is processed again); queued; ignored; ping
	status TEXT NOT NULL CHECK (status IN ('received', 'queued', 'ignored', 'ping')),
	reason TEXT,
	ref TEXT,
	after_sha TEXT,
	run_id INTEGER REFERENCES runs (id),
	hook_id TEXT,
	received_at INTEGER NOT NULL
);
CREATE INDEX github_deliveries_by_time ON github_deliveries (received_at);
