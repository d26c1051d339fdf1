import { BORROW_ID_PATTERN, borrowIdOf } from "../borrowId";
import type { License } from "../license/model";
import type { AuditRecord, OutboxRecord } from "./outbox";

/**
 * All D1 SQL. Writes come only from license objects' outboxes and are idempotent
 * (deterministic keys, ON CONFLICT), because a batch may be re-sent after a
 * failure that D1 in fact committed.
 */
export function statementsFor(db: D1Database, record: OutboxRecord): D1PreparedStatement[] {
	switch (record.kind) {
		case "license": {
			const out = [
				db
					.prepare(
						`INSERT INTO licenses (license_arn, license_id, issuer_account, beneficiary, beneficiary_account,
							product_sku, fingerprint, status, version, home_region, created_at, updated_at, doc)
						 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
						 ON CONFLICT (license_arn) DO UPDATE SET status = excluded.status, version = excluded.version,
							fingerprint = excluded.fingerprint, updated_at = excluded.updated_at, doc = excluded.doc
						 WHERE excluded.version >= licenses.version`,
					)
					.bind(
						record.arn,
						record.licenseId,
						record.issuerAccount,
						record.beneficiary,
						record.beneficiaryAccount,
						record.productSku,
						record.fingerprint,
						record.status,
						record.version,
						record.homeRegion,
						record.createdAt,
						record.updatedAt,
						record.doc,
					),
			];
			if (record.newVersion) {
				out.push(
					db
						.prepare(
							`INSERT INTO license_versions (license_arn, version, status, created_at, doc)
							 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING`,
						)
						.bind(record.arn, record.version, record.status, record.updatedAt, record.doc),
				);
				const doc = JSON.parse(record.doc) as License;
				for (const e of doc.Entitlements) {
					out.push(
						db
							.prepare(
								`INSERT INTO license_entitlements (license_arn, version, name, unit, max_count, overage, value, allow_check_in)
								 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING`,
							)
							.bind(
								record.arn,
								record.version,
								e.Name,
								e.Unit,
								e.MaxCount ?? null,
								e.Overage ? 1 : 0,
								e.Value ?? null,
								e.AllowCheckIn === undefined ? null : e.AllowCheckIn ? 1 : 0,
							),
					);
				}
			}
			return out;
		}
		case "checkout":
			return [
				db
					.prepare(
						`INSERT INTO checkouts (consumption_token, license_arn, account_id, access_key_id, client_token,
							node_id, entitlements, status, issued_at, expires_at, returned_at, request_id, borrow_id)
						 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'ACTIVE', ?8, ?9, NULL, ?10, ?11) ON CONFLICT DO NOTHING`,
					)
					.bind(
						record.token,
						record.licenseArn,
						record.accountId,
						record.accessKeyId,
						record.clientToken,
						record.nodeId,
						record.entitlements,
						record.issuedAt,
						record.expiresAt,
						record.requestId,
						record.borrowId ?? borrowIdOf(record.token),
					),
			];
		case "checkout-status":
			return [
				db
					.prepare(
						"UPDATE checkouts SET status = ?2, expires_at = ?3, returned_at = ?4 WHERE consumption_token = ?1",
					)
					.bind(record.token, record.status, record.expiresAt, record.returnedAt),
			];
		case "audit": {
			const row = auditRow(record);
			return [
				db
					.prepare(
						`INSERT INTO audit_events (event_id, at, account_id, access_key_id, operation, resource_arn, request_id, detail, borrow_id)
						 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING`,
					)
					.bind(
						row.eventId,
						record.at,
						record.accountId,
						record.accessKeyId,
						record.operation,
						record.resourceArn,
						record.requestId,
						row.detail,
						row.borrowId,
					),
			];
		}
	}
}

/**
 * Audit events about one borrow: the object's outbox rows carry the borrow's
 * consumption token as their detail (and an expiry's event id holds it).
 */
const BORROW_EVENTS: ReadonlySet<string> = new Set([
	"CheckoutBorrowLicense",
	"ExtendLicenseConsumption",
	"CheckInLicense",
	"ExpireBorrow",
	"RevokeBorrow",
]);

/**
 * What D1 keeps of an audit record. A consumption token is a credential and the
 * audit trail is read by more people than the borrower: a borrow event keeps the
 * borrow's public id (SPEC §8) instead, and its event id names the borrow the same
 * way. Both are pure functions of the record, so a re-sent batch still writes one
 * row. A detail that is already a borrow id is kept as it is.
 */
