-- Migration number: 0005 	 2026-11-27T09:00:00.000Z
-- Pre-flight ownership checks of pushed commits (docs/preflight.md): one row per commit, the
-- findings as JSON, so the dashboard and the Flux ledger can show what the check said about a revision.

CREATE TABLE preflight_results (
	commit_sha TEXT PRIMARY KEY,
	delivery_id TEXT,
	ref TEXT,
	-- clean; conflicts; incomplete (cut off by the bounds, nothing found in what was read); error
	status TEXT NOT NULL CHECK (status IN ('clean', 'conflicts', 'incomplete', 'error')),
	conflict_count INTEGER NOT NULL DEFAULT 0,
	files_changed INTEGER NOT NULL DEFAULT 0,
	files_checked INTEGER NOT NULL DEFAULT 0,
	-- why the check did not cover the whole push, when it did not
	cut_off TEXT,
	-- JSON array of findings: class, file, line, column, resource, owner, message, fix
	findings TEXT NOT NULL DEFAULT '[]',
	-- the tidegate/preflight commit status description
	summary TEXT NOT NULL,
	error TEXT,
	checked_at INTEGER NOT NULL
);
CREATE INDEX preflight_results_by_time ON preflight_results (checked_at);
