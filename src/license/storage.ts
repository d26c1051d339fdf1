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
	// 2. SPEC §8–§10: borrows by public id, node and age; the token's own expiry apart
	//    from the lease end; revocation; the signed revocation list.
	[
		"ALTER TABLE borrows ADD COLUMN borrow_id TEXT",
		"ALTER TABLE borrows ADD COLUMN node_id TEXT",
		// The signed `exp` (ms). Extend moves expires_at, never this.
		"ALTER TABLE borrows ADD COLUMN token_exp INTEGER",
		"ALTER TABLE borrows ADD COLUMN revoked_at INTEGER",
		"ALTER TABLE borrows ADD COLUMN revoke_reason TEXT",
		// Rows from before: NodeId and the signed Expiration are in the stored response
		// (a ClientToken record lives until its borrow's final expiration + 24 h, so every
		// borrow whose token may still verify has one); without it, the lease end is a
		// safe upper bound of the token's exp. borrow_id needs SHA-256, which SQL lacks:
		// the object fills it after migrating (LicenseStore.backfillBorrowIds).
		`UPDATE borrows SET
			node_id = (SELECT json_extract(c.response, '$.NodeId') FROM client_tokens c
				WHERE c.consumption_token = borrows.token),
			token_exp = COALESCE(
				(SELECT CAST(strftime('%s', json_extract(c.response, '$.Expiration')) AS INTEGER) * 1000
					FROM client_tokens c WHERE c.consumption_token = borrows.token),
				expires_at)`,
		"CREATE UNIQUE INDEX borrows_by_id ON borrows (borrow_id)",
		// ListBorrows, newest first, keyed by (issued_at, borrow_id).
		"CREATE INDEX borrows_newest ON borrows (issued_at, borrow_id)",
		// Borrow policy (SPEC §10): live borrows per node and per account.
		"CREATE INDEX borrows_live_by_node ON borrows (node_id) WHERE status = 'ACTIVE'",
		"CREATE INDEX borrows_live_by_account ON borrows (account_id) WHERE status = 'ACTIVE'",
		// The revocation list (SPEC §9): returned borrows whose token still verifies.
		"CREATE INDEX borrows_listed ON borrows (token_exp) WHERE status IN ('CHECKED_IN', 'REVOKED')",
		// Bumped whenever a borrow joins the revocation list; the signed list names the value it saw.
		"INSERT INTO counters (name, value) VALUES ('revocation_changes', 0)",
		`CREATE TABLE revocation_list (
			id INTEGER PRIMARY KEY CHECK (id = 1),
			jws TEXT NOT NULL,
			issued_at INTEGER NOT NULL,
			changes INTEGER NOT NULL,
			next_drop_at INTEGER
		)`,
	],
	// 3. The Worker signs (./object.ts says why): a checkout's ClientToken record is
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