function auditRow(record: AuditRecord): {
	eventId: string;
	detail: string | null;
	borrowId: string | null;
} {
	const token = record.detail;
	if (!token || !BORROW_EVENTS.has(record.operation)) {
		return { eventId: record.eventId, detail: token, borrowId: null };
	}
	const borrowId = BORROW_ID_PATTERN.test(token) ? token : borrowIdOf(token);
	return { eventId: record.eventId.split(token).join(borrowId), detail: null, borrowId };
}

export interface LicenseQuery {
	issuerAccount: string;
	arns?: readonly string[];
	filters: ReadonlyMap<"Beneficiary" | "ProductSKU" | "Fingerprint" | "Status", readonly string[]>;
	afterArn: string | null;
	limit: number;
}

const FILTER_COLUMNS = {
	Beneficiary: "beneficiary",
	ProductSKU: "product_sku",
	Fingerprint: "fingerprint",
	Status: "status",
} as const;

/** ListLicenses: only the caller's issued licenses, in ARN order, keyset-paginated. */
export async function queryIssuedLicenses(db: D1Database, q: LicenseQuery): Promise<License[]> {
	const where = ["issuer_account = ?"];
	const params: (string | number)[] = [q.issuerAccount];
	if (q.arns && q.arns.length > 0) {
		// One JSON parameter per list: D1 binds at most 100 parameters per statement.
		where.push("license_arn IN (SELECT value FROM json_each(?))");
		params.push(JSON.stringify(q.arns));
	}
	for (const [name, values] of q.filters) {
		if (values.length === 0) continue;
		where.push(`${FILTER_COLUMNS[name]} IN (SELECT value FROM json_each(?))`);
		params.push(JSON.stringify(values));
	}
	if (q.afterArn !== null) {
		where.push("license_arn > ?");
		params.push(q.afterArn);
	}
	params.push(q.limit);
	const { results } = await db
		.prepare(`SELECT doc FROM licenses WHERE ${where.join(" AND ")} ORDER BY license_arn LIMIT ?`)
		.bind(...params)
		.all<{ doc: string }>();
	return results.map((r) => JSON.parse(r.doc) as License);
}

/**
 * SPEC §11 licenses per account: the account's licenses not DELETED, counted up to
 * `cap` (index licenses_by_issuer_status, so at most `cap` index entries are read).
 */
export async function countLiveIssuedLicenses(
	db: D1Database,
	issuerAccount: string,
	cap: number,
): Promise<number> {
	const row = await db
		.prepare(
			`SELECT COUNT(*) AS n FROM (SELECT 1 FROM licenses
				WHERE issuer_account = ?1 AND status <> 'DELETED' LIMIT ?2)`,
		)
		.bind(issuerAccount, cap)
		.first<{ n: number }>();
	return row?.n ?? 0;
}

/*
 * SPEC §11 retention of D1 history. Each statement deletes at most `limit` rows
 * (a bounded write, rowid subquery over a migration-0003 index); the caller loops.
 * A checkout row goes only once it has ended (never ACTIVE), and by its end time:
 * returned_at, which every ended row carries (check-in time, or the expiration for
 * an expired borrow), else expires_at. Both are ISO-8601 with whole seconds, as
 * `endedBefore` must be; audit times carry milliseconds, as `before` must.
 */

export async function deleteEndedCheckouts(
	db: D1Database,
	endedBefore: string,
	limit: number,
): Promise<number> {
	const result = await db
		.prepare(
			`DELETE FROM checkouts WHERE rowid IN (
				SELECT rowid FROM checkouts
				WHERE status <> 'ACTIVE' AND COALESCE(returned_at, expires_at) < ?1 LIMIT ?2)`,
		)
		.bind(endedBefore, limit)
		.run();
	return result.meta.changes;
}

export async function deleteAuditEvents(
	db: D1Database,
	before: string,
	limit: number,
): Promise<number> {
	const result = await db
		.prepare(
			"DELETE FROM audit_events WHERE rowid IN (SELECT rowid FROM audit_events WHERE at < ?1 LIMIT ?2)",
		)
		.bind(before, limit)
		.run();
	return result.meta.changes;
}

/** Who may read a license's history (SPEC §2 visibility), from D1's copy; null if D1 has no such license. */
export interface LicenseParties {
	issuerAccount: string;
	beneficiaryAccount: string | null;
}

export interface UsageHistoryQuery {
	licenseArn: string;
	/** First bucket's start and the end of the last, epoch seconds, both on bucket boundaries. */
	startS: number;
	endS: number;
	bucketS: number;
	/** Points a reply may hold across the license's counted entitlements; past it no rows are computed. */
	maxPoints: number;
}

