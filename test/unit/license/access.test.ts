import { describe, expect, it } from "vitest";
import {
	beneficiaryAccountOf,
	consumableLicense,
	issuedLicense,
	ownBorrow,
	visibleLicense,
} from "../../../src/license/access";
import { ARN, BENEFICIARY, borrow, caller, header, ISSUER, license, STRANGER } from "./fixtures";

/** SPEC §2 who may see, consume or change a license, decided from values alone. */

const missing = {
	ok: false,
	error: { type: "ResourceNotFoundException", message: `License ${ARN} does not exist.` },
};
const denied = {
	ok: false,
	error: { type: "AccessDeniedException", message: "Access to this license is denied." },
};

describe("visibleLicense", () => {
	it("shows the license to its issuer and its beneficiary, even once deleted", () => {
		const deleted = header({ status: "DELETED", deletedAt: 1 });
		for (const who of [ISSUER, BENEFICIARY]) {
			expect(visibleLicense(header(), license(), caller(who), ARN)).toEqual({
				ok: true,
				value: license(),
			});
			expect(visibleLicense(deleted, license(), caller(who), ARN).ok).toBe(true);
		}
	});

	it("denies any other account, and answers an unknown or other ARN as missing", () => {
		expect(visibleLicense(header(), license(), caller(STRANGER), ARN)).toEqual(denied);
		expect(visibleLicense(null, null, caller(ISSUER), ARN)).toEqual(missing);
		const other = `${ARN}0`;
		expect(visibleLicense(header(), license(), caller(ISSUER), other)).toEqual({
			ok: false,
			error: { type: "ResourceNotFoundException", message: `License ${other} does not exist.` },
		});
	});
});

describe("consumableLicense", () => {
	it("answers a deleted license as missing, naming the deletion, before asking who calls", () => {
		for (const status of ["DELETED", "PENDING_DELETE"]) {
			expect(consumableLicense(header({ status }), license(), caller(STRANGER), ARN)).toEqual({
				ok: false,
				error: {
					type: "ResourceNotFoundException",
					message: `License ${ARN} does not exist: it was deleted.`,
				},
			});
		}
		expect(consumableLicense(header(), license(), caller(STRANGER), ARN)).toEqual(denied);
		expect(consumableLicense(header(), license(), caller(BENEFICIARY), ARN).ok).toBe(true);
	});
});

describe("issuedLicense", () => {
	it("lets only the issuer change the license", () => {
		expect(issuedLicense(header(), license(), caller(ISSUER), ARN)).toEqual({
			ok: true,
			value: { header: header(), license: license() },
		});
		expect(issuedLicense(header(), license(), caller(BENEFICIARY), ARN)).toEqual({
			ok: false,
			error: {
				type: "AccessDeniedException",
				message: "Only the issuer account can change this license.",
			},
		});
	});
});

describe("ownBorrow", () => {
	const notFound = {
		ok: false,
		error: { type: "ResourceNotFoundException", message: "License consumption token not found." },
	};

	it("finds a borrow only for the account that holds it (no oracle for anyone else's)", () => {
		expect(ownBorrow(header(), license(), borrow(), caller(BENEFICIARY))).toEqual({
			ok: true,
			value: { borrow: borrow(), license: license() },
		});
		expect(ownBorrow(header(), license(), borrow(), caller(ISSUER))).toEqual(notFound);
		expect(ownBorrow(header(), license(), null, caller(BENEFICIARY))).toEqual(notFound);
		expect(ownBorrow(null, null, borrow(), caller(BENEFICIARY))).toEqual(notFound);
	});

	it("says the token's license was deleted, to its holder only", () => {
		const deleted = header({ status: "DELETED", deletedAt: 1 });
		expect(ownBorrow(deleted, license(), borrow(), caller(BENEFICIARY))).toEqual({
			ok: false,
			error: {
				type: "ResourceNotFoundException",
				message: "License consumption token not found: its license was deleted.",
			},
		});
		expect(ownBorrow(deleted, license(), borrow(), caller(STRANGER))).toEqual(notFound);
	});
});

describe("beneficiaryAccountOf", () => {
	it("takes the first 12-digit account id in Beneficiary, if any", () => {
		expect(beneficiaryAccountOf(BENEFICIARY)).toBe(BENEFICIARY);
		expect(beneficiaryAccountOf(`arn:aws:iam::${BENEFICIARY}:root`)).toBe(BENEFICIARY);
		expect(beneficiaryAccountOf("someone@example.com")).toBeNull();
	});
});