/** `issuedAt` → `issued_at`: a field's column. */
type Column<Field extends string> = Field extends `${infer Head}${infer Rest}`
	? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${Column<Rest>}`
	: Field;

/** The columns of T's fields that `C` does not list. */
type MissingColumns<T, C extends readonly string[]> = Exclude<Column<keyof T & string>, C[number]>;

/**
 * Reads rows whose columns are their fields' names in snake_case, each column's
 * value as it is (SQL NULL, or a column the row lacks, as null), in the order listed.
 * The compiler checks the list both ways: every name is a field of T, and every
 * field of T is listed. The header and borrows share it, so a column they gain is
 * one name in a list rather than one more hand-written line of a mapping.
 */
function rowReader<T>() {
	return <const C extends readonly Column<keyof T & string>[]>(
		columns: C &
			([MissingColumns<T, C>] extends [never] ? unknown : { missing: MissingColumns<T, C> }),
	): ((r: Row) => T) => {
		const fields = columns.map(
			(column) => [column, column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] as const,
		);
		return (r) =>
			Object.fromEntries(fields.map(([column, field]) => [field, r[column] ?? null])) as T;
	};
}

const toHeader = rowReader<LicenseHeader>()([
	"arn",
	"license_id",
	"issuer_account",
	"beneficiary_account",
	"current_version",
	"status",
	"create_request_hash",
	"create_response",
	"deleted_at",
]);

const borrowColumns = rowReader<Omit<Borrow, "leases">>()([
	"token",
	"borrow_id",
	"account_id",
	"node_id",
	"client_token",
	"status",
	"issued_at",
	"expires_at",
	"returned_at",
	"token_exp",
	"revoked_at",
	"revoke_reason",
]);

function toBorrow(r: Row): Borrow {
	return { ...borrowColumns(r), leases: JSON.parse(r.leases as string) as Lease[] };
}

/** What ListBorrows asks of the object's borrows (SPEC §8). */
export interface BorrowFilter {
	/** Only this account's borrows (a beneficiary's view); null: all (the issuer's). */
	accountId: string | null;
	status: BorrowStatus | null;
	nodeId: string | null;
	/** Resume after this (issued_at, borrow_id), newest first; null: from the newest. */
	before: { issuedAt: number; borrowId: string } | null;
}

/** One entry of the revocation list: a returned borrow whose token still verifies. */
export interface ListedBorrow {
	borrowId: string;
	tokenExp: number;
	status: "CHECKED_IN" | "REVOKED";
}

/** The signed revocation list the object keeps, and what it was signed from. */
export interface StoredRevocationList {
	jws: string;
	issuedAt: number;
	/** The `revocation_changes` counter when it was signed. */
	changes: number;
	/** The earliest token exp among its entries: the list changes then. */
	nextDropAt: number | null;
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
		return r ? toHeader(r) : null;
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

	/** A new version becomes the current one, with its status. */
	setCurrent(version: number, status: string): void {
		this.sql.exec(
			"UPDATE license SET current_version = ?, status = ? WHERE id = 1",
			version,
			status,
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
			`INSERT INTO borrows (token, borrow_id, account_id, node_id, client_token, status, issued_at,
				expires_at, returned_at, token_exp, revoked_at, leases)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			b.token,
			b.borrowId,
			b.accountId,
			b.nodeId,
			b.clientToken,
			b.status,
			b.issuedAt,
			b.expiresAt,
			b.returnedAt,
			b.tokenExp,
			b.revokedAt,
			JSON.stringify(b.leases),
		);
		if (b.status === "ACTIVE") this.addLiveBorrows(1);
	}

	/** Borrows stored before borrow ids: computes theirs (`idOf` is src/borrowId.ts). */
	backfillBorrowIds(idOf: (token: string) => string): number {
		const tokens = this.sql
			.exec("SELECT token FROM borrows WHERE borrow_id IS NULL")
			.toArray()
			.map((r) => r.token as string);
		for (const token of tokens)
			this.sql.exec("UPDATE borrows SET borrow_id = ? WHERE token = ?", idOf(token), token);
		return tokens.length;
	}

	borrow(token: string): Borrow | null {
		const r = this.sql.exec("SELECT * FROM borrows WHERE token = ?", token).toArray()[0];
		return r ? toBorrow(r) : null;
	}

	borrowById(borrowId: string): Borrow | null {
		const r = this.sql.exec("SELECT * FROM borrows WHERE borrow_id = ?", borrowId).toArray()[0];
		return r ? toBorrow(r) : null;
	}

	/** Borrows matching `f`, newest first, read lazily (a page stops the cursor where it ends). */
	*borrowsNewestFirst(f: BorrowFilter): Generator<Borrow> {
		const where: string[] = [];
		const params: SqlStorageValue[] = [];
		if (f.accountId !== null) {
			where.push("account_id = ?");
			params.push(f.accountId);
		}
		if (f.status !== null) {
			where.push("status = ?");
			params.push(f.status);
		}
		if (f.nodeId !== null) {
			where.push("node_id = ?");
			params.push(f.nodeId);
		}
		if (f.before !== null) {
			where.push("(issued_at < ? OR (issued_at = ? AND borrow_id < ?))");
			params.push(f.before.issuedAt, f.before.issuedAt, f.before.borrowId);
		}
		const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
		for (const r of this.sql.exec(
			`SELECT * FROM borrows ${clause} ORDER BY issued_at DESC, borrow_id DESC`,
			...params,
		)) {
			yield toBorrow(r);
		}
	}

	endBorrow(token: string, status: "CHECKED_IN" | "EXPIRED", at: number): void {
		const ended = this.sql
			.exec(
				"UPDATE borrows SET status = ?, returned_at = ? WHERE token = ? AND status = 'ACTIVE' RETURNING token",
				status,
				at,
				token,
			)
			.toArray().length;
		if (ended > 0) this.addLiveBorrows(-ended);
		if (ended > 0 && status === "CHECKED_IN") this.bumpRevocationChanges();
	}

	/**
	 * RevokeBorrow of an ACTIVE or CHECKED_IN borrow: REVOKED from `at`. A live one
	 * ends now (the caller releases its quantities in the same transaction); a
	 * checked-in one keeps its check-in time as its end. Returns the status it had,
	 * or null if it was neither (nothing changed).
	 */
	revokeBorrow(token: string, at: number, reason: string | null): "ACTIVE" | "CHECKED_IN" | null {
		const row = this.sql.exec("SELECT status FROM borrows WHERE token = ?", token).toArray()[0];
		const was = row?.status;
		if (was !== "ACTIVE" && was !== "CHECKED_IN") return null;
		this.sql.exec(
			`UPDATE borrows SET status = 'REVOKED', revoked_at = ?1, revoke_reason = ?2,
				returned_at = COALESCE(returned_at, ?1)
			 WHERE token = ?3`,
			at,
			reason,
			token,
		);
		if (was === "ACTIVE") this.addLiveBorrows(-1);
		this.bumpRevocationChanges();
		return was;
	}

	/** Live borrows of one NodeId (SPEC §10 borrow.maxPerNode). */
	liveBorrowsOfNode(nodeId: string): number {
		const r = this.sql
			.exec("SELECT COUNT(*) AS n FROM borrows WHERE status = 'ACTIVE' AND node_id = ?", nodeId)
			.toArray()[0];
		return (r?.n as number) ?? 0;
	}

	/** Live borrows of one account (SPEC §10 borrow.maxPerAccount). */
	liveBorrowsOfAccount(accountId: string): number {
		const r = this.sql
			.exec(
				"SELECT COUNT(*) AS n FROM borrows WHERE status = 'ACTIVE' AND account_id = ?",
				accountId,
			)
			.toArray()[0];
		return (r?.n as number) ?? 0;
	}

	private addLiveBorrows(delta: number): void {
		this.sql.exec("UPDATE counters SET value = value + ? WHERE name = 'live_borrows'", delta);
	}

	// ---- the revocation list (SPEC §9) ----

	private bumpRevocationChanges(): void {
		this.sql.exec("UPDATE counters SET value = value + 1 WHERE name = 'revocation_changes'");
	}

	revocationChanges(): number {
		const r = this.sql
			.exec("SELECT value FROM counters WHERE name = 'revocation_changes'")
			.toArray()[0];
		return (r?.value as number) ?? 0;
	}

	/** Checked-in and revoked borrows whose token verifies after `now`, soonest to expire first. */
	listedBorrows(now: number): ListedBorrow[] {
		return this.sql
			.exec(
				`SELECT borrow_id, token_exp, status FROM borrows
				 WHERE status IN ('CHECKED_IN', 'REVOKED') AND token_exp > ? ORDER BY token_exp, borrow_id`,
				now,
			)
			.toArray()
			.map((r) => ({
				borrowId: r.borrow_id as string,
				tokenExp: r.token_exp as number,
				status: r.status as ListedBorrow["status"],
			}));
	}

	revocationList(): StoredRevocationList | null {
		const r = this.sql.exec("SELECT * FROM revocation_list WHERE id = 1").toArray()[0];
		if (!r) return null;
		return {
			jws: r.jws as string,
			issuedAt: r.issued_at as number,
			changes: r.changes as number,
			nextDropAt: (r.next_drop_at as number | null) ?? null,
		};
	}

	putRevocationList(list: StoredRevocationList): void {
		this.sql.exec(
			`INSERT INTO revocation_list (id, jws, issued_at, changes, next_drop_at) VALUES (1, ?1, ?2, ?3, ?4)
			 ON CONFLICT (id) DO UPDATE SET jws = ?1, issued_at = ?2, changes = ?3, next_drop_at = ?4`,
			list.jws,
			list.issuedAt,
			list.changes,
			list.nextDropAt,
		);
	}

	/**
	 * SPEC §11 retention: deletes up to `limit` borrows that ended at or before `endedBy`
	 * and whose token expired by `now` — one still on the revocation list (SPEC §9)
	 * stays until it leaves it. Their ClientToken records follow their own rule
	 * (final expiration + 24 h).
	 */
	purgeEndedBorrows(endedBy: number, now: number, limit: number): number {
		return this.sql
			.exec(
				`DELETE FROM borrows WHERE token IN (
					SELECT token FROM borrows WHERE status <> 'ACTIVE' AND returned_at <= ? AND token_exp <= ? LIMIT ?)
				 RETURNING 1`,
				endedBy,
				now,
				limit,
			)
			.toArray().length;
	}

	/**
	 * When the earliest ended borrow counts as ended for retention (its purge is due a
	 * retention period later): when it ended, or, if its token outlives the retention
	 * period, its token's exp less that period. Only the earliest-ended row is read
	 * (the index's first), so a later one may wait for it: purges are not urgent.
	 */
	earliestEndedBorrow(retentionMs: number): number | null {
		const r = this.sql
			.exec(
				"SELECT returned_at, token_exp FROM borrows WHERE status <> 'ACTIVE' ORDER BY returned_at LIMIT 1",
			)
			.toArray()[0];
		if (!r) return null;
		return Math.max(r.returned_at as number, (r.token_exp as number) - retentionMs);
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
