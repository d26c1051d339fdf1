import { BORROW_ID_PATTERN } from "../borrowId";
import type { BorrowStatus, ListBorrowsOutput } from "../client/types";
import { sha256Hex } from "../encoding";
import { AwsError, unwrap } from "../protocol/errors";
import { Validator } from "../protocol/validation";
import { PRINTABLE, readLicenseArn, redirectIfForeign, targetLicense } from "./common";
import { decodePageToken, encodePageToken, readMaxResults } from "./paging";
import type { Operation } from "./types";

const BORROW_STATUSES: readonly BorrowStatus[] = ["ACTIVE", "CHECKED_IN", "EXPIRED", "REVOKED"];

/**
 * SPEC §8, from the license's object (authoritative): the issuer sees every borrow,
 * the beneficiary account only its own, newest first. The object takes the page
 * (SPEC §11 byte budget included); a NextToken names the last borrow shown
 * (IssuedAt, BorrowId) and is bound to the caller, the license and the filters.
 */
export const listBorrows: Operation = async ({ env, config, caller, input }) => {
	const v = new Validator();
	const arn = readLicenseArn(v, input.LicenseArn) as string;
	const status = v.enumValue(input.Status, "status", BORROW_STATUSES);
	const nodeId = v.string(input.NodeId, "nodeId", {
		min: 1,
		max: 256,
		pattern: PRINTABLE,
		patternText: "printable characters",
	});
	const limit = readMaxResults(v, input.MaxResults);
	const nextToken = v.string(input.NextToken, "nextToken", { min: 1, max: 4096 });
	v.done();
	redirectIfForeign(config, arn);
	const filters = [arn, status ?? null, nodeId ?? null];
	const scope = `borrows:${caller.accountId}:${await sha256Hex(JSON.stringify(filters))}`;
	const before =
		nextToken === undefined ? null : positionOf(await decodePageToken(env, nextToken, scope));
	const { stub } = targetLicense(env, arn);
	const page = unwrap(
		await stub.listBorrows(
			caller,
			arn,
			{ status: status ?? null, nodeId: nodeId ?? null, before },
			{ maxItems: limit, maxBytes: config.limits.listResponseBytes },
		),
	);
	const output: ListBorrowsOutput = { Borrows: page.items };
	const last = page.items.at(-1);
	if (page.more && last) {
		output.NextToken = await encodePageToken(
			env,
			JSON.stringify([Date.parse(last.IssuedAt), last.BorrowId]),
			scope,
		);
	}
	return output;
};

/** The (issued_at, borrow id) a NextToken resumes after; its MAC already proved it was minted here. */
function positionOf(text: string): { issuedAt: number; borrowId: string } {
	const parsed: unknown = JSON.parse(text);
	if (
		!Array.isArray(parsed) ||
		parsed.length !== 2 ||
		!Number.isSafeInteger(parsed[0]) ||
		typeof parsed[1] !== "string" ||
		!BORROW_ID_PATTERN.test(parsed[1])
	) {
		throw new AwsError("ValidationException", "The NextToken is not valid for this request.");
	}
	return { issuedAt: parsed[0] as number, borrowId: parsed[1] };
}
