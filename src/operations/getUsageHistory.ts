import type { EntitlementUsageHistory, GetUsageHistoryOutput } from "../client/types";
import { clock, isoSeconds } from "../clock";
import { mayConsume } from "../license/access";
import { AwsError } from "../protocol/errors";
import { Validator } from "../protocol/validation";
import { queryUsageHistory } from "../records/d1";
import { readLicenseArn, redirectIfForeign } from "./common";
import { readInstant } from "./licenseInput";
import type { Operation } from "./types";

const GRANULARITIES = ["HOUR", "DAY"] as const;
type Granularity = (typeof GRANULARITIES)[number];
const BUCKET_S: Record<Granularity, number> = { HOUR: 3600, DAY: 86_400 };
/** SPEC §8: the default window is the last 7 days; a reply holds at most 1,000 points per entitlement. */
const DEFAULT_WINDOW_S = 7 * 86_400;
const MAX_USAGE_POINTS = 1000;
/**
 * Points in one reply across the license's counted entitlements: a point is at most
 * ~90 bytes of JSON, so a reply stays under 1 MiB, as a list page does (SPEC §11),
 * however many entitlements the license counts.
 */
export const MAX_REPLY_POINTS = 10_000;

/**
 * SPEC §8, from D1 (eventually consistent: a borrow shows once its license's outbox
 * has drained, normally within seconds). Buckets are whole UTC hours or days: the
 * window is widened to them (Start down, End up), so every point covers a full
 * bucket and the last one is the bucket `End` falls in. Without Start the window is
 * the 7 days of buckets ending there; without End it ends now. Visible to whoever
 * may read the license's usage (GetLicenseUsage, SPEC §2): the issuer and the
 * beneficiary account, also after deletion.
 */
export const getUsageHistory: Operation = async ({ env, config, caller, input }) => {
	const v = new Validator();
	const arn = readLicenseArn(v, input.LicenseArn) as string;
	const start = readInstant(v, input.Start, "start", false);
	const end = readInstant(v, input.End, "end", false);
	const granularity = v.enumValue(input.Granularity, "granularity", GRANULARITIES) ?? "HOUR";
	const bucketS = BUCKET_S[granularity];
	const endMs = end ?? clock.now();
	const endS = Math.ceil(endMs / 1000 / bucketS) * bucketS;
	const startS =
		start === undefined ? endS - DEFAULT_WINDOW_S : Math.floor(start / 1000 / bucketS) * bucketS;
	if (start !== undefined && !v.failedAt("end") && start >= endMs) {
		v.add(
			`Start ${isoSeconds(start)} must be earlier than End ${isoSeconds(endMs)}${end === undefined ? " (now)" : ""}`,
		);
	} else if (v.ok) {
		const points = (endS - startS) / bucketS;
		if (points > MAX_USAGE_POINTS) {
			v.add(
				`The window from ${isoSeconds(startS * 1000)} to ${isoSeconds(endS * 1000)} holds ${points} ${granularity} points; at most ${MAX_USAGE_POINTS} are allowed: narrow it or use a coarser granularity`,
			);
		}
	}
	v.done();
	redirectIfForeign(config, arn);

	const { license, rows } = await queryUsageHistory(env.DB, {
		licenseArn: arn,
		startS,
		endS,
		bucketS,
		maxPoints: MAX_REPLY_POINTS,
	});
	if (!license) throw new AwsError("ResourceNotFoundException", `License ${arn} does not exist.`);
	if (!mayConsume(license.issuerAccount, license.beneficiaryAccount, caller.accountId)) {
		throw new AwsError("AccessDeniedException", "Access to this license is denied.");
	}
	const points = (endS - startS) / bucketS;
	const inAll = points * license.countedEntitlements;
	if (inAll > MAX_REPLY_POINTS) {
		throw new AwsError(
			"ValidationException",
			`1 validation error detected: The window holds ${points} ${granularity} points for each of the license's ${license.countedEntitlements} counted entitlements, ${inAll} in all; a reply holds at most ${MAX_REPLY_POINTS}: narrow it or use a coarser granularity`,
		);
	}
	const entitlements = new Map<number, EntitlementUsageHistory>();
	for (const row of rows) {
		let entry = entitlements.get(row.pos);
		if (!entry) {
			entry = { Name: row.name, Unit: row.unit, Points: [] };
			entitlements.set(row.pos, entry);
		}
		entry.Points.push({
			Time: isoSeconds((startS + row.bucket * bucketS) * 1000),
			PeakConsumed: row.peak,
			Checkouts: row.checkouts,
		});
	}
	const output: GetUsageHistoryOutput = { Entitlements: [...entitlements.values()] };
	return output;
};
