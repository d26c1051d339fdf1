import type { AuditEvent, ListAuditEventsOutput } from "../client/types";
import { jsonLength, sha256Hex } from "../encoding";
import { takePage } from "../listPage";
import { AwsError } from "../protocol/errors";
import { Validator } from "../protocol/validation";
import { type AuditQuery, type AuditRow, queryAuditEvents } from "../records/d1";
import { readLicenseArn } from "./common";
import { readInstant } from "./licenseInput";
import { decodePageToken, encodePageToken, readMaxResults } from "./paging";
import type { Operation } from "./types";

/** Operation names as recorded (the AWS ones, the extension ones, and ExpireBorrow). */
const OPERATION_NAME = { min: 1, max: 64, pattern: /^[A-Za-z]+$/, patternText: "[A-Za-z]+" };

/**
 * SPEC §8, from D1: the caller sees the events on licenses it issued (whoever
 * called) and its own calls (on any license), newest first. An event about a
 * borrow names it by its BorrowId; its consumption token is never read. Filtering
 * on a license the caller did not issue is allowed and shows only its own calls
 * there, so the answer tells nothing about whose the license is. `Time` keeps the
 * milliseconds it was recorded with, so the order within a second shows.
 */
export const listAuditEvents: Operation = async ({ env, config, caller, input }) => {
	const v = new Validator();
	const licenseArn = readLicenseArn(v, input.LicenseArn, "licenseArn", false);
	const operation = v.string(input.Operation, "operation", OPERATION_NAME);
	const start = readInstant(v, input.Start, "start", false);
	const end = readInstant(v, input.End, "end", false);
	if (start !== undefined && end !== undefined && start >= end) {
		v.add(
			`Start ${new Date(start).toISOString()} must be earlier than End ${new Date(end).toISOString()}`,
		);
	}
	const limit = readMaxResults(v, input.MaxResults);
	const nextToken = v.string(input.NextToken, "nextToken", { min: 1, max: 4096 });
	v.done();

	const filters = [licenseArn ?? null, operation ?? null, start ?? null, end ?? null];
	// A NextToken is valid only for the same caller and the same filters.
	const scope = `audit:${caller.accountId}:${await sha256Hex(JSON.stringify(filters))}`;
	const query: AuditQuery = {
		account: caller.accountId,
		before:
			nextToken === undefined ? null : positionOf(await decodePageToken(env, nextToken, scope)),
		limit: limit + 1,
	};
	if (licenseArn !== undefined) query.licenseArn = licenseArn;
	if (operation !== undefined) query.operation = operation;
	if (start !== undefined) query.from = start;
	if (end !== undefined) query.to = end;

	const rows = await queryAuditEvents(env.DB, query);
	const page = takePage(
		rows.map((row) => ({ row, event: auditEvent(row) })),
		{ maxItems: limit, maxBytes: config.limits.listResponseBytes },
		(item) => jsonLength(item.event),
	);
	const last = page.items.at(-1)?.row;
	const output: ListAuditEventsOutput = { Events: page.items.map((item) => item.event) };
	if (page.more && last) {
		output.NextToken = await encodePageToken(env, JSON.stringify([last.at, last.eventId]), scope);
	}
	return output;
};

function auditEvent(row: AuditRow): AuditEvent {
	return {
		Time: row.at,
		Operation: row.operation,
		Account: row.accountId,
		AccessKeyId: row.accessKeyId,
		...(row.resourceArn ? { LicenseArn: row.resourceArn } : {}),
		...(row.borrowId ? { BorrowId: row.borrowId } : {}),
		RequestId: row.requestId,
	};
}

/** The (at, event id) a NextToken resumes after; its MAC already proved it was minted here. */
function positionOf(text: string): { at: string; eventId: string } {
	const parsed: unknown = JSON.parse(text);
	if (
		!Array.isArray(parsed) ||
		parsed.length !== 2 ||
		typeof parsed[0] !== "string" ||
		typeof parsed[1] !== "string"
	) {
		throw new AwsError("ValidationException", "The NextToken is not valid for this request.");
	}
	return { at: parsed[0], eventId: parsed[1] };
}
