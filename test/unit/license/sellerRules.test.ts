import { describe, expect, it } from "vitest";
import type { CreateVersionCommand } from "../../../src/license/contract";
import {
	accountLimitRefusal,
	createLicenseReplay,
	deletionRefusal,
	deletionReplay,
	liveBorrowsRefusal,
	nextVersion,
	versionRefusal,
} from "../../../src/license/sellerRules";
import { caller, header, ISSUER, license, T0 } from "./fixtures";

/** SPEC §3, §7, §11: the seller's rules, decided from values and a given time. */

function versionCommand(overrides: Partial<CreateVersionCommand> = {}): CreateVersionCommand {
	const { LicenseName, ProductName, Issuer, HomeRegion, Validity, Entitlements } = license();
	return {
		caller: caller(ISSUER),
		arn: license().LicenseArn,
		clientToken: "ct",
		requestHash: "h",
		sourceVersion: "1",
		changes: {
			LicenseName,
			ProductName,
			Issuer,
			HomeRegion,
			Validity,
			Entitlements,
			ConsumptionConfiguration: license().ConsumptionConfiguration,
			Status: "AVAILABLE",
		},
		...overrides,
	};
}

describe("createLicenseReplay and accountLimitRefusal", () => {
	it("answers a retry with the stored response, refuses other parameters, creates when empty", () => {
		expect(createLicenseReplay(null, "hash-1")).toBeNull();
		expect(createLicenseReplay(header(), "hash-1")).toEqual({
			ok: true,
			value: '{"created":true}',
		});
		expect(createLicenseReplay(header(), "hash-2")).toEqual({
			ok: false,
			error: {
				type: "ValidationException",
				message: "ClientToken was already used to create a license with different parameters.",
			},
		});
	});

	it("refuses a new license once the Worker says the account's limit is reached", () => {
		const cmd = {
			caller: caller(ISSUER),
			requestHash: "h",
			license: license(),
			licenseId: header().licenseId,
		};
		expect(accountLimitRefusal({ ...cmd, accountLicenseLimit: null })).toBeNull();
		expect(accountLimitRefusal({ ...cmd, accountLicenseLimit: 3 })).toEqual({
			ok: false,
			error: {
				type: "ResourceLimitExceededException",
				message:
					"Limit exceeded: at most 3 licenses per issuer account. Delete licenses that are no longer needed before creating more.",
			},
		});
	});
});

describe("versionRefusal", () => {
	it("allows a new version of the current one, within the limit", () => {
		expect(versionRefusal(header(), license(), versionCommand(), 100)).toBeNull();
		const { sourceVersion: _, ...unversioned } = versionCommand();
		expect(versionRefusal(header(), license(), unversioned, 100)).toBeNull();
	});

	it("refuses, in order: deleted, stale SourceVersion, moved HomeRegion, a deletion status, the limit", () => {
		const deleted = header({ status: "DELETED", deletedAt: 1 });
		expect(versionRefusal(deleted, license(), versionCommand({ sourceVersion: "9" }), 1)).toEqual({
			ok: false,
			error: { type: "ConflictException", message: "License is DELETED; it can no longer change." },
		});
		expect(versionRefusal(header(), license(), versionCommand({ sourceVersion: "9" }), 1)).toEqual({
			ok: false,
			error: {
				type: "ConflictException",
				message: "SourceVersion 9 is not the current version (1).",
			},
		});
		const moved = versionCommand();
		moved.changes = { ...moved.changes, HomeRegion: "eu-west-1" };
		expect(versionRefusal(header(), license(), moved, 1)?.error.message).toBe(
			"HomeRegion cannot change in a new license version.",
		);
		const deleting = versionCommand();
		deleting.changes = { ...deleting.changes, Status: "PENDING_DELETE" };
		expect(versionRefusal(header(), license(), deleting, 1)?.error.message).toBe(
			"Use DeleteLicense to delete a license.",
		);
		expect(versionRefusal(header(), license(), versionCommand(), 1)).toEqual({
			ok: false,
			error: {
				type: "ResourceLimitExceededException",
				message:
					"Limit exceeded: at most 1 versions per license. Create a new license instead of another version.",
			},
		});
	});
});

describe("nextVersion", () => {
	it("takes the request's members, keeps what cannot change, numbers and dates the version", () => {
		const changes = {
			...versionCommand().changes,
			LicenseName: "Renamed",
			LicenseMetadata: [{ Name: "k", Value: "v" }],
		};
		const current = license({ LicenseMetadata: [{ Name: "old", Value: "x" }] });
		expect(nextVersion(current, changes, 2, T0, 65_536)).toEqual({
			ok: true,
			value: {
				...current,
				...changes,
				CreateTime: "2030-01-01T00:00:00Z",
				Version: "2",
			},
		});
		// No LicenseMetadata in the request: the new version has none.
		const bare = nextVersion(current, versionCommand().changes, 2, T0, 65_536);
		expect(bare.ok && "LicenseMetadata" in bare.value).toBe(false);
	});

	it("refuses a document too large as stored (what cannot change included)", () => {
		const result = nextVersion(license(), versionCommand().changes, 2, T0, 100);
		expect(result.ok).toBe(false);
		if (result.ok) return;
		expect(result.error.type).toBe("ValidationException");
		expect(result.error.message).toMatch(/it must be at most 100 bytes/);
	});
});

describe("deletion", () => {
	it("answers a repeated deletion as the first, needs the current SourceVersion and no live borrows", () => {
		expect(deletionReplay(header())).toBeNull();
		expect(deletionReplay(header({ status: "DELETED", deletedAt: T0 }))).toEqual({
			ok: true,
			value: '{"Status":"DELETED","DeletionDate":"2030-01-01T00:00:00Z"}',
		});
		expect(deletionRefusal(license(), "1")).toBeNull();
		expect(deletionRefusal(license(), "2")).toEqual({
			ok: false,
			error: {
				type: "ConflictException",
				message: "SourceVersion 2 is not the current version (1).",
			},
		});
		expect(liveBorrowsRefusal(0)).toBeNull();
		expect(liveBorrowsRefusal(2)).toEqual({
			ok: false,
			error: {
				type: "ConflictException",
				message: "License has 2 live borrow(s); it can be deleted once they end.",
			},
		});
	});
});
