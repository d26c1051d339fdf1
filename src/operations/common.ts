import type { Config } from "../config";
import type { Env } from "../env";
import { type LicenseStub, licenseStub } from "../license/contract";
import {
	LICENSE_ARN_PATTERN,
	LICENSE_ARN_PATTERN_TEXT,
	type LicenseRef,
	parseLicenseArn,
	partitionOf,
} from "../licenseIds";
import { AwsError } from "../protocol/errors";
import type { Validator } from "../protocol/validation";

/** No control characters or lone surrogates (SPEC §3 "printable"). */
export const PRINTABLE = /^[^\p{Cc}\p{Cs}]*$/u;

export function readLicenseArn(
	v: Validator,
	value: unknown,
	path = "licenseArn",
	required = true,
): string | undefined {
	return v.string(value, path, {
		required,
		min: 1,
		max: 2048,
		pattern: LICENSE_ARN_PATTERN,
		patternText: LICENSE_ARN_PATTERN_TEXT,
	});
}

/** Other operations' ClientToken, as in the current AWS model. */
export function readClientToken(v: Validator, value: unknown): string | undefined {
	return v.string(value, "clientToken", {
		required: true,
		min: 1,
		max: 2048,
		pattern: /^\S+$/,
		patternText: "\\S+",
	});
}

/** SPEC §6: an ARN of a partition served elsewhere is redirected, before anything looks for it. */
export function redirectIfForeign(config: Config, arn: string): void {
	const partition = partitionOf(arn);
	if (partition === config.partition) return;
	const location = config.redirects[partition];
	throw new AwsError(
		"RedirectException",
		`This deployment serves the ${config.partition} partition; ${partition} resources are served elsewhere.`,
		location ? { location } : {},
	);
}

export interface LicenseTarget {
	ref: LicenseRef;
	stub: LicenseStub;
}

/** After validation and the redirect check: the license's object, or ResourceNotFound for ARNs (and placements) never minted. */
export function targetLicense(env: Env, arn: string): LicenseTarget {
	const ref = parseLicenseArn(arn);
	const stub = ref && licenseStub(env, ref.licenseId);
	if (!ref || !stub)
		throw new AwsError("ResourceNotFoundException", `License ${arn} does not exist.`);
	return { ref, stub };
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
	return JSON.stringify(value, (_key, v: unknown) =>
		v && typeof v === "object" && !Array.isArray(v)
			? Object.fromEntries(
					Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
						a < b ? -1 : a > b ? 1 : 0,
					),
				)
			: v,
	);
}
