import { describe, expect, it, vi } from "vitest";
import { ServiceError } from "../../console/src/api/errors";
import type { LicenseManagerApi } from "../../console/src/api/licenseManager";
import type { CreateLicenseVersionInput } from "../../console/src/api/types";
import { StatusAction } from "../../console/src/components/StatusAction";
import { demoLicense } from "./fixtures";
import { button, click, mount, text, until } from "./render";

function api(createLicenseVersion: LicenseManagerApi["createLicenseVersion"]): LicenseManagerApi {
	const never = () => new Promise<never>(() => {});
	return {
		listLicenses: never,
		getLicense: never,
		getLicenseUsage: never,
		listLicenseVersions: never,
		createLicense: never,
		createLicenseVersion,
	};
}

describe("Deactivate / Reactivate", () => {
	it("sends a new version only after the confirmation, and shows the service's answer", async () => {
		const send = vi.fn(async (input: CreateLicenseVersionInput) => ({
			LicenseArn: input.LicenseArn,
			Status: input.Status,
			Version: "2",
		}));
		const onChanged = vi.fn();
		const root = await mount(
			<StatusAction api={api(send)} license={demoLicense} busy={false} onChanged={onChanged} />,
		);
		await click(button(root, "Deactivate"));
		expect(send).not.toHaveBeenCalled();
		expect(text(root.querySelector(".confirm p") as Element)).toBe(
			"Deactivate “Demo license”? New borrows will be refused; live borrows can still check in. The service records this as a new version.",
		);
		await click(button(root, "Confirm deactivate"));
		await until(() => root.querySelector(".note.ok") !== null, "the answer");
		expect(send.mock.calls[0]?.[0]).toMatchObject({ Status: "DEACTIVATED", SourceVersion: "1" });
		expect(text(root.querySelector(".note.ok") as Element)).toBe(
			"The service answered: version 2 is DEACTIVATED.",
		);
		expect(onChanged).toHaveBeenCalledOnce();
	});

	it("shows a refusal in words, and a second try reuses the ClientToken of the same intent", async () => {
		const send = vi
			.fn<LicenseManagerApi["createLicenseVersion"]>()
			.mockRejectedValueOnce(
				new ServiceError("ServerInternalException", "Retry the same request.", 500),
			)
			.mockResolvedValueOnce({
				LicenseArn: demoLicense.LicenseArn,
				Status: "DEACTIVATED",
				Version: "2",
			});
		const root = await mount(
			<StatusAction api={api(send)} license={demoLicense} busy={false} onChanged={() => {}} />,
		);
		await click(button(root, "Deactivate"));
		await click(button(root, "Confirm deactivate"));
		await until(() => root.querySelector("[role=alert]") !== null, "the refusal");
		expect([...root.querySelectorAll("[role=alert] p")].map(text)).toEqual([
			"The change was refused:",
			"Retry the same request.",
			"ServerInternalException",
		]);
		await click(button(root, "Deactivate"));
		await click(button(root, "Confirm deactivate"));
		await until(() => root.querySelector(".note.ok") !== null, "the answer");
		const [first, second] = send.mock.calls.map((c) => c[0].ClientToken);
		expect(second).toBe(first);
	});

	it("offers nothing while the license is being read again, nor for a deleted license", async () => {
		const root = await mount(
			<StatusAction api={api(vi.fn())} license={demoLicense} busy={true} onChanged={() => {}} />,
		);
		expect(button(root, "Deactivate").disabled).toBe(true);
		const deleted = await mount(
			<StatusAction
				api={api(vi.fn())}
				license={{ ...demoLicense, Status: "DELETED" }}
				busy={false}
				onChanged={() => {}}
			/>,
		);
		expect(deleted.querySelector("button")).toBeNull();
		expect(text(deleted)).toBe("No status change is offered for a DELETED license.");
	});
});
