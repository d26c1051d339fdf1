import type { OutboxRecord } from "../records/outbox";
import type { Borrow, BorrowStatus, Lease, License, LicenseHeader } from "./model";

/**
 * All SQL of the license object's own storage: its versioned schema, then its
 * queries. Every query is synchronous; the object composes them inside
 * `transactionSync` so each decision commits whole.
 */

// ---- the schema ----------------------------------------------------------------

/**
 * The object's tables, as numbered steps. Append only: a step that has shipped is
 * never edited, since objects that ran it keep what it made; a change is a new step
 * at the end (an ALTER TABLE, a new index, a backfill), run once per object, in the
 * same transaction that records its number in `schema_version`.
 *
 * Step 1 is the schema as it stood before versions were stored. Objects made then
 * have its tables and no `schema_version`; step 1 is written to be harmless on
 * them (IF NOT EXISTS, a seed that runs once), so they simply run it and record 1.
 */
export const SCHEMA_STEPS: readonly (readonly string[])[] = [
	// 1. The license, its versions, usage, borrows, ClientToken records, the outbox.
	[
		`CREATE TABLE IF NOT EXISTS license (
			id INTEGER PRIMARY KEY CHECK (id = 1),
			arn TEXT NOT NULL,
			license_id TEXT NOT NULL,
			issuer_account TEXT NOT NULL,
			beneficiary_account TEXT,
			current_version INTEGER NOT NULL,
			status TEXT NOT NULL,
			create_request_hash TEXT NOT NULL,
			create_response TEXT NOT NULL,
			deleted_at INTEGER
		)`,
		`CREATE TABLE IF NOT EXISTS versions (
			version INTEGER PRIMARY KEY,
			doc TEXT NOT NULL
		)`,
		// consumed: the sum of the quantities of live borrows, kept with every borrow and release.
		`CREATE TABLE IF NOT EXISTS usage (
			name TEXT PRIMARY KEY,
			consumed INTEGER NOT NULL
		)`,
		`CREATE TABLE IF NOT EXISTS borrows (
			token TEXT PRIMARY KEY,
			account_id TEXT NOT NULL,
			client_token TEXT NOT NULL,
			status TEXT NOT NULL,
			issued_at INTEGER NOT NULL,
			expires_at INTEGER NOT NULL,
			returned_at INTEGER,
			leases TEXT NOT NULL
		)`,
		"CREATE INDEX IF NOT EXISTS borrows_live ON borrows (status, expires_at)",
		// Ended borrows by end time, for the retention purge (SPEC §11) and its alarm.
		"CREATE INDEX IF NOT EXISTS borrows_ended ON borrows (returned_at) WHERE status <> 'ACTIVE'",
		// live_borrows: ACTIVE rows of borrows, kept in the transactions that change them,
		// so the SPEC §11 limit is one primary-key read per checkout, not a count of up to
		// 100,000 rows. Seeded once from the table (objects from before the counter existed).
		`CREATE TABLE IF NOT EXISTS counters (
			name TEXT PRIMARY KEY,
			value INTEGER NOT NULL
		)`,
		`INSERT INTO counters (name, value)
			SELECT 'live_borrows', (SELECT COUNT(*) FROM borrows WHERE status = 'ACTIVE')
			WHERE NOT EXISTS (SELECT 1 FROM counters WHERE name = 'live_borrows')`,
		`CREATE TABLE IF NOT EXISTS client_tokens (
			account_id TEXT NOT NULL,
			client_token TEXT NOT NULL,
			request_hash TEXT NOT NULL,
			response TEXT NOT NULL,
			consumption_token TEXT NOT NULL,
			purge_at INTEGER NOT NULL,
			PRIMARY KEY (account_id, client_token)
		)`,
		"CREATE INDEX IF NOT EXISTS client_tokens_purge ON client_tokens (purge_at)",
		`CREATE TABLE IF NOT EXISTS outbox (
			id INTEGER PRIMARY KEY AUTOINCREMENT,
			record TEXT NOT NULL,
			attempts INTEGER NOT NULL DEFAULT 0,
			next_attempt_at INTEGER NOT NULL
		)`,
		"CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at)",
	],
	// 2. The Worker signs (./object.ts says why): a checkout's ClientToken record is
	// written at the decision with the claims to sign (`unsigned`, JSON of
	// UnsignedCheckout) and an empty `response`; the signed bytes are stored back
	// into `response` once, and `unsigned` is cleared.
	["ALTER TABLE client_tokens ADD COLUMN unsigned TEXT"],
];

