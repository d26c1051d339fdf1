import { clock, isoSeconds } from "../clock";
import { sha256Hex } from "../encoding";
import { licenseStub } from "../license/contract";
import { documentSizeRefusal, type License } from "../license/model";
import { licenseArn, mintLicenseId, placementForRegion } from "../licenseIds";
import { AwsError, unwrap } from "../protocol/errors";
import { Validator } from "../protocol/validation";
import { countLiveIssuedLicenses } from "../records/d1";
import { canonicalJson, readClientToken } from "./common";
import { keyFingerprint, readLicenseBody } from "./licenseInput";
import type { Operation } from "./types";

export const createLicense: Operation = async ({ env, config, caller, input }) => {
	const v = new Validator();
	const body = readLicenseBody(v, input, config);
	const ProductSKU = v.string(input.ProductSKU, "productSKU", {
		required: true,
		min: 1,
		max: 1024,
	});
	const Beneficiary = v.string(input.Beneficiary, "beneficiary", {
		required: true,
		min: 1,
		max: 2048,
	});
	const clientToken = readClientToken(v, input.ClientToken);
	v.done();
	if (config.homeRegions && !config.homeRegions.has(body.HomeRegion)) {
		const location = config.redirects[body.HomeRegion];
		throw new AwsError(
			"RedirectException",
			`Home region ${body.HomeRegion} is not served by this deployment.`,
			location ? { location } : {},
		);
	}

	const placement = placementForRegion(body.HomeRegion, config.euJurisdiction);
	const licenseId = await mintLicenseId(env, caller.accountId, clientToken as string, placement);
	const arn = licenseArn(config.partition, caller.accountId, licenseId);
	const license: License = {
		LicenseArn: arn,
		LicenseName: body.LicenseName,
		ProductName: body.ProductName,
		ProductSKU: ProductSKU as string,
		Issuer: { ...body.Issuer, KeyFingerprint: keyFingerprint(caller.accountId, body.Issuer.Name) },
		HomeRegion: body.HomeRegion,
		Status: "AVAILABLE",
		Validity: body.Validity,
		Beneficiary: Beneficiary as string,
		Entitlements: body.Entitlements,
		ConsumptionConfiguration: body.ConsumptionConfiguration,
		...(body.LicenseMetadata ? { LicenseMetadata: body.LicenseMetadata } : {}),
		CreateTime: isoSeconds(clock.now()),
		Version: "1",
	};
	const tooLarge = documentSizeRefusal(license, config.limits.licenseDocumentBytes);
	if (tooLarge) throw new AwsError(tooLarge);
	// SPEC §11 licenses per account, counted in D1: every CreateLicense and DeleteLicense
	// waits for its D1 copy, so the count is current but for creations running at
	// the same moment (docs/operations.md "Limits and retention" states the bound). The object
	// decides: a retry of a license that exists is answered whatever the count.
	const { licensesPerAccount } = config.limits;
	const live = await countLiveIssuedLicenses(env.DB, caller.accountId, licensesPerAccount);
	// The request a ClientToken stands for: the validated members in a fixed order, so
	// member order and unknown members (which AWS ignores) do not make a retry differ.
	const request = [body, license.ProductSKU, license.Beneficiary];
	const stub = licenseStub(env, licenseId);
	// Every placement placementForRegion gives is minted; only a runtime without
	// jurisdictions (EU_JURISDICTION=true locally) cannot make the object: a deployment fault.
	if (!stub)
		throw new Error(
			`No license object can be made here for ${placement.jurisdiction}/${placement.locationHint} placement.`,
		);
	const result = await stub.createLicense({
		caller,
		requestHash: await sha256Hex(canonicalJson(request)),
		license,
		licenseId,
		accountLicenseLimit: live >= licensesPerAccount ? licensesPerAccount : null,
	});
	return unwrap(result);
};
