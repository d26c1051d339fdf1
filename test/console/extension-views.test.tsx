import { describe, expect, it, vi } from "vitest";
import { ServiceError } from "../../console/src/api/errors";
import type { ExtensionApi } from "../../console/src/api/extension";
import { AuditTrail } from "../../console/src/components/AuditTrail";
import { Borrows } from "../../console/src/components/Borrows";
import { UsageHistory } from "../../console/src/components/UsageHistory";
import { ARN, activeBorrow, expiredBorrow, serverWithoutExtensions } from "./fixtures";
import { button, choose, click, mount, text, type, until } from "./render";

function api(overrides: Partial<ExtensionApi>): ExtensionApi {
	return { ...serverWithoutExtensions(), ...overrides };
}

describe("on a server without the extension operations", () => {
	it("each view says it is not available there, naming the operation", async () => {
		const server = serverWithoutExtensions();
		const root = await mount(
			<>
				<Borrows api={server} arn={ARN} round={0} onRevoked={() => {}} />
				<UsageHistory api={server} arn={ARN} round={0} />
				<AuditTrail api={server} arn={ARN} round={0} />
			</>,
		);
		await until(() => root.querySelectorAll(".unavailable").length === 3, "three notes");
		expect([...root.querySelectorAll(".unavailable")].map(text)).toEqual([
			"Not available on this server: it does not offer EdgeLicenseManager.ListBorrows.",
			"Not available on this server: it does not offer EdgeLicenseManager.GetUsageHistory.",
			"Not available on this server: it does not offer EdgeLicenseManager.ListAuditEvents.",
		]);
	});
});

