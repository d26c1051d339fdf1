-- SPEC §8: a borrow's public id (src/borrowId.ts), so history can name a borrow
-- without its consumption token, which is a credential. The Worker computes it when
-- it writes a row (src/records/d1.ts); SQL cannot, so rows written before this
-- migration keep NULL.
ALTER TABLE checkouts ADD COLUMN borrow_id TEXT;
ALTER TABLE audit_events ADD COLUMN borrow_id TEXT;

-- Expiry events were keyed by the token ('expire:<token>'), and ListAuditEvents
-- pages by (at, event_id): re-key them so no key holds a token. New ones are keyed
-- 'expire:<borrow id>'; these old ones only need to stay unique.
UPDATE audit_events SET event_id = 'expire-legacy:' || rowid WHERE event_id LIKE 'expire:%';

-- GetUsageHistory: a license's borrows by start time.
CREATE INDEX checkouts_by_license_issued ON checkouts (license_arn, issued_at);

-- ListAuditEvents, newest first: an account's own calls, and (audit_by_resource) the
-- events on each license it issued. Both end in (at, event_id), the page order.
CREATE INDEX audit_by_account_time ON audit_events (account_id, at, event_id);
DROP INDEX audit_by_resource;
CREATE INDEX audit_by_resource ON audit_events (resource_arn, at, event_id);
