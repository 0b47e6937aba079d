-- Writes are recorded before they are made (state 'pending'), then settled 'applied' or 'failed',
-- so a Worker stopped between a Cloudflare write and its record still remembers what it named
-- (ownership and protected flags). `before` holds the live state the write was planned against
-- (what a restore puts back); `owner` pins the owner of tidegate.yaml; `rollback_of` makes a
-- rollback land on the same document however often it runs. Existing rows were all accepted writes.
ALTER TABLE applications ADD COLUMN state TEXT NOT NULL DEFAULT 'applied'
	CHECK (state IN ('pending', 'applied', 'failed'));
ALTER TABLE applications ADD COLUMN before_document TEXT;
ALTER TABLE applications ADD COLUMN owner TEXT;
ALTER TABLE applications ADD COLUMN rollback_of INTEGER;
CREATE INDEX applications_by_owner ON applications (id) WHERE owner IS NOT NULL;