describe("Live borrows (ListBorrows, RevokeBorrow; SPEC §8 fixtures)", () => {
	it("lists active borrows: account, node, quantities, issued, expires", async () => {
		const listBorrows = vi.fn(async () => ({ Borrows: [activeBorrow] }));
		const root = await mount(
			<Borrows api={api({ listBorrows })} arn={ARN} round={0} onRevoked={() => {}} />,
		);
		await until(() => root.querySelector("tbody tr") !== null, "a row");
		expect(listBorrows).toHaveBeenCalledWith({ LicenseArn: ARN, MaxResults: 20, Status: "ACTIVE" });
		const cells = [...root.querySelectorAll("tbody td")].map(text);
		expect(cells.slice(0, 3)).toEqual(["444455556666", "laptop-7", "Seats × 2, Tier = Pro"]);
		const issued = root.querySelector("tbody td[data-label=Issued] time");
		expect(issued?.getAttribute("datetime")).toBe("2026-11-30T10:00:00Z");
		expect(issued?.getAttribute("title")).toBe("2026-11-30 10:00:00 UTC");
	});

	it("revokes only after a confirmation, shows the service's answer and reloads", async () => {
		const revokeBorrow = vi.fn(async () => ({
			BorrowId: "b-active-1",
			Status: "REVOKED" as const,
			RevokedAt: "2026-11-30T10:30:00Z",
		}));
		const onRevoked = vi.fn();
		const root = await mount(
			<Borrows
				api={api({ listBorrows: async () => ({ Borrows: [activeBorrow] }), revokeBorrow })}
				arn={ARN}
				round={0}
				onRevoked={onRevoked}
			/>,
		);
		await until(() => root.querySelector("tbody tr") !== null, "a row");
		await click(button(root, "Revoke borrow b-active-1"));
		expect(revokeBorrow).not.toHaveBeenCalled();
		expect(text(root.querySelector(".confirm") as Element)).toContain(
			"Revoke borrow b-active-1 held by account 444455556666 on node laptop-7?",
		);
		await click(button(root, "Confirm revoke"));
		await until(() => root.querySelector(".note.ok") !== null, "the answer");
		// No reason typed: none sent.
		expect(revokeBorrow).toHaveBeenCalledWith({ LicenseArn: ARN, BorrowId: "b-active-1" });
		expect(text(root.querySelector(".note.ok") as Element)).toMatch(
			/^The service answered: borrow b-active-1 is REVOKED since /,
		);
		expect(onRevoked).toHaveBeenCalledOnce();
	});

	it("sends the reason typed in the confirmation, and lists a revoked borrow with its reason", async () => {
		const revokeBorrow = vi.fn(async () => ({
			BorrowId: "b-active-1",
			Status: "REVOKED" as const,
			RevokedAt: "2026-11-30T10:30:00Z",
		}));
		const revoked = {
			...activeBorrow,
			Status: "REVOKED" as const,
			EndedAt: "2026-11-30T10:30:00Z",
			RevokedAt: "2026-11-30T10:30:00Z",
			RevokeReason: "laptop stolen",
		};
		const listBorrows = vi.fn(async (input: { Status?: string }) => ({
			Borrows: input.Status === "ACTIVE" ? [activeBorrow] : [revoked],
		}));
		const root = await mount(
			<Borrows api={api({ listBorrows, revokeBorrow })} arn={ARN} round={0} onRevoked={() => {}} />,
		);
		await until(() => root.querySelector("tbody tr") !== null, "a row");
		await click(button(root, "Revoke borrow b-active-1"));
		await type(root.querySelector("#revoke-reason") as HTMLInputElement, "  laptop stolen ");
		await click(button(root, "Confirm revoke"));
		await until(() => root.querySelector(".note.ok") !== null, "the answer");
		expect(revokeBorrow).toHaveBeenCalledWith({
			LicenseArn: ARN,
			BorrowId: "b-active-1",
			Reason: "laptop stolen",
		});
		await choose(root.querySelector("#borrow-status") as HTMLSelectElement, "REVOKED");
		await until(
			() =>
				text(root.querySelector("tbody td[data-label=Status]") as Element).startsWith("REVOKED"),
			"the revoked row",
		);
		expect(text(root.querySelector("tbody td[data-label=Status]") as Element)).toBe(
			"REVOKED — laptop stolen",
		);
		// A second revocation starts with an empty reason.
		await choose(root.querySelector("#borrow-status") as HTMLSelectElement, "ACTIVE");
		await until(
			() => text(root.querySelector("tbody td[data-label=Status]") as Element) === "ACTIVE",
			"the active row",
		);
		await click(button(root, "Revoke borrow b-active-1"));
		expect((root.querySelector("#revoke-reason") as HTMLInputElement).value).toBe("");
	});

	it("Cancel leaves the borrow alone", async () => {
		const revokeBorrow = vi.fn();
		const root = await mount(
			<Borrows
				api={api({ listBorrows: async () => ({ Borrows: [activeBorrow] }), revokeBorrow })}
				arn={ARN}
				round={0}
				onRevoked={() => {}}
			/>,
		);
		await until(() => root.querySelector("tbody tr") !== null, "a row");
		await click(button(root, "Revoke borrow b-active-1"));
		await click(button(root, "Cancel"));
		expect(root.querySelector(".confirm")).toBeNull();
		expect(revokeBorrow).not.toHaveBeenCalled();
	});

	it("shows a refusal in the service's words", async () => {
		const root = await mount(
			<Borrows
				api={api({
					listBorrows: async () => ({ Borrows: [activeBorrow] }),
					revokeBorrow: async () => {
						throw new ServiceError("ValidationException", "Borrow b-active-1 has expired.", 400);
					},
				})}
				arn={ARN}
				round={0}
				onRevoked={() => {}}
			/>,
		);
		await until(() => root.querySelector("tbody tr") !== null, "a row");
		await click(button(root, "Revoke borrow b-active-1"));
		await click(button(root, "Confirm revoke"));
		await until(() => root.querySelector("[role=alert]") !== null, "the refusal");
		const alert = root.querySelector("[role=alert]") as Element;
		expect([...alert.querySelectorAll("p")].map(text)).toEqual([
			"The revocation was refused:",
			"Borrow b-active-1 has expired.",
			"ValidationException",
		]);
	});

	it("offers no Revoke for an expired borrow, filters by status and pages with NextToken", async () => {
		const listBorrows = vi.fn(async (input: { NextToken?: string }) =>
			input.NextToken
				? { Borrows: [expiredBorrow] }
				: { Borrows: [activeBorrow], NextToken: "page-2" },
		);
		const root = await mount(
			<Borrows api={api({ listBorrows })} arn={ARN} round={0} onRevoked={() => {}} />,
		);
		await until(() => root.querySelector("tbody tr") !== null, "a row");
		await choose(root.querySelector("#borrow-status") as HTMLSelectElement, "");
		await until(() => listBorrows.mock.calls.length === 2, "a listing of all borrows");
		expect(listBorrows).toHaveBeenLastCalledWith({ LicenseArn: ARN, MaxResults: 20 });
		await until(() => !(button(root, "Next") as HTMLButtonElement).disabled, "a next page");
		await click(button(root, "Next"));
		await until(
			() => text(root).includes("b-expired-1") || text(root).includes("EXPIRED"),
			"page 2",
		);
		expect(listBorrows).toHaveBeenLastCalledWith({
			LicenseArn: ARN,
			MaxResults: 20,
			NextToken: "page-2",
		});
		expect(root.querySelectorAll("tbody button")).toHaveLength(0);
		expect(text(root.querySelector(".pager") as Element)).toContain("Page 2");
	});
});

