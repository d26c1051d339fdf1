import { unwrap } from "../protocol/errors";
import { Validator } from "../protocol/validation";
import { readLicenseArn, redirectIfForeign, targetLicense } from "./common";
import type { Operation } from "./types";

export const getLicense: Operation = async ({ env, config, caller, input }) => {
	const v = new Validator();
	const arn = readLicenseArn(v, input.LicenseArn) as string;
	const version = v.string(input.Version, "version", { min: 1, max: 20 });
	v.done();
	redirectIfForeign(config, arn);
	const { stub } = targetLicense(env, arn);
	return { License: unwrap(await stub.getLicense(caller, arn, version)) };
};
