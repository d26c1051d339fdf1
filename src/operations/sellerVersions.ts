import { sha256Hex } from "../encoding";
import { unwrap } from "../protocol/errors";
import { Validator } from "../protocol/validation";
import {
	canonicalJson,
	readClientToken,
	readLicenseArn,
	redirectIfForeign,
	targetLicense,
} from "./common";
import { keyFingerprint, readLicenseBody, readStatus } from "./licenseInput";
import { decodePageToken, encodePageToken, readMaxResults } from "./paging";
import type { Operation } from "./types";

const VERSION = {
	min: 1,
	max: 20,
	pattern: /^[1-9][0-9]*$/,
	patternText: "^[1-9][0-9]*$",
} as const;

export const createLicenseVersion: Operation = async ({ env, config, caller, input }) => {
	const v = new Validator();
	const arn = readLicenseArn(v, input.LicenseArn) as string;
	const body = readLicenseBody(v, input, config);
	const Status = readStatus(v, input.Status);
	const clientToken = readClientToken(v, input.ClientToken) as string;
	const sourceVersion = v.string(input.SourceVersion, "sourceVersion", VERSION);
	v.done();
	redirectIfForeign(config, arn);
	const { stub } = targetLicense(env, arn);
	const result = await stub.createVersion({
		caller,
		arn,
		clientToken,
		requestHash: await sha256Hex(canonicalJson([arn, body, Status, sourceVersion ?? null])),
		...(sourceVersion !== undefined ? { sourceVersion } : {}),
		changes: {
			...body,
			Issuer: {
				...body.Issuer,
				KeyFingerprint: keyFingerprint(caller.accountId, body.Issuer.Name),
			},
			Status: Status as NonNullable<typeof Status>,
		},
	});
	return unwrap(result);
};

export const listLicenseVersions: Operation = async ({ env, config, caller, input }) => {
	const v = new Validator();
	const arn = readLicenseArn(v, input.LicenseArn) as string;
	const limit = readMaxResults(v, input.MaxResults);
	const nextToken = v.string(input.NextToken, "nextToken", { min: 1, max: 4096 });
	v.done();
	redirectIfForeign(config, arn);
	const after =
		nextToken === undefined
			? 0
			: Number(await decodePageToken(env, nextToken, `versions:${caller.accountId}:${arn}`));
	const { stub } = targetLicense(env, arn);
	// The object takes the page (SPEC §11 byte budget included), so no more than a
	// response's worth of documents crosses the RPC.
	const page = unwrap(
		await stub.listVersions(caller, arn, after, {
			maxItems: limit,
			maxBytes: config.limits.listResponseBytes,
		}),
	);
	const last = page.items.at(-1);
	return {
		Licenses: page.items,
		...(page.more && last
			? {
					NextToken: await encodePageToken(
						env,
						last.Version,
						`versions:${caller.accountId}:${arn}`,
					),
				}
			: {}),
	};
};

export const deleteLicense: Operation = async ({ env, config, caller, input }) => {
	const v = new Validator();
	const arn = readLicenseArn(v, input.LicenseArn) as string;
	const sourceVersion = v.string(input.SourceVersion, "sourceVersion", {
		...VERSION,
		required: true,
	}) as string;
	v.done();
	redirectIfForeign(config, arn);
	const { stub } = targetLicense(env, arn);
	return unwrap(await stub.deleteLicense(caller, arn, sourceVersion));
};
