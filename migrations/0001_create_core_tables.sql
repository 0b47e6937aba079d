-- Migration number: 0001 	 2026-11-26T11:30:00.000Z
-- Core bookkeeping: reconcile runs, what was applied, cron ticks, operator settings, dead letters.
-- Times are Unix milliseconds (INTEGER); JSON documents are TEXT. Layout: docs/storage.md.

CREATE TABLE runs (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	trigger TEXT NOT NULL CHECK (trigger IN ('push', 'drift', 'api', 'rollback')),
	status TEXT NOT NULL CHECK (
		status IN ('queued', 'running', 'in_sync', 'applied', 'planned', 'drift_reported', 'suspended', 'refused', 'failed', 'dead')
	),
	dry_run INTEGER NOT NULL DEFAULT 0,
	force INTEGER NOT NULL DEFAULT 0,
	commit_sha TEXT,
	delivery_id TEXT,
	attempts INTEGER NOT NULL DEFAULT 0,
	summary TEXT,
	plan TEXT,
	warnings TEXT,
	api_calls TEXT,
	error_code TEXT,
	error_message TEXT,
	queued_at INTEGER NOT NULL,
	started_at INTEGER,
	finished_at INTEGER,
	duration_ms INTEGER
);
CREATE INDEX runs_by_status ON runs (status, id);
CREATE INDEX runs_by_commit ON runs (commit_sha);

-- Every document tidegate PUT to Cloudflare, newest last per resource: the "last applied" state and rollback history.
CREATE TABLE applications (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	resource TEXT NOT NULL,
	run_id INTEGER NOT NULL REFERENCES runs (id),
	commit_sha TEXT,
	document TEXT NOT NULL,
	remote_version INTEGER,
	applied_at INTEGER NOT NULL
);
CREATE INDEX applications_by_resource ON applications (resource, id);

CREATE TABLE cron_ticks (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	cron TEXT NOT NULL,
	job TEXT NOT NULL,
	scheduled_at INTEGER NOT NULL,
	started_at INTEGER NOT NULL,
	finished_at INTEGER,
	outcome TEXT,
	detail TEXT
);
CREATE INDEX cron_ticks_by_job ON cron_ticks (job, id);

CREATE TABLE settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL,
	updated_at INTEGER NOT NULL
);

-- Queue messages whose retries were spent or that could never be processed: kept, never dropped.
CREATE TABLE dead_letters (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	message_id TEXT NOT NULL UNIQUE,
	queue TEXT NOT NULL,
	kind TEXT,
	body TEXT NOT NULL,
	reason TEXT NOT NULL,
	attempts INTEGER NOT NULL,
	received_at INTEGER NOT NULL
);