/** Who may read a license's history, and how many counted entitlements (rows per bucket) it has. */
export interface UsageHistoryLicense extends LicenseParties {
	countedEntitlements: number;
}

export interface UsageHistoryRow {
	/** The entitlement's position in the license's current version. */
	pos: number;
	name: string;
	unit: string;
	/** Bucket index from `startS`. */
	bucket: number;
	peak: number;
	checkouts: number;
}

/*
 * GetUsageHistory (SPEC §8), in one statement over the checkout rows. A borrow holds
 * its quantity of an entitlement over [issued_at, end), where end is returned_at for
 * an ended borrow (its check-in, or its expiration) and expires_at for one still out.
 * Each borrow becomes two events (+quantity at its start, -quantity at its end); the
 * running sum of the net change per instant is the quantity consumed from that
 * instant on. A zero event at every bucket's start makes the level at that instant a
 * row of its own, so a bucket's peak is the highest level among the instants in it,
 * including what was already out when it began — and a borrow ending exactly on a
 * boundary does not count in the bucket after. A borrow counts as a checkout in the
 * bucket its start falls in. Only the current version's counted entitlements are
 * reported, matched by name and unit (units never convert, SPEC §3).
 */
const USAGE_HISTORY_SQL = `
WITH RECURSIVE
	ents AS MATERIALIZED (
		SELECT CAST(j.key AS INTEGER) AS pos, j.value ->> '$.Name' AS name, j.value ->> '$.Unit' AS unit
		FROM licenses l, json_each(l.doc, '$.Entitlements') j
		WHERE l.license_arn = ?1 AND j.value ->> '$.Unit' <> 'None'
	),
	-- D1 binds every JS number as REAL: made integers once, so bucket arithmetic stays exact.
	-- A window holding more than ?7 points in all (buckets × counted entitlements) is
	-- emptied (stop = first), so a refused request computes nothing.
	w(first, stop, size) AS (SELECT CAST(?2 AS INTEGER), CAST(?3 AS INTEGER), CAST(?4 AS INTEGER)),
	p(first, stop, size) AS (
		SELECT first,
			CASE WHEN (SELECT COUNT(*) FROM ents) * ((stop - first) / size) <= CAST(?7 AS INTEGER)
				THEN stop ELSE first END,
			size
		FROM w
	),
	buckets(b) AS (
		SELECT first FROM p WHERE stop > first
		UNION ALL SELECT b + size FROM buckets, p WHERE b + size < stop
	),
	leases AS MATERIALIZED (
		SELECT e.name, CAST(x.value ->> '$.Value' AS INTEGER) AS qty,
			unixepoch(c.issued_at) AS t0, unixepoch(COALESCE(c.returned_at, c.expires_at)) AS t1
		FROM p, checkouts c, json_each(c.entitlements) x
		JOIN ents e ON e.name = x.value ->> '$.Name' AND e.unit = x.value ->> '$.Unit'
		WHERE p.stop > p.first
			AND c.license_arn = ?1 AND c.issued_at < ?6 AND COALESCE(c.returned_at, c.expires_at) > ?5
	),
	events(name, t, delta, starts) AS (
		SELECT name, t0, qty, 1 FROM leases
		UNION ALL SELECT name, t1, -qty, 0 FROM leases
		UNION ALL SELECT name, b, 0, 0 FROM ents, buckets
	),
	levels AS (
		SELECT name, t, SUM(SUM(delta)) OVER (PARTITION BY name ORDER BY t) AS level, SUM(starts) AS starts
		FROM events GROUP BY name, t
	)
SELECT e.pos, e.name, e.unit, (l.t - p.first) / p.size AS bucket, MAX(l.level) AS peak,
	SUM(l.starts) AS checkouts
FROM levels l JOIN ents e ON e.name = l.name, p
WHERE l.t >= p.first AND l.t < p.stop
GROUP BY e.pos, bucket
ORDER BY e.pos, bucket`;

/**
 * An instant as the ISO-8601 text D1's times are compared as. Text compares in time
 * order only between four-digit years, and callers may ask about any instant a date
 * string can name: outside years 0000–9999 the nearest representable instant is used
 * (no stored time lies beyond it).
 */
const MIN_TEXT_MS = Date.parse("0000-01-01T00:00:00.000Z");
const MAX_TEXT_MS = Date.parse("9999-12-31T23:59:59.999Z");
function storedTime(ms: number): string {
	return new Date(Math.min(Math.max(ms, MIN_TEXT_MS), MAX_TEXT_MS)).toISOString();
}

