-- Migration number: 0007 	 2026-12-01T09:00:00.000Z
-- Review before merge and closing the loop (docs/preflight.md "On pull requests", docs/flux.md
-- "tidegate/deploy", docs/alerts.md): the checks of each pull request head, the
-- merges that turned a checked head into a commit of the tracked branch, the last tidegate/deploy
-- status of each commit, and the damped state of each run alert.

-- One row per pull request head: both verdicts, the plan as shown, the findings, the comment used.
CREATE TABLE pull_request_checks (
	pr_number INTEGER NOT NULL,
	head_sha TEXT NOT NULL,
	head_repository TEXT,
	base_ref TEXT NOT NULL,
	delivery_id TEXT NOT NULL,
	edge_state TEXT NOT NULL CHECK (edge_state IN ('success', 'failure', 'error')),
	edge_summary TEXT NOT NULL,
	-- the rendered plan, and what it would change as canonical JSON (compared with the merge's run)
	plan_text TEXT,
	plan_fingerprint TEXT,
	-- JSON array of strings
	warnings TEXT NOT NULL DEFAULT '[]',
	preflight_state TEXT NOT NULL CHECK (preflight_state IN ('success', 'failure', 'error')),
	preflight_summary TEXT NOT NULL,
	-- JSON array of pre-flight findings (class, file, line, resource, owner, message, fix)
	findings TEXT NOT NULL DEFAULT '[]',
	preflight_cut_off TEXT,
	comment_id INTEGER,
	checked_at INTEGER NOT NULL,
	PRIMARY KEY (pr_number, head_sha)
);
CREATE INDEX pull_request_checks_by_time ON pull_request_checks (checked_at);

-- A merged pull request: its last head and the commit the merge made on the tracked branch.
CREATE TABLE pull_request_merges (
	merge_commit_sha TEXT PRIMARY KEY,
	pr_number INTEGER NOT NULL,
	head_sha TEXT NOT NULL,
	merged_at INTEGER NOT NULL
);
CREATE INDEX pull_request_merges_by_time ON pull_request_merges (merged_at);

-- The tidegate/deploy status last posted on a commit, so each change is posted once.
CREATE TABLE deploy_statuses (
	commit_sha TEXT PRIMARY KEY,
	state TEXT NOT NULL,
	description TEXT NOT NULL,
	posted_at INTEGER NOT NULL
);
CREATE INDEX deploy_statuses_by_time ON deploy_statuses (posted_at);

-- The damped state of one run alert (edge.refused, edge.run, token:<NAME>, …): its track (JSON,
-- src/domain/transitions.ts) and what the failing state was about; `version` guards concurrent writers.
CREATE TABLE alert_tracks (
	key TEXT PRIMARY KEY,
	track TEXT NOT NULL,
	fingerprint TEXT,
	version INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