/** The version stored in the object; 0 if none is (a new object, or one made before versions were stored). */
export function schemaVersion(sql: SqlStorage): number {
	const table = sql
		.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
		.toArray();
	if (table.length === 0) return 0;
	const row = sql.exec("SELECT version FROM schema_version WHERE id = 1").toArray()[0];
	return (row?.version as number | undefined) ?? 0;
}

/**
 * Runs the steps after the stored version, each inside `transaction` together with
 * recording its number, so a step is either applied and recorded or neither.
 * Returns the version reached. `steps` is a parameter only so that a test can
 * append a step; the object always passes SCHEMA_STEPS.
 */
export function migrate(
	sql: SqlStorage,
	transaction: (step: () => void) => void,
	steps: readonly (readonly string[])[] = SCHEMA_STEPS,
): number {
	let version = schemaVersion(sql);
	for (const step of steps.slice(version)) {
		const next = version + 1;
		transaction(() => {
			for (const statement of step) sql.exec(statement);
			sql.exec(
				`CREATE TABLE IF NOT EXISTS schema_version (
					id INTEGER PRIMARY KEY CHECK (id = 1),
					version INTEGER NOT NULL
				)`,
			);
			sql.exec(
				`INSERT INTO schema_version (id, version) VALUES (1, ?1)
				 ON CONFLICT (id) DO UPDATE SET version = ?1`,
				next,
			);
		});
		version = next;
	}
	return version;
}

// ---- the queries ----------------------------------------------------------------

export interface StoredClientToken {
	requestHash: string;
	/** The exact response; empty while a checkout's token is not yet signed. */
	response: string;
	/** A checkout decided but not yet signed: its UnsignedCheckout as JSON (else null). */
	unsigned: string | null;
}

export interface OutboxRow {
	id: number;
	/** One row may carry several records of one decision (a checkout and its audit event). */
	records: OutboxRecord[];
	attempts: number;
}

type Row = Record<string, SqlStorageValue>;

function toBorrow(r: Row): Borrow {
	return {
		token: r.token as string,
		accountId: r.account_id as string,
		clientToken: r.client_token as string,
		status: r.status as BorrowStatus,
		issuedAt: r.issued_at as number,
		expiresAt: r.expires_at as number,
		returnedAt: (r.returned_at as number | null) ?? null,
		leases: JSON.parse(r.leases as string) as Lease[],
	};
}

export class LicenseStore {
	constructor(private readonly sql: SqlStorage) {}

	/** Reading sqlite_master writes nothing, so probing an unknown license id leaves no object behind. */
	exists(): boolean {
		return (
			this.sql
				.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'license'")
				.toArray().length > 0
		);
	}

	header(): LicenseHeader | null {
		const r = this.sql.exec("SELECT * FROM license WHERE id = 1").toArray()[0];
		if (!r) return null;
		return {
			arn: r.arn as string,
			licenseId: r.license_id as string,
			issuerAccount: r.issuer_account as string,
			beneficiaryAccount: (r.beneficiary_account as string | null) ?? null,
			currentVersion: r.current_version as number,
			status: r.status as string,
			createRequestHash: r.create_request_hash as string,
			createResponse: r.create_response as string,
			deletedAt: (r.deleted_at as number | null) ?? null,
		};
	}

	insertHeader(h: LicenseHeader): void {
		this.sql.exec(
			`INSERT INTO license (id, arn, license_id, issuer_account, beneficiary_account, current_version, status,
				create_request_hash, create_response) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)`,
			h.arn,
			h.licenseId,
			h.issuerAccount,
			h.beneficiaryAccount,
			h.currentVersion,
			h.status,
			h.createRequestHash,
			h.createResponse,
		);
	}

	setCurrent(version: number, status: string): void {
		this.sql.exec(
			"UPDATE license SET current_version = ?, status = ? WHERE id = 1",
			version,
			status,
		);
	}

	markDeleted(at: number): void {
		this.sql.exec("UPDATE license SET status = 'DELETED', deleted_at = ? WHERE id = 1", at);
	}

	version(version: number): License | null {
		const r = this.sql.exec("SELECT doc FROM versions WHERE version = ?", version).toArray()[0];
		return r ? (JSON.parse(r.doc as string) as License) : null;
	}