/** The license's parties and its usage history, in one round trip. */
export async function queryUsageHistory(
	db: D1Database,
	q: UsageHistoryQuery,
): Promise<{ license: UsageHistoryLicense | null; rows: UsageHistoryRow[] }> {
	const iso = (s: number) => storedTime(s * 1000).replace(".000Z", "Z");
	const [license, history] = await db.batch([
		db
			.prepare(
				`SELECT issuer_account AS issuerAccount, beneficiary_account AS beneficiaryAccount,
					(SELECT COUNT(*) FROM json_each(doc, '$.Entitlements') j
						WHERE j.value ->> '$.Unit' <> 'None') AS countedEntitlements
				 FROM licenses WHERE license_arn = ?1`,
			)
			.bind(q.licenseArn),
		db
			.prepare(USAGE_HISTORY_SQL)
			.bind(q.licenseArn, q.startS, q.endS, q.bucketS, iso(q.startS), iso(q.endS), q.maxPoints),
	]);
	return {
		license: ((license?.results ?? [])[0] as UsageHistoryLicense | undefined) ?? null,
		rows: (history?.results ?? []) as UsageHistoryRow[],
	};
}

export interface AuditQuery {
	/** The caller: it sees events on licenses it issued, and its own calls (SPEC §8). */
	account: string;
	licenseArn?: string;
	operation?: string;
	/** Epoch ms: from (inclusive), to (exclusive). */
	from?: number;
	to?: number;
	/** Resume strictly after this event in the page order (newest first). */
	before: { at: string; eventId: string } | null;
	limit: number;
}

export interface AuditRow {
	eventId: string;
	at: string;
	operation: string;
	accountId: string;
	accessKeyId: string;
	resourceArn: string;
	borrowId: string | null;
	requestId: string;
}

/**
 * ListAuditEvents, newest first by (at, event_id), keyset-paginated. Neither the
 * detail column nor anything derived from a consumption token is read.
 */
export async function queryAuditEvents(db: D1Database, q: AuditQuery): Promise<AuditRow[]> {
	const where = [
		"(account_id = ?1 OR resource_arn IN (SELECT license_arn FROM licenses WHERE issuer_account = ?1))",
	];
	const params: (string | number)[] = [q.account];
	const bind = (value: string | number) => {
		params.push(value);
		return `?${params.length}`;
	};
	if (q.licenseArn !== undefined) where.push(`resource_arn = ${bind(q.licenseArn)}`);
	if (q.operation !== undefined) where.push(`operation = ${bind(q.operation)}`);
	if (q.from !== undefined) where.push(`at >= ${bind(storedTime(q.from))}`);
	if (q.to !== undefined) where.push(`at < ${bind(storedTime(q.to))}`);
	if (q.before !== null) {
		where.push(`(at, event_id) < (${bind(q.before.at)}, ${bind(q.before.eventId)})`);
	}
	const { results } = await db
		.prepare(
			`SELECT event_id AS eventId, at, operation, account_id AS accountId, access_key_id AS accessKeyId,
				resource_arn AS resourceArn, borrow_id AS borrowId, request_id AS requestId
			 FROM audit_events WHERE ${where.join(" AND ")}
			 ORDER BY at DESC, event_id DESC LIMIT ${bind(q.limit)}`,
		)
		.bind(...params)
		.all<AuditRow>();
	return results;
}

export interface PrincipalRow {
	accountId: string;
	secretCiphertext: string;
	allowedOperations: string;
	rateTier: string;
	status: string;
}

export async function findPrincipal(
	db: D1Database,
	accessKeyId: string,
): Promise<PrincipalRow | null> {
	return db
		.prepare(
			`SELECT account_id AS accountId, secret_ciphertext AS secretCiphertext, allowed_operations AS allowedOperations,
				rate_tier AS rateTier, status FROM principals WHERE access_key_id = ?`,
		)
		.bind(accessKeyId)
		.first<PrincipalRow>();
}

/**
 * Whether the migration `name` (a file of migrations/) is recorded as applied in the
 * table `wrangler d1 migrations apply` keeps. "no-table": no migration was ever applied.
 */
export async function migrationApplied(
	db: D1Database,
	name: string,
): Promise<"applied" | "missing" | "no-table"> {
	const table = await db
		.prepare("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'd1_migrations'")
		.first<{ found: number }>();
	if (!table) return "no-table";
	const row = await db
		.prepare("SELECT 1 AS found FROM d1_migrations WHERE name = ?")
		.bind(name)
		.first<{ found: number }>();
	return row ? "applied" : "missing";
}
