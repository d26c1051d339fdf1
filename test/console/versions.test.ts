import { describe, expect, it } from "vitest";
import { statusAction, statusVersionInput } from "../../console/src/view/versions";
import { demoLicense } from "./fixtures";

describe("status actions", () => {
	it("offers Deactivate on an available license and Reactivate on a deactivated one", () => {
		expect(statusAction("AVAILABLE")).toMatchObject({ label: "Deactivate", to: "DEACTIVATED" });
		expect(statusAction("DEACTIVATED")).toMatchObject({ label: "Reactivate", to: "AVAILABLE" });
		expect(statusAction("DELETED")).toBeNull();
	});

	it("builds CreateLicenseVersion from the current version, only the status changed", () => {
		const license = {
			...demoLicense,
			Version: "4",
			LicenseMetadata: [{ Name: "borrow.maxPerNode", Value: "1" }],
		};
		expect(statusVersionInput(license, "DEACTIVATED", "tok-1")).toEqual({
			LicenseArn: license.LicenseArn,
			LicenseName: "Demo license",
			ProductName: "Demo Product",
			Issuer: { Name: "Demo Issuer" },
			HomeRegion: "us-east-1",
			Validity: license.Validity,
			Entitlements: license.Entitlements,
			ConsumptionConfiguration: license.ConsumptionConfiguration,
			LicenseMetadata: [{ Name: "borrow.maxPerNode", Value: "1" }],
			Status: "DEACTIVATED",
			SourceVersion: "4",
			ClientToken: "tok-1",
		});
	});
});
