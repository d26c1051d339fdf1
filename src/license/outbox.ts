import { clock, isoSeconds } from "../clock";
import { errorText, logEvent } from "../log";
import { statementsFor } from "../records/d1";
import type {
	AuditRecord,
	CheckoutRecord,
	CheckoutStatusRecord,
	LicenseRecord,
} from "../records/outbox";
import { type CheckoutGrant, entitlementsAllowed } from "./checkoutReply";
import type { Caller } from "./contract";
import type { Borrow, License, LicenseHeader } from "./model";
import type { LicenseStore } from "./storage";

/**
 * The object's outbox (SPEC §7): every record it writes beside a decision, built
 * here, and the drainer that sends them to D1.
 */

// ---- records ------------------------------------------------------------------

export function licenseRecord(
	header: LicenseHeader,
	doc: License,
	newVersion: boolean,
	now: number,
): LicenseRecord {
	return {
		kind: "license",
		arn: header.arn,
		licenseId: header.licenseId,
		issuerAccount: header.issuerAccount,
		beneficiary: doc.Beneficiary,
		beneficiaryAccount: header.beneficiaryAccount,
		productSku: doc.ProductSKU,
		fingerprint: doc.Issuer.KeyFingerprint,
		status: doc.Status,
		version: Number(doc.Version),
		homeRegion: doc.HomeRegion,
		createdAt: doc.CreateTime,
		updatedAt: isoSeconds(now),
		doc: JSON.stringify(doc),
		newVersion,
	};
}

/** A new borrow, as D1's checkouts table keeps it. */
export function checkoutRecord(
	caller: Caller,
	clientToken: string,
	grant: CheckoutGrant,
	borrowId: string,
): CheckoutRecord {
	return {
		kind: "checkout",
		token: grant.token,
		borrowId,
		licenseArn: grant.license.LicenseArn,
		accountId: caller.accountId,
		accessKeyId: caller.accessKeyId,
		clientToken,
		nodeId: grant.nodeId ?? null,
		entitlements: JSON.stringify(entitlementsAllowed(grant.leases)),
		issuedAt: isoSeconds(grant.issuedAt),
		expiresAt: isoSeconds(grant.expiresAt),
		requestId: caller.requestId,
	};
}

export function borrowStatusRecord(
	borrow: Borrow,
	status: CheckoutStatusRecord["status"],
	expiresAt: number,
	returnedAt: number | null,
): CheckoutStatusRecord {
	return {
		kind: "checkout-status",
		token: borrow.token,
		status,
		expiresAt: isoSeconds(expiresAt),
		returnedAt: returnedAt === null ? null : isoSeconds(returnedAt),
	};
}

/** One audit event per state change; its id is deterministic so a re-sent batch writes it once. */
export function auditRecord(
	caller: Caller,
	operation: string,
	resourceArn: string,
	now: number,
	detail: string | null,
): AuditRecord {
	return {
		kind: "audit",
		eventId: `${caller.requestId}:${operation}`,
		at: new Date(now).toISOString(),
		accountId: caller.accountId,
		accessKeyId: caller.accessKeyId,
		operation,
		resourceArn,
		requestId: caller.requestId,
		detail,
	};
}

/** Expiry has no caller: the event names the borrow's account and the alarm. */
export function expiryAuditRecord(borrow: Borrow, resourceArn: string, now: number): AuditRecord {
	return {
		kind: "audit",
		eventId: `expire:${borrow.borrowId}`,
		at: new Date(now).toISOString(),
		accountId: borrow.accountId,
		accessKeyId: "-",
		operation: "ExpireBorrow",
		resourceArn,
		requestId: "-",
		detail: borrow.borrowId,
	};
}

// ---- the drainer --------------------------------------------------------------

const OUTBOX_BATCH = 200;
const OUTBOX_MAX_BACKOFF_MS = 300_000;

/**
 * Sends a license object's outbox rows to D1, strictly oldest first, in batches. A
 * row is deleted only after D1 accepted its batch (D1 writes are idempotent, so a
 * batch D1 committed but did not acknowledge is harmless to re-send); a failure
 * keeps the rows and defers them with a capped exponential backoff, and everything
 * behind them waits. Sends never overlap.
 */
export class OutboxDrainer {
	private chain: Promise<void> = Promise.resolve();

	constructor(
		private readonly store: LicenseStore,
		private readonly db: D1Database,
		private readonly onDeferred: () => void,
	) {}

	/** The alarm's send: the rows that are due. True once they all landed, false if D1 refused a batch. */
	sendDue(): Promise<boolean> {
		return this.queue(() => clock.now());
	}

	/**
	 * A seller operation's send: every row, backoff or not — it waits for its own
	 * rows, and the older ones must land before them.
	 */
	sendAll(): Promise<boolean> {
		return this.queue(() => Number.POSITIVE_INFINITY);
	}

	private queue(dueBy: () => number): Promise<boolean> {
		const next = this.chain.then(() => this.sendOldestFirst(dueBy));
		this.chain = next.then(
			() => undefined,
			() => undefined,
		);
		return next;
	}

	private async sendOldestFirst(dueBy: () => number): Promise<boolean> {
		for (;;) {
			const rows = this.store.dueOutbox(dueBy(), OUTBOX_BATCH);
			if (rows.length === 0) return true;
			const ids = rows.map((r) => r.id);
			try {
				await this.db.batch(
					rows.flatMap((r) => r.records.flatMap((record) => statementsFor(this.db, record))),
				);
			} catch (err) {
				const attempts = Math.max(...rows.map((r) => r.attempts));
				const backoff = Math.min(OUTBOX_MAX_BACKOFF_MS, 1000 * 2 ** attempts);
				this.store.deferOutbox(ids, clock.now() + backoff);
				logEvent(
					"outbox_retry",
					{
						rows: rows.length,
						attempt: attempts + 1,
						retryInMs: backoff,
						error: errorText(err),
					},
					"error",
				);
				this.onDeferred();
				return false;
			}
			this.store.deleteOutboxThrough(ids[ids.length - 1] as number);
		}
	}
}