	/** Versions after `afterVersion`, in order, read lazily: a page stops the cursor where it ends. */
	*versionsAfter(afterVersion: number): Generator<License> {
		for (const r of this.sql.exec(
			"SELECT doc FROM versions WHERE version > ? ORDER BY version",
			afterVersion,
		)) {
			yield JSON.parse(r.doc as string) as License;
		}
	}

	insertVersion(version: number, doc: License): void {
		this.sql.exec(
			"INSERT INTO versions (version, doc) VALUES (?, ?)",
			version,
			JSON.stringify(doc),
		);
	}

	usage(): Map<string, number> {
		const out = new Map<string, number>();
		for (const r of this.sql.exec("SELECT name, consumed FROM usage"))
			out.set(r.name as string, r.consumed as number);
		return out;
	}

	addUsage(name: string, delta: number): void {
		this.sql.exec(
			`INSERT INTO usage (name, consumed) VALUES (?1, ?2)
			 ON CONFLICT (name) DO UPDATE SET consumed = consumed + ?2`,
			name,
			delta,
		);
	}

	clientToken(accountId: string, clientToken: string): StoredClientToken | null {
		const r = this.sql
			.exec(
				"SELECT request_hash, response, unsigned FROM client_tokens WHERE account_id = ? AND client_token = ?",
				accountId,
				clientToken,
			)
			.toArray()[0];
		return r
			? {
					requestHash: r.request_hash as string,
					response: r.response as string,
					unsigned: (r.unsigned as string | null) ?? null,
				}
			: null;
	}

	/** A record holding its response (`unsigned` null), or a checkout's claims to sign (`response` empty). */
	putClientToken(
		accountId: string,
		clientToken: string,
		requestHash: string,
		response: string,
		consumptionToken: string,
		purgeAt: number,
		unsigned: string | null = null,
	): void {
		this.sql.exec(
			`INSERT INTO client_tokens (account_id, client_token, request_hash, response, consumption_token, purge_at, unsigned)
			 VALUES (?, ?, ?, ?, ?, ?, ?)`,
			accountId,
			clientToken,
			requestHash,
			response,
			consumptionToken,
			purgeAt,
			unsigned,
		);
	}

	/**
	 * Compare-and-set: stores a checkout's signed response if the record has none yet.
	 * Returns the response the record holds afterwards (the first stored wins), or
	 * null if there is no record.
	 */
	storeSignedResponse(accountId: string, clientToken: string, response: string): string | null {
		const stored = this.sql
			.exec(
				`UPDATE client_tokens SET response = ?3, unsigned = NULL
				 WHERE account_id = ?1 AND client_token = ?2 AND response = '' RETURNING 1`,
				accountId,
				clientToken,
				response,
			)
			.toArray().length;
		if (stored > 0) return response;
		return this.clientToken(accountId, clientToken)?.response || null;
	}

	/** A token's record lives until its borrow's final expiration + 24 h; extending moves that. */
	setClientTokenPurge(consumptionToken: string, purgeAt: number): void {
		this.sql.exec(
			"UPDATE client_tokens SET purge_at = ? WHERE consumption_token = ?",
			purgeAt,
			consumptionToken,
		);
	}

	purgeClientTokens(now: number): number {
		return this.sql.exec("DELETE FROM client_tokens WHERE purge_at <= ?", now).rowsWritten;
	}

	nextClientTokenPurge(): number | null {
		const r = this.sql.exec("SELECT MIN(purge_at) AS t FROM client_tokens").toArray()[0];
		return (r?.t as number | null) ?? null;
	}

