import { BORROW_ID_PATTERN } from "../borrowId";
import { unwrap } from "../protocol/errors";
import { Validator } from "../protocol/validation";
import { PRINTABLE, readLicenseArn, redirectIfForeign, targetLicense } from "./common";
import type { Operation } from "./types";

/**
 * SPEC §8: the issuer ends a borrow now — its quantities return at once and its
 * token goes on the license's revocation list (SPEC §9). The object decides
 * (issuer only, idempotent, an expired borrow refused) and records it.
 */
export const revokeBorrow: Operation = async ({ env, config, caller, input }) => {
	const v = new Validator();
	const arn = readLicenseArn(v, input.LicenseArn) as string;
	const borrowId = v.string(input.BorrowId, "borrowId", {
		required: true,
		min: 34,
		max: 34,
		pattern: BORROW_ID_PATTERN,
		patternText: BORROW_ID_PATTERN.source,
	}) as string;
	const reason = v.string(input.Reason, "reason", {
		max: 256,
		pattern: PRINTABLE,
		patternText: "printable characters",
	});
	v.done();
	redirectIfForeign(config, arn);
	const { stub } = targetLicense(env, arn);
	return unwrap(await stub.revokeBorrow(caller, arn, borrowId, reason));
};
