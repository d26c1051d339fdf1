import { clock } from "../clock";
import type { Limits } from "../config";
import type { Result } from "../result";
import * as access from "./access";
import { clientTokenPurgeAt, replayOf, versionClientToken } from "./clientTokens";
import type { Caller, CreateLicenseCommand, CreateVersionCommand } from "./contract";
import type { License, LicenseHeader } from "./model";
import * as outbox from "./outbox";
import * as sellerRules from "./sellerRules";
import type { LicenseStore } from "./storage";

/**
 * The seller's commits (SPEC §7): CreateLicense, CreateLicenseVersion, DeleteLicense,
 * each checked against ./sellerRules.ts and committed whole with its outbox records.
 * Apart from ./object.ts because none of it touches the checkout path's concurrency:
 * the object answers the caller once D1 holds the change (`LicenseObject.recorded`).
 */

/** What the seller's commits use of their object, and nothing else. */
export interface SellerRoom {
	store: LicenseStore;
	storage: Pick<DurableObjectStorage, "transactionSync">;
	/** The license as the object holds it; `reload` reads it again after a commit changes it. */
	license(): { header: LicenseHeader | null; current: License | null };
	reload(): void;
	/** Brings the object's tables to the current schema (a new license's first step). */
	migrateSchema(): void;
	limits(): Limits;
	scheduleAlarm(): void;
	/** Ends the live borrows past their Expiration (./borrowLedger.ts). */
	expireDue(now: number): void;
}

export class SellerCommits {
	constructor(private readonly room: SellerRoom) {}

	createLicense(cmd: CreateLicenseCommand): Result<string> {
		const { store, storage } = this.room;
		const replay = sellerRules.createLicenseReplay(this.room.license().header, cmd.requestHash);
		if (replay) return replay;
		const tooMany = sellerRules.accountLimitRefusal(cmd);
		if (tooMany) return tooMany;
		const now = clock.now();
		const license = cmd.license;
		const response = sellerRules.licenseCreatedResponse(license);
		this.room.migrateSchema();
		storage.transactionSync(() => {
			store.insertHeader({
				arn: license.LicenseArn,
				licenseId: cmd.licenseId,
				issuerAccount: cmd.caller.accountId,
				beneficiaryAccount: access.beneficiaryAccountOf(license.Beneficiary),
				currentVersion: 1,
				status: license.Status,
				createRequestHash: cmd.requestHash,
				createResponse: response,
				deletedAt: null,
			});
			store.insertVersion(1, license);
			this.room.reload();
			this.enqueueLicense(true, now);
			store.enqueue(
				outbox.auditRecord(cmd.caller, "CreateLicense", license.LicenseArn, now, null),
				now,
			);
		});
		return { ok: true, value: response };
	}

	createVersion(cmd: CreateVersionCommand): Result<string> {
		const { store, storage } = this.room;
		const { header: held, current } = this.room.license();
		const owned = access.issuedLicense(held, current, cmd.caller, cmd.arn);
		if (!owned.ok) return owned;
		const { header, license } = owned.value;
		const tokenKey = versionClientToken(cmd.clientToken);
		const stored = store.clientToken(cmd.caller.accountId, tokenKey);
		if (stored) return replayOf(stored, cmd.requestHash);
		const { versionsPerLicense, licenseDocumentBytes } = this.room.limits();
		const refusal = sellerRules.versionRefusal(header, license, cmd, versionsPerLicense);
		if (refusal) return refusal;
		const now = clock.now();
		const version = header.currentVersion + 1;
		const next = sellerRules.nextVersion(license, cmd.changes, version, now, licenseDocumentBytes);
		if (!next.ok) return next;
		const doc = next.value;
		const response = sellerRules.versionCreatedResponse(doc);
		storage.transactionSync(() => {
			store.insertVersion(version, doc);
			store.setCurrent(version, doc.Status);
			store.putClientToken(
				cmd.caller.accountId,
				tokenKey,
				cmd.requestHash,
				response,
				"",
				clientTokenPurgeAt(now),
			);
			this.room.reload();
			this.enqueueLicense(true, now);
			store.enqueue(
				outbox.auditRecord(cmd.caller, "CreateLicenseVersion", doc.LicenseArn, now, doc.Version),
				now,
			);
		});
		this.room.scheduleAlarm();
		return { ok: true, value: response };
	}

	deleteLicense(caller: Caller, arn: string, sourceVersion: string): Result<string> {
		const { store, storage } = this.room;
		const { header: held, current } = this.room.license();
		const owned = access.issuedLicense(held, current, caller, arn);
		if (!owned.ok) return owned;
		const { header, license } = owned.value;
		const replay = sellerRules.deletionReplay(header);
		if (replay) return replay;
		const stale = sellerRules.deletionRefusal(license, sourceVersion);
		if (stale) return stale;
		const now = clock.now();
		this.room.expireDue(now);
		const live = sellerRules.liveBorrowsRefusal(store.liveBorrowCount());
		if (live) return live;
		storage.transactionSync(() => {
			store.markDeleted(now);
			this.room.reload();
			this.enqueueLicense(false, now);
			store.enqueue(outbox.auditRecord(caller, "DeleteLicense", arn, now, license.Version), now);
		});
		return { ok: true, value: sellerRules.deletedResponse(now) };
	}

	/** The license as reloaded after the commit, for D1 (a new version, or only its status). */
	private enqueueLicense(newVersion: boolean, now: number): void {
		const { header, current } = this.room.license();
		if (!header || !current) throw new Error("license not loaded");
		this.room.store.enqueue(outbox.licenseRecord(header, current, newVersion, now), now);
	}
}
