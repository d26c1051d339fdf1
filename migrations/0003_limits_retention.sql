-- SPEC §11. CreateLicense counts the issuer's licenses that are not DELETED: a
-- covering index, so the count reads index entries only.
CREATE INDEX licenses_by_issuer_status ON licenses (issuer_account, status);

-- The daily retention run deletes ended checkouts by their end time and audit
-- events by their time, oldest first, in bounded batches. The checkouts index holds
-- ended rows only (ACTIVE ones are never deleted) and indexes the exact expression
-- the delete filters on.
CREATE INDEX checkouts_ended_by_time ON checkouts (COALESCE(returned_at, expires_at))
	WHERE status <> 'ACTIVE';
CREATE INDEX audit_events_by_time ON audit_events (at);
