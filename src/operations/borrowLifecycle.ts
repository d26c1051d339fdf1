import { licenseStub } from "../license/contract";
import { licenseIdOfConsumptionToken } from "../licenseIds";
import { AwsError, unwrap } from "../protocol/errors";
import { Validator } from "../protocol/validation";
import type { Operation } from "./types";

function readConsumptionToken(v: Validator, value: unknown): string | undefined {
	return v.string(value, "licenseConsumptionToken", { required: true, min: 1, max: 2048 });
}

/** The token names its license: no lookup. A token that names none, or a placement never minted, does not exist. */
function borrowStub(env: Parameters<Operation>[0]["env"], token: string) {
	const licenseId = licenseIdOfConsumptionToken(token);
	const stub = licenseId && licenseStub(env, licenseId);
	if (!stub)
		throw new AwsError("ResourceNotFoundException", "License consumption token not found.");
	return stub;
}

export const checkInLicense: Operation = async ({ env, caller, input }) => {
	const v = new Validator();
	const token = readConsumptionToken(v, input.LicenseConsumptionToken) as string;
	const beneficiary = v.string(input.Beneficiary, "beneficiary", { min: 1, max: 2048 });
	v.done();
	return unwrap(await borrowStub(env, token).checkIn(caller, token, beneficiary));
};

export const extendLicenseConsumption: Operation = async ({ env, caller, input }) => {
	const v = new Validator();
	const token = readConsumptionToken(v, input.LicenseConsumptionToken) as string;
	const dryRun = v.boolean(input.DryRun, "dryRun") ?? false;
	v.done();
	return unwrap(await borrowStub(env, token).extend(caller, token, dryRun));
};
