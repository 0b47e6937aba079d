-- Migration number: 0008 	 2026-12-01T09:00:00.000Z
-- The SHA-256 of each GitHub delivery's raw body. A captured body replayed under a new
-- X-GitHub-Delivery is a duplicate of the delivery that first carried it (docs/threat-model.md);
-- GitHub's own redeliveries keep their X-GitHub-Delivery and are told apart by it, as before.

ALTER TABLE github_deliveries ADD COLUMN body_hash TEXT;
CREATE INDEX github_deliveries_by_body ON github_deliveries (body_hash);