	insertBorrow(b: Borrow): void {
		this.sql.exec(
			`INSERT INTO borrows (token, account_id, client_token, status, issued_at, expires_at, returned_at, leases)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			b.token,
			b.accountId,
			b.clientToken,
			b.status,
			b.issuedAt,
			b.expiresAt,
			b.returnedAt,
			JSON.stringify(b.leases),
		);
		if (b.status === "ACTIVE") this.addLiveBorrows(1);
	}

	borrow(token: string): Borrow | null {
		const r = this.sql.exec("SELECT * FROM borrows WHERE token = ?", token).toArray()[0];
		return r ? toBorrow(r) : null;
	}

	endBorrow(token: string, status: Exclude<BorrowStatus, "ACTIVE">, at: number): void {
		const ended = this.sql
			.exec(
				"UPDATE borrows SET status = ?, returned_at = ? WHERE token = ? AND status = 'ACTIVE' RETURNING token",
				status,
				at,
				token,
			)
			.toArray().length;
		if (ended > 0) this.addLiveBorrows(-ended);
	}

	private addLiveBorrows(delta: number): void {
		this.sql.exec("UPDATE counters SET value = value + ? WHERE name = 'live_borrows'", delta);
	}

	/**
	 * SPEC §11 retention: deletes up to `limit` borrows that ended at or before `endedBy`.
	 * Their ClientToken records follow their own rule (final expiration + 24 h).
	 */
	purgeEndedBorrows(endedBy: number, limit: number): number {
		return this.sql
			.exec(
				`DELETE FROM borrows WHERE token IN (
					SELECT token FROM borrows WHERE status <> 'ACTIVE' AND returned_at <= ? LIMIT ?)
				 RETURNING 1`,
				endedBy,
				limit,
			)
			.toArray().length;
	}

	/** When the earliest ended borrow ended (its purge is due a retention period later). */
	earliestEndedBorrow(): number | null {
		const r = this.sql
			.exec("SELECT MIN(returned_at) AS t FROM borrows WHERE status <> 'ACTIVE'")
			.toArray()[0];
		return (r?.t as number | null) ?? null;
	}

	setBorrowExpiry(token: string, expiresAt: number): void {
		this.sql.exec(
			"UPDATE borrows SET expires_at = ? WHERE token = ? AND status = 'ACTIVE'",
			expiresAt,
			token,
		);
	}

	dueBorrows(now: number, limit: number): Borrow[] {
		return this.sql
			.exec(
				"SELECT * FROM borrows WHERE status = 'ACTIVE' AND expires_at <= ? ORDER BY expires_at LIMIT ?",
				now,
				limit,
			)
			.toArray()
			.map(toBorrow);
	}

	nextBorrowExpiry(): number | null {
		const r = this.sql
			.exec("SELECT MIN(expires_at) AS t FROM borrows WHERE status = 'ACTIVE'")
			.toArray()[0];
		return (r?.t as number | null) ?? null;
	}

	/** ACTIVE borrows, from the counter kept beside them. */
	liveBorrowCount(): number {
		const r = this.sql.exec("SELECT value FROM counters WHERE name = 'live_borrows'").toArray()[0];
		return (r?.value as number) ?? 0;
	}

	enqueue(record: OutboxRecord | OutboxRecord[], now: number): void {
		this.sql.exec(
			"INSERT INTO outbox (record, next_attempt_at) VALUES (?, ?)",
			JSON.stringify(record),
			now,
		);
	}

	/**
	 * The oldest rows, in order, up to the first that is still backing off: D1 must
	 * receive a license's changes in the order they were decided, or an older row
	 * landing late would overwrite a newer state. `dueBy` = Infinity: every row, in order.
	 */
	dueOutbox(dueBy: number, limit: number): OutboxRow[] {
		const rows: OutboxRow[] = [];
		for (const r of this.sql.exec(
			"SELECT id, record, attempts, next_attempt_at FROM outbox ORDER BY id LIMIT ?",
			limit,
		)) {
			if ((r.next_attempt_at as number) > dueBy) break;
			rows.push({
				id: r.id as number,
				records: [JSON.parse(r.record as string) as OutboxRecord | OutboxRecord[]].flat(),
				attempts: r.attempts as number,
			});
		}
		return rows;
	}

	/** Drained rows are always the oldest, so one range delete removes exactly them. */
	deleteOutboxThrough(lastId: number): void {
		this.sql.exec("DELETE FROM outbox WHERE id <= ?", lastId);
	}

	deferOutbox(ids: readonly number[], nextAttemptAt: number): void {
		for (const id of ids) {
			this.sql.exec(
				"UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
				nextAttemptAt,
				id,
			);
		}
	}

	/** When the head of the queue is due, and whether it has failed before (the head decides). */
	nextOutboxAttempt(): { at: number; retry: boolean } | null {
		const r = this.sql
			.exec("SELECT next_attempt_at AS t, attempts FROM outbox ORDER BY id LIMIT 1")
			.toArray()[0];
		return r ? { at: r.t as number, retry: (r.attempts as number) > 0 } : null;
	}
}
