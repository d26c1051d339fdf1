import { describe, expect, it } from "vitest";
import {
	createLicenseInput,
	emptyForm,
	firstLicenseCommand,
} from "../../console/src/view/createForm";

describe("the create-license form", () => {
	it("turns the form into CreateLicense's input", () => {
		const form = {
			...emptyForm("eu-west-1", new Date("2026-05-01T10:00:00Z")),
			licenseName: " CAD Suite ",
			productName: "CAD Suite",
			productSku: "CAD-2026",
			issuerName: "ExampleSoft",
			beneficiary: "My Beneficiary",
			entitlements: [
				{ name: "Seats", unit: "Count", amount: "5" },
				{ name: "Edition", unit: "None", amount: "Pro" },
				{ name: "", unit: "Count", amount: "" },
			],
			maxTimeToLiveInMinutes: "120",
			maxPerNode: "1",
			lowWater: '{"Seats": 1}',
		};
		expect(createLicenseInput(form, "tok")).toEqual({
			LicenseName: "CAD Suite",
			ProductName: "CAD Suite",
			ProductSKU: "CAD-2026",
			Issuer: { Name: "ExampleSoft" },
			HomeRegion: "eu-west-1",
			Beneficiary: "My Beneficiary",
			Validity: { Begin: "2026-05-01T00:00:00Z", End: "2027-05-01T00:00:00Z" },
			Entitlements: [
				{ Name: "Seats", Unit: "Count", MaxCount: 5 },
				{ Name: "Edition", Unit: "None", Value: "Pro" },
			],
			ConsumptionConfiguration: {
				RenewType: "None",
				BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: 120 },
			},
			LicenseMetadata: [
				{ Name: "borrow.lowWater", Value: '{"Seats": 1}' },
				{ Name: "borrow.maxPerNode", Value: "1" },
			],
			ClientToken: "tok",
		});
	});

	it("leaves judging to the server: a count that is not a number is sent as such", () => {
		const form = {
			...emptyForm("us-east-1"),
			entitlements: [{ name: "Seats", unit: "Count", amount: "ten" }],
		};
		expect(JSON.stringify(createLicenseInput(form, "t").Entitlements)).toBe(
			'[{"Name":"Seats","Unit":"Count","MaxCount":null}]',
		);
	});

	it("offers a CLI line for a first license, aimed at this server", () => {
		const line = firstLicenseCommand("http://localhost:8787", "us-east-1");
		expect(line).toContain(
			"aws license-manager create-license --endpoint-url http://localhost:8787",
		);
		expect(line).toContain("--entitlements Name=Seats,Unit=Count,MaxCount=10");
	});
});
