-- Migration number: 0003 	 2026-11-27T09:00:00.000Z
-- The Flux deployment ledger: every notification-controller event, each object's state, its
-- failure → recovery spans, and per revision (usually a commit) each object's reconcile outcome.
-- Times are Unix milliseconds. Rules: src/domain/flux-ledger.ts; operator docs: docs/flux.md.

-- Per Flux object (kind/namespace/name): current state and the damped state alerts follow.
CREATE TABLE flux_objects (
	kind TEXT NOT NULL,
	namespace TEXT NOT NULL,
	name TEXT NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('ok', 'failing', 'unknown')),
	-- event time of the success/failure the state comes from; older events cannot change it
	state_at INTEGER,
	-- transitions.ts Track (JSON): the damped state, its candidate and streak
	track TEXT NOT NULL,
	last_event_at INTEGER NOT NULL,
	last_revision TEXT,
	last_commit TEXT,
	last_reason TEXT NOT NULL,
	last_message TEXT NOT NULL,
	failure_class TEXT,
	failing_since INTEGER,
	last_good_revision TEXT,
	last_good_commit TEXT,
	last_good_at INTEGER,
	events INTEGER NOT NULL,
	-- optimistic concurrency: a write applies only against the version it read; write_token lets
	-- the other statements of the same batch see whether the object write won
	version INTEGER NOT NULL,
	write_token TEXT NOT NULL,
	PRIMARY KEY (kind, namespace, name)
);
CREATE INDEX flux_objects_by_state ON flux_objects (state);

-- Every accepted event, deduplicated on the SHA-256 of its raw body (Flux sends no event id).
CREATE TABLE flux_events (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	body_hash TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL,
	namespace TEXT NOT NULL,
	name TEXT NOT NULL,
	uid TEXT,
	api_version TEXT,
	severity TEXT NOT NULL,
	reason TEXT NOT NULL,
	message TEXT NOT NULL,
	reporting_controller TEXT NOT NULL,
	reporting_instance TEXT,
	revision TEXT,
	commit_sha TEXT,
	commit_inferred INTEGER NOT NULL DEFAULT 0,
	-- where the outcome is filed (flux_outcomes), null for sources and unattributable events
	revision_key TEXT,
	outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'progress')),
	failure_class TEXT,
	occurred_at INTEGER NOT NULL,
	received_at INTEGER NOT NULL,
	-- older than the object's state when it arrived: recorded, but did not change the state
	stale INTEGER NOT NULL DEFAULT 0,
	metadata TEXT NOT NULL,
	body TEXT NOT NULL
);
CREATE INDEX flux_events_by_object ON flux_events (kind, namespace, name, id);
CREATE INDEX flux_events_by_revision_key ON flux_events (revision_key, id);
CREATE INDEX flux_events_by_class ON flux_events (failure_class, id);
CREATE INDEX flux_events_by_commit ON flux_events (commit_sha);
-- the newest commit Kustomizations applied before a HelmRelease event (commit inference)
CREATE INDEX flux_events_kustomization_commits ON flux_events (kind, occurred_at)
	WHERE commit_sha IS NOT NULL AND commit_inferred = 0;

-- Failure → recovery spans per object (recovered_at null while still failing).
CREATE TABLE flux_failures (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	kind TEXT NOT NULL,
	namespace TEXT NOT NULL,
	name TEXT NOT NULL,
	failed_at INTEGER NOT NULL,
	failed_revision TEXT,
	failure_class TEXT NOT NULL,
	message TEXT NOT NULL,
	recovered_at INTEGER,
	recovered_revision TEXT,
	recover_ms INTEGER
);
CREATE INDEX flux_failures_by_object ON flux_failures (kind, namespace, name, failed_at);

-- Revisions Flux reported on (a commit, or a chart version / OCI digest when no commit is known).
CREATE TABLE flux_revisions (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	revision_key TEXT NOT NULL UNIQUE,
	revision TEXT,
	commit_sha TEXT,
	first_event_at INTEGER NOT NULL,
	last_event_at INTEGER NOT NULL
);
CREATE INDEX flux_revisions_by_commit ON flux_revisions (commit_sha);

-- One row per object × revision: its reconcile outcome there (counted once in the success rate).
CREATE TABLE flux_outcomes (
	revision_key TEXT NOT NULL,
	kind TEXT NOT NULL,
	namespace TEXT NOT NULL,
	name TEXT NOT NULL,
	revision TEXT,
	commit_inferred INTEGER NOT NULL DEFAULT 0,
	-- the newest success/failure by event time decides; progress alone is pending
	outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'pending')),
	failure_class TEXT,
	message TEXT,
	first_event_at INTEGER NOT NULL,
	last_event_at INTEGER NOT NULL,
	decided_at INTEGER,
	succeeded_at INTEGER,
	failures INTEGER NOT NULL DEFAULT 0,
	events INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (revision_key, kind, namespace, name)
);
CREATE INDEX flux_outcomes_by_decision ON flux_outcomes (decided_at);
CREATE INDEX flux_outcomes_by_object ON flux_outcomes (kind, namespace, name);

-- Joining Flux revisions with the push that carried them looks pushes up by commit.
CREATE INDEX IF NOT EXISTS github_deliveries_by_after_sha ON github_deliveries (after_sha);
