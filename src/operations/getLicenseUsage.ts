import { unwrap } from "../protocol/errors";
import { Validator } from "../protocol/validation";
import { readLicenseArn, redirectIfForeign, targetLicense } from "./common";
import type { Operation } from "./types";

/** Read from the license's object, which is authoritative for live borrows. */
export const getLicenseUsage: Operation = async ({ env, config, caller, input }) => {
	const v = new Validator();
	const arn = readLicenseArn(v, input.LicenseArn) as string;
	v.done();
	redirectIfForeign(config, arn);
	const { stub } = targetLicense(env, arn);
	return unwrap(await stub.getUsage(caller, arn));
};
