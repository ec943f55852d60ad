-- The PostgreSQL migration of this number partitions the report tables by
-- month; SQLite has no partitions (a node on SQLite is a small one, and its
-- file is compacted as docs/OPERATIONS.md describes). Both backends gain
-- the retention policy's mark: when a revision's free text (dispute
-- summaries, correction reason) was removed; NULL while it holds what was
-- sent. `content_hash` stays the hash of what was sent.
ALTER TABLE report_revisions ADD COLUMN text_purged_at TEXT;
