import { describe, expect, it, vi } from "vitest";
import { ServiceError } from "../../console/src/api/errors";
import type { LicenseManagerApi } from "../../console/src/api/licenseManager";
import type { License, ListLicensesInput } from "../../console/src/api/types";
import { Licenses } from "../../console/src/components/Licenses";
import { demoLicense } from "./fixtures";
import { button, choose, click, mount, text, type, until } from "./render";

function api(overrides: Partial<LicenseManagerApi>): LicenseManagerApi {
	const never = () => new Promise<never>(() => {});
	return {
		listLicenses: never,
		getLicense: never,
		getLicenseUsage: async () => ({
			LicenseUsage: {
				EntitlementUsages: [
					{ Name: "Seats", ConsumedValue: "3", MaxCount: "10", Unit: "Count" },
					{ Name: "Tier", ConsumedValue: "0", Unit: "None" },
				],
			},
		}),
		listLicenseVersions: never,
		createLicense: never,
		createLicenseVersion: never,
		...overrides,
	};
}

const license = (n: number): License => ({
	...demoLicense,
	LicenseArn: `${demoLicense.LicenseArn.slice(0, -2)}${String(n).padStart(2, "0")}`,
	LicenseName: `License ${n}`,
});

describe("the Licenses view", () => {
	it("says it is loading, then lists each license with its counted usage as a bar", async () => {
		let answer: (v: { Licenses: License[] }) => void = () => {};
		const root = await mount(
			<Licenses
				api={api({ listLicenses: () => new Promise((r) => (answer = r)) })}
				endpoint="http://localhost:8787"
				region="us-east-1"
			/>,
		);
		expect(text(root.querySelector("[role=status]") as Element)).toBe("Loading licenses…");
		answer({ Licenses: [demoLicense] });
		await until(() => root.querySelector(".usage-label") !== null, "a usage bar");
		expect([...root.querySelectorAll("tbody td")].map(text).slice(0, 6)).toEqual([
			"Demo license",
			"Demo Product",
			"DEMO-SKU-1",
			"AVAILABLE",
			"1",
			"us-east-1",
		]);
		// Tier (unit None) carries no quantity: one bar, for Seats.
		expect([...root.querySelectorAll(".usage")].map(text)).toEqual(["Seats3 / 10"]);
		expect((root.querySelector(".fill") as HTMLElement).style.width).toBe("30%");
		expect(root.querySelector("tbody a")?.getAttribute("href")).toBe(
			`#/license/${encodeURIComponent(demoLicense.LicenseArn)}`,
		);
	});

	it("with no license at all, says what to do: the CLI line for a first one", async () => {
		const root = await mount(
			<Licenses
				api={api({ listLicenses: async () => ({ Licenses: [] }) })}
				endpoint="http://localhost:8787"
				region="eu-west-1"
			/>,
		);
		await until(() => root.querySelector(".empty") !== null, "the empty state");
		expect(text(root.querySelector(".empty p") as Element)).toBe(
			"No licenses yet. Create one with the button above, or from a shell:",
		);
		expect(root.querySelector(".empty code")?.textContent).toContain(
			"aws license-manager create-license --endpoint-url http://localhost:8787 --region eu-west-1",
		);
	});

	it("shows a refusal in the service's words", async () => {
		const root = await mount(
			<Licenses
				api={api({
					listLicenses: async () => {
						throw new ServiceError(
							"AuthorizationException",
							"AKIDX may not call ListLicenses.",
							400,
						);
					},
				})}
				endpoint="http://x"
				region="us-east-1"
			/>,
		);
		await until(() => root.querySelector("[role=alert]") !== null, "the error");
		expect([...root.querySelectorAll("[role=alert] p")].map(text)).toEqual([
			"Could not list licenses:",
			"AKIDX may not call ListLicenses.",
			"AuthorizationException",
		]);
	});

	it("filters by SKU and status on the server, and pages with NextToken there and back", async () => {
		const listLicenses = vi.fn(async (input: ListLicensesInput) =>
			input.NextToken === "p2"
				? { Licenses: [license(2)] }
				: { Licenses: [license(1)], NextToken: "p2" },
		);
		const root = await mount(
			<Licenses api={api({ listLicenses })} endpoint="http://x" region="us-east-1" />,
		);
		await until(() => text(root).includes("License 1"), "page 1");
		expect(listLicenses).toHaveBeenLastCalledWith({ MaxResults: 20 });

		await click(button(root, "Next"));
		await until(() => text(root).includes("License 2"), "page 2");
		expect(listLicenses).toHaveBeenLastCalledWith({ MaxResults: 20, NextToken: "p2" });
		expect(text(root.querySelector(".pager") as Element)).toContain("Page 2");
		await click(button(root, "Previous"));
		await until(() => text(root).includes("License 1"), "page 1 again");
		expect(listLicenses).toHaveBeenLastCalledWith({ MaxResults: 20 });

		await type(root.querySelector("#filter-sku") as HTMLInputElement, "DEMO-SKU-1");
		await choose(root.querySelector("#filter-status") as HTMLSelectElement, "DEACTIVATED");
		await click(button(root, "Filter"));
		await until(() => listLicenses.mock.calls.length === 4, "a filtered listing");
		expect(listLicenses).toHaveBeenLastCalledWith({
			MaxResults: 20,
			Filters: [
				{ Name: "ProductSKU", Values: ["DEMO-SKU-1"] },
				{ Name: "Status", Values: ["DEACTIVATED"] },
			],
		});
	});
});
