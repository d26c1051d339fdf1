import type { License } from "../license/model";
import type { OutboxRecord } from "./outbox";

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
							node_id, entitlements, status, issued_at, expires_at, returned_at, request_id)
						 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'ACTIVE', ?8, ?9, NULL, ?10) ON CONFLICT DO NOTHING`,
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
		case "audit":
			return [
				db
					.prepare(
						`INSERT INTO audit_events (event_id, at, account_id, access_key_id, operation, resource_arn, request_id, detail)
						 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING`,
					)
					.bind(
						record.eventId,
						record.at,
						record.accountId,
						record.accessKeyId,
						record.operation,
						record.resourceArn,
						record.requestId,
						record.detail,
					),
			];
	}
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
