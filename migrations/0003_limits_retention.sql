-- SPEC §11. CreateLicense counts the issuer's licenses that are not DELETED: a
-- covering index, so the count reads index entries only.
CREATE INDEX licenses_by_issuer_status ON licenses (issuer_account, status);

