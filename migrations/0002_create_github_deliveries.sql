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

-- Redeliveries tidegate asked GitHub for (GitHub never retries on its own): one row per failed delivery.
CREATE TABLE redelivery_requests (
	guid TEXT PRIMARY KEY,
	attempt_id INTEGER NOT NULL,
	event TEXT,
	failed_status_code INTEGER,
	requested_at INTEGER NOT NULL,
	outcome TEXT NOT NULL
);

-- Pushes forwarded to the in-cluster Flux Receiver (FLUX_RECEIVER_URL), so Flux pulls within seconds.
CREATE TABLE receiver_notifications (
	delivery_id TEXT PRIMARY KEY,
	commit_sha TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
	attempts INTEGER NOT NULL DEFAULT 0,
	last_error TEXT,
	updated_at INTEGER NOT NULL
);
