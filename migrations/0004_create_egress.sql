-- Egress health (docs/egress.md): one row per cron check, its node x target samples, the damped
-- state of the agent, each node and each cell, and the outage windows of the cells.

-- One egress check. `running` holds the lease; the report (JSON) is what the matrix view shows.
CREATE TABLE egress_checks (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	started_at INTEGER NOT NULL,
	finished_at INTEGER,
	status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'agent_failed', 'skipped', 'abandoned')),
	commit_sha TEXT,
	targets_from TEXT CHECK (targets_from IN ('head', 'previous')),
	request_id TEXT,
	agent_error TEXT,
	agent_message TEXT,
	duration_ms INTEGER,
	note TEXT,
	-- JSON: the targets probed and egress.expect (reused when tidegate.yaml cannot be read).
	targets TEXT,
	-- JSON: targets with edge results and verdicts, nodes, expectations, skipped targets.
	report TEXT
);
CREATE INDEX egress_checks_by_status ON egress_checks (status, id);
CREATE INDEX egress_checks_by_start ON egress_checks (started_at);

-- One observation of one node x target cell in one check.
CREATE TABLE egress_samples (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	check_id INTEGER NOT NULL,
	node TEXT NOT NULL,
	target TEXT NOT NULL,
	at INTEGER NOT NULL,
	observed_at INTEGER NOT NULL,
	observed TEXT NOT NULL CHECK (observed IN ('ok', 'failing', 'unknown')),
	unknown_reason TEXT,
	latency_ms REAL,
	error TEXT,
	phase TEXT,
	message TEXT,
	note TEXT,
	-- JSON: phases, address, tls, http, postgres as the agent sent them.
	detail TEXT
);
CREATE INDEX egress_samples_by_cell ON egress_samples (node, target, id);
CREATE INDEX egress_samples_by_check ON egress_samples (check_id);

-- Damped state (src/domain/transitions.ts) of the agent (node = target = ''), each node's
-- reachability (target = '') and each cell.
CREATE TABLE egress_tracks (
	kind TEXT NOT NULL CHECK (kind IN ('agent', 'node', 'cell')),
	node TEXT NOT NULL,
	target TEXT NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('unknown', 'ok', 'failing')),
	since INTEGER NOT NULL,
	candidate TEXT CHECK (candidate IN ('ok', 'failing')),
	streak INTEGER NOT NULL,
	candidate_since INTEGER,
	last_observed TEXT,
	last_seen_at INTEGER NOT NULL,
	PRIMARY KEY (kind, node, target)
);

-- Outage windows per cell: from the first failing sample to the first ok one.
CREATE TABLE egress_outages (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	node TEXT NOT NULL,
	target TEXT NOT NULL,
	started_at INTEGER NOT NULL,
	ended_at INTEGER,
	duration_ms INTEGER,
	first_error TEXT,
	last_error TEXT,
	failing_samples INTEGER NOT NULL,
	end_reason TEXT CHECK (end_reason IN ('recovered', 'target-removed', 'node-gone'))
);
-- At most one open window per cell.
CREATE UNIQUE INDEX egress_outages_one_open ON egress_outages (node, target) WHERE ended_at IS NULL;
CREATE INDEX egress_outages_by_cell ON egress_outages (node, target, id);