describe("Audit trail (ListAuditEvents)", () => {
	it("lists events newest first as the server sends them, paged", async () => {
		const listAuditEvents = vi.fn(async (input: { NextToken?: string }) =>
			input.NextToken
				? {
						Events: [
							{
								Time: "2026-11-30T09:00:00Z",
								Operation: "CreateLicense",
								Account: "111122223333",
								AccessKeyId: "AKIDLOCALDEV0000001",
								LicenseArn: ARN,
								RequestId: "r-1",
							},
						],
					}
				: {
						Events: [
							{
								Time: "2026-11-30T10:00:00Z",
								Operation: "CheckoutBorrowLicense",
								Account: "444455556666",
								AccessKeyId: "AKIDLOCALDEV0000002",
								LicenseArn: ARN,
								BorrowId: "b-active-1",
								RequestId: "r-2",
							},
						],
						NextToken: "n",
					},
		);
		const root = await mount(<AuditTrail api={api({ listAuditEvents })} arn={ARN} round={0} />);
		await until(() => root.querySelector("tbody tr") !== null, "a row");
		expect([...root.querySelectorAll("tbody td")].map(text).slice(1)).toEqual([
			"CheckoutBorrowLicense",
			"444455556666",
			"AKIDLOCALDEV0000002",
			"b-active-1",
			"r-2",
		]);
		await click(button(root, "Next"));
		await until(() => text(root).includes("CreateLicense"), "page 2");
		expect(listAuditEvents).toHaveBeenLastCalledWith({
			LicenseArn: ARN,
			MaxResults: 20,
			NextToken: "n",
		});
	});
});

describe("Usage over time (GetUsageHistory)", () => {
	it("asks for 7 days by hour, then 90 days by day; an empty window says so", async () => {
		const getUsageHistory = vi.fn(async () => ({
			Entitlements: [{ Name: "Seats", Unit: "Count", Points: [] }],
		}));
		const root = await mount(<UsageHistory api={api({ getUsageHistory })} arn={ARN} round={0} />);
		await until(() => text(root).includes("No usage recorded in this window."), "the empty note");
		expect(getUsageHistory).toHaveBeenLastCalledWith(
			expect.objectContaining({ Granularity: "HOUR" }),
		);
		await choose(root.querySelector("#usage-range") as HTMLSelectElement, "quarter");
		await until(() => getUsageHistory.mock.calls.length === 2, "a second request");
		expect(getUsageHistory).toHaveBeenLastCalledWith(
			expect.objectContaining({ Granularity: "DAY" }),
		);
	});
});
