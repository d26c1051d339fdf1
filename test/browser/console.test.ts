import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
	CheckoutBorrowLicenseCommand,
	GetLicenseCommand,
	GetLicenseUsageCommand,
	LicenseManagerClient,
	ListLicensesCommand,
} from "@aws-sdk/client-license-manager";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../node/freePort";
import { type DevServer, startDevServer } from "./devServer";

/**
 * The console end to end: Debian's Chromium (never a downloaded browser) driven by
 * playwright-core, against the Worker started the way `npm start` starts it.
 */
const CHROMIUM = "/usr/bin/chromium";
const SHOTS = "test-results/console";
const DEV = { accessKeyId: "AKIDLOCALDEV0000001", secret: "dev-secret-not-for-production" };
// A zone with no daylight saving, far from UTC: a time shown in it cannot pass for UTC.
const TIME_ZONE = "Asia/Tokyo";

let server: DevServer;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
const requests: string[] = [];
const problems: string[] = [];

function sdk(secret = DEV.secret): LicenseManagerClient {
	return new LicenseManagerClient({
		endpoint: server.endpoint,
		region: "us-east-1",
		credentials: { accessKeyId: DEV.accessKeyId, secretAccessKey: secret },
		maxAttempts: 1,
	});
}

async function shot(name: string): Promise<void> {
	await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** The page is no wider than `width` once layout has settled (polled for up to 5 s). */
async function fitsWidth(width: number): Promise<void> {
	let scrollWidth = Number.POSITIVE_INFINITY;
	for (let i = 0; i < 50; i++) {
		scrollWidth = await page.evaluate<number>("document.documentElement.scrollWidth");
		if (scrollWidth <= width) break;
		await page.waitForTimeout(100);
	}
	expect(scrollWidth).toBeLessThanOrEqual(width);
}

/** The text as a person reads it (textContent would glue "Seats" to "3 / 10"). */
async function text(selector: string): Promise<string> {
	// biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point here
	return (await page.locator(selector).first().innerText()).replace(/\s+/g, " ").trim();
}

beforeAll(async () => {
	if (!existsSync(CHROMIUM)) {
		throw new Error(
			`${CHROMIUM} is missing. The browser tests use Debian's Chromium and never download one: install it as root with 'apt-get update && apt-get install -y chromium'.`,
		);
	}
	mkdirSync(SHOTS, { recursive: true });
	server = await startDevServer(await freePort());
	userDataDir = mkdtempSync(join(tmpdir(), "elm-console-chromium-"));
	context = await chromium.launchPersistentContext(userDataDir, {
		executablePath: CHROMIUM,
		headless: true,
		args: [
			"--headless",
			"--no-sandbox",
			"--disable-gpu",
			"--disable-quic",
			"--no-first-run",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
		],
		viewport: { width: 1280, height: 900 },
		locale: "en-US",
		timezoneId: TIME_ZONE,
	});
	context.on("request", (r) => {
		requests.push(r.url());
	});
	page = context.pages()[0] ?? (await context.newPage());
	page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
	page.on("console", (m) => {
		// A refused call (the wrong secret, an operation this server lacks) is a 400 the
		// page shows in words; Chromium also logs it. Anything else is a problem.
		if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
			problems.push(`console: ${m.text()}`);
		}
	});
}, 240_000);

afterAll(async () => {
	await context?.close();
	if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
	await server?.stop();
}, 60_000);

describe("the operator console in Chromium", () => {
	it("is served at /console/ with a strict CSP, and the Worker's own routes still answer", async () => {
		const response = await page.goto(`${server.endpoint}/console`);
		expect(page.url()).toBe(`${server.endpoint}/console/`);
		expect(response?.status()).toBe(200);
		expect(response?.headers()["content-security-policy"]).toBe(
			"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
		);
		const jwks = (await (await fetch(`${server.endpoint}/.well-known/jwks.json`)).json()) as {
			keys: { kid: string }[];
		};
		const kid = jwks.keys[0]?.kid;
		expect(typeof kid).toBe("string");
		const pem = await fetch(`${server.endpoint}/keys/${kid}.pem`);
		expect(pem.status).toBe(200);
		expect(await pem.text()).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
		const list = await sdk().send(new ListLicensesCommand({}));
		expect(list.Licenses?.map((l) => l.LicenseArn)).toContain(server.demoLicenseArn);

		await page.getByLabel("Access key ID", { exact: true }).waitFor();
		expect(await page.getByLabel("Region", { exact: true }).inputValue()).toBe("us-east-1");
		await shot("signed-out-1280");
	});

	it("signs in by keyboard with the dev key and lists the demo license; a borrow shows in its usage bar", async () => {
		// Tab from the top of the page reaches the three fields in order; Enter signs in.
		await page.keyboard.press("Tab");
		await page.keyboard.type(DEV.accessKeyId);
		await page.keyboard.press("Tab");
		await page.keyboard.type(DEV.secret);
		await page.keyboard.press("Tab");
		expect(await page.evaluate("document.activeElement?.id")).toBe("region");
		await page.keyboard.press("Enter");

		const row = page.locator("tbody tr", { has: page.getByRole("link", { name: "Demo license" }) });
		await row.waitFor();
		const cells = (await row.locator("td").allTextContents()).map((c) => c.trim());
		expect(cells.slice(0, 6)).toEqual([
			"Demo license",
			"Demo Product",
			"DEMO-SKU-1",
			"AVAILABLE",
			"1",
			"us-east-1",
		]);
		await row.getByText("0 / 10").waitFor();
		expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual([
			"edge-license-manager.console.credentials",
		]);
		expect(await page.evaluate(() => localStorage.length)).toBe(0);

		const borrow = await sdk().send(
			new CheckoutBorrowLicenseCommand({
				LicenseArn: server.demoLicenseArn,
				Entitlements: [{ Name: "Seats", Unit: "Count", Value: "3" }],
				DigitalSignatureMethod: "JWT_PS384",
				NodeId: "laptop-e2e",
				ClientToken: `consoleE2E${Date.now()}`,
			}),
		);
		expect(borrow.EntitlementsAllowed?.[0]).toMatchObject({ Name: "Seats", Value: "3" });

		await page.getByRole("link", { name: "Demo license" }).click();
		await page.getByRole("heading", { name: "Demo license", level: 1 }).waitFor();
		await page.getByText("3 / 10").first().waitFor();
		await page.getByRole("link", { name: "← Licenses" }).click();
		await row.getByText("3 / 10").waitFor();
		await shot("licenses-1280");
	});

	it("shows a license: usage, entitlements, borrowing, versions, times in the browser's zone with UTC on hover", async () => {
		await page.getByRole("link", { name: "Demo license" }).click();
		await page.getByRole("heading", { name: "Demo license", level: 1 }).waitFor();
		expect(await text(".bars.wide .usage")).toBe("Seats 3 / 10");
		const begin = page.locator('time[datetime="2024-01-01T00:00:00Z"]');
		expect(await begin.textContent()).toBe("Jan 1, 2024, 9:00 AM");
		expect(await begin.getAttribute("title")).toBe("2024-01-01 00:00:00 UTC");
		const borrowing = page.getByRole("region", { name: "Borrowing" });
		expect((await borrowing.textContent())?.replace(/\s+/g, " ")).toContain(
			"Longest borrow1 hourEarly check-inallowed",
		);
		const versions = page.getByRole("region", { name: "Versions" });
		await versions.locator("tbody tr").first().waitFor();
		expect((await versions.locator("tbody tr td").allTextContents()).slice(0, 2)).toEqual([
			"1",
			"AVAILABLE",
		]);
		// From the license's object (SPEC §8 ListBorrows): the borrow above, live, revocable.
		const live = page.getByRole("region", { name: "Live borrows" });
		const borrowRow = live.locator("tbody tr", { hasText: "laptop-e2e" });
		await borrowRow.waitFor();
		expect(await borrowRow.locator("td").allTextContents()).toEqual([
			expect.stringMatching(/^\d{12}$/),
			"laptop-e2e",
			"Seats × 3",
			expect.any(String),
			expect.any(String),
			"ACTIVE",
			"Revoke",
		]);
		expect(await live.locator(".unavailable").count()).toBe(0);
		// From D1 (GetUsageHistory, ListAuditEvents): the borrow above may not have
		// landed yet, the license's creation has (CreateLicense waits for D1).
		const usage = page.getByRole("region", { name: "Usage over time" }).locator("figcaption");
		await usage.waitFor();
		expect((await usage.textContent())?.trim()).toMatch(/^Seats: highest [03]$/);
		const audit = page.getByRole("region", { name: "Audit trail" });
		await audit.getByRole("cell", { name: "CreateLicense", exact: true }).waitFor();
		await shot("license-1280");
		if (process.env.CONSOLE_DOCS_SCREENSHOT === "1")
			copyFileSync(join(SHOTS, "license-1280.png"), "docs/console.png");
	});

	it("deactivates and reactivates the license after a confirmation, showing the service's answer", async () => {
		const status = page.getByRole("region", { name: "Status" });
		await status.getByRole("button", { name: "Deactivate" }).click();
		await status.getByRole("button", { name: "Confirm deactivate" }).click();
		await status.getByText("The service answered: version 2 is DEACTIVATED.").waitFor();
		expect(
			(await sdk().send(new GetLicenseCommand({ LicenseArn: server.demoLicenseArn }))).License,
		).toMatchObject({ Status: "DEACTIVATED", Version: "2" });
		await status.getByRole("button", { name: "Reactivate" }).click();
		await status.getByRole("button", { name: "Confirm reactivate" }).click();
		await status.getByText("The service answered: version 3 is AVAILABLE.").waitFor();
		expect(
			(await sdk().send(new GetLicenseCommand({ LicenseArn: server.demoLicenseArn }))).License,
		).toMatchObject({ Status: "AVAILABLE", Version: "3" });
		const versions = page.getByRole("region", { name: "Versions" });
		await versions.locator("tbody tr").nth(2).waitFor();
		expect(await versions.locator("tbody tr td:nth-child(2)").allTextContents()).toEqual([
			"AVAILABLE",
			"DEACTIVATED",
			"AVAILABLE",
		]);
		// The page kept the usage the borrow took.
		expect(await text(".bars.wide .usage")).toBe("Seats 3 / 10");
	});

	it("is readable 390 px wide", async () => {
		await page.setViewportSize({ width: 390, height: 844 });
		await page.getByRole("heading", { name: "Demo license", level: 1 }).waitFor();
		// Nothing wider than the screen: no sideways scrolling on a phone. The usage chart
		// follows the new width from a ResizeObserver, a frame or two after the resize.
		await fitsWidth(390);
		await shot("license-390");
		await page.getByRole("link", { name: "← Licenses" }).click();
		// Wait for the list itself (the license page also shows "3 / 10", so that
		// text alone can match before the list has loaded).
		const list = page.getByRole("table", { name: "Licenses issued by this account" });
		await list.getByText("3 / 10").first().waitFor();
		expect(await page.getByText("Loading licenses…").count()).toBe(0);
		await fitsWidth(390);
		await shot("licenses-390");
		await page.setViewportSize({ width: 1280, height: 900 });
	});

	it("revokes the live borrow from the page after a confirmation: the seat returns and the borrow is on the revocation list", async () => {
		await page.getByRole("link", { name: "Demo license" }).first().click();
		await page.getByRole("heading", { name: "Demo license", level: 1 }).waitFor();
		const live = page.getByRole("region", { name: "Live borrows" });
		const borrowRow = live.locator("tbody tr", { hasText: "laptop-e2e" });
		await borrowRow.waitFor();
		const revoke = borrowRow.getByRole("button", { name: /^Revoke borrow b-[0-9a-f]{32}$/ });
		const borrowId = ((await revoke.getAttribute("aria-label")) ?? "").replace(
			"Revoke borrow ",
			"",
		);
		expect(borrowId).toMatch(/^b-[0-9a-f]{32}$/);

		// Nothing happens before the confirmation.
		await revoke.click();
		expect(
			(
				await sdk().send(new GetLicenseUsageCommand({ LicenseArn: server.demoLicenseArn }))
			).LicenseUsage?.EntitlementUsages?.find((e) => e.Name === "Seats")?.ConsumedValue,
		).toBe("3");
		await live.getByLabel("Reason (optional, listed with the borrow)").fill("laptop lost");
		await shot("license-revoke-confirm-1280");
		await live.getByRole("button", { name: "Confirm revoke" }).click();
		await live.getByText(`The service answered: borrow ${borrowId} is REVOKED since`).waitFor();

		// The service agrees: the seats are back, and the borrow is on the public list.
		const usage = await sdk().send(
			new GetLicenseUsageCommand({ LicenseArn: server.demoLicenseArn }),
		);
		expect(
			usage.LicenseUsage?.EntitlementUsages?.find((e) => e.Name === "Seats")?.ConsumedValue,
		).toBe("0");
		await page.getByText("0 / 10").first().waitFor();
		expect(await text(".bars.wide .usage")).toBe("Seats 0 / 10");
		const licenseId = server.demoLicenseArn.split(":license:")[1] as string;
		const list = await fetch(`${server.endpoint}/revocations/${licenseId}`);
		expect(list.headers.get("content-type")).toBe("application/jwt");
		const claims = JSON.parse(
			Buffer.from((await list.text()).split(".")[1] as string, "base64url").toString(),
		) as { revoked: { jti: string; reason: string }[] };
		expect(claims.revoked).toContainEqual(
			expect.objectContaining({ jti: borrowId, reason: "REVOKED" }),
		);
		// Listed as revoked, with the reason given in the page.
		await live.getByLabel("Show").selectOption("REVOKED");
		await live
			.locator("tbody tr", { hasText: "laptop-e2e" })
			.getByText("REVOKED — laptop lost")
			.waitFor();
		await shot("license-revoked-1280");
		await page.getByRole("link", { name: "← Licenses" }).click();
		await page
			.getByRole("table", { name: "Licenses issued by this account" })
			.getByText("0 / 10")
			.first()
			.waitFor();
	});

	it("creates a license with the form, and shows a value the service refuses in its words", async () => {
		await page.getByRole("link", { name: "Create license" }).click();
		await page.getByLabel("License name").fill("Console E2E license");
		await page.getByLabel("Product name").fill("Console Product");
		await page.getByLabel("Product SKU").fill("CONSOLE-E2E");
		await page.getByLabel("Issuer name").fill("Console Issuer");
		await page.getByLabel("Beneficiary").fill("My Beneficiary");
		await page.getByLabel("Longest borrow (minutes)").fill("0");
		await page.getByRole("button", { name: "Create license" }).click();
		const alert = page.getByRole("alert");
		await alert.waitFor();
		expect(await alert.locator(".note-type").textContent()).toBe("ValidationException");
		expect(await alert.locator("strong").textContent()).toContain(
			"consumptionConfiguration.borrowConfiguration.maxTimeToLiveInMinutes",
		);

		await page.getByLabel("Longest borrow (minutes)").fill("90");
		await page.getByRole("button", { name: "Create license" }).click();
		const answer = page.getByRole("status").filter({ hasText: "The service answered" });
		await answer.waitFor();
		const arn = (await answer.getByRole("link").textContent()) ?? "";
		expect((await answer.textContent())?.replace(/\s+/g, " ")).toBe(
			`The service answered: ${arn} is AVAILABLE, version 1.`,
		);
		const { License } = await sdk().send(new GetLicenseCommand({ LicenseArn: arn }));
		expect(License).toMatchObject({
			LicenseName: "Console E2E license",
			ProductSKU: "CONSOLE-E2E",
			Entitlements: [{ Name: "Seats", Unit: "Count", MaxCount: 10 }],
			ConsumptionConfiguration: {
				BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: 90 },
			},
		});
		await shot("create-1280");
		// The SKU filter finds it, and only it.
		await page.getByRole("link", { name: "← Licenses" }).click();
		await page.getByLabel("Product SKU").fill("CONSOLE-E2E");
		await page.getByRole("button", { name: "Filter" }).click();
		await page.locator("table.licenses[aria-busy=false]").waitFor();
		await page.getByRole("link", { name: "Demo license" }).waitFor({ state: "detached" });
		expect(await page.locator("tbody tr").count()).toBe(1);
		await page.getByRole("link", { name: "Console E2E license" }).waitFor();
	});

	it("Sign out forgets the key; a wrong secret then shows the service's error in words", async () => {
		await page.getByRole("button", { name: "Sign out" }).click();
		await page.getByLabel("Access key ID", { exact: true }).waitFor();
		expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
		await page.setViewportSize({ width: 390, height: 844 });
		await shot("signed-out-390");
		await page.setViewportSize({ width: 1280, height: 900 });

		const refused = await sdk("not-the-secret")
			.send(new ListLicensesCommand({}))
			.catch((e: Error) => e);
		expect(refused).toBeInstanceOf(Error);
		await page.getByLabel("Access key ID", { exact: true }).fill(DEV.accessKeyId);
		await page.getByLabel("Secret access key", { exact: true }).fill("not-the-secret");
		await page.getByRole("button", { name: "Sign in" }).click();
		const alert = page.getByRole("alert");
		await alert.waitFor();
		expect(await alert.locator("strong").textContent()).toBe((refused as Error).message);
		expect(await alert.locator(".note-type").textContent()).toBe("InvalidSignatureException");
		expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
		await shot("signin-refused-1280");
	});

	it("shows an account with no license what to do: the CLI line for a first one", async () => {
		await page.getByLabel("Access key ID", { exact: true }).fill("AKIDLOCALDEV0000002");
		await page
			.getByLabel("Secret access key", { exact: true })
			.fill("dev-secret-2-not-for-production");
		await page.getByRole("button", { name: "Sign in" }).click();
		const empty = page.locator(".note.empty");
		await empty.waitFor();
		expect((await empty.locator("p").textContent())?.replace(/\s+/g, " ").trim()).toBe(
			"No licenses yet. Create one with the button above, or from a shell:",
		);
		expect(await empty.locator("code").textContent()).toContain(
			`aws license-manager create-license --endpoint-url ${server.endpoint} --region us-east-1`,
		);
		await shot("empty-1280");
	});

	it("draws the extension views (SPEC §8 fixtures answered in the browser): borrows with Revoke, the uPlot chart, the audit trail", async () => {
		// This server has no EdgeLicenseManager.* yet: the browser answers those calls with
		// SPEC §8-shaped fixtures, so the views, the chart under the CSP and Revoke's
		// confirmation are exercised in Chromium now. Every other call goes to the Worker.
		const hour = 3_600_000;
		const now = Date.now() - (Date.now() % hour);
		const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
		const borrow = {
			BorrowId: "b-fixture-1",
			Account: "444455556666",
			NodeId: "laptop-7",
			EntitlementsAllowed: [{ Name: "Seats", Unit: "Count", Value: "2" }],
			IssuedAt: iso(now - hour),
			Expiration: iso(now + hour),
			Status: "ACTIVE",
		};
		const seen: { target: string; input: Record<string, unknown>; authorization: string }[] = [];
		await page.route(`${server.endpoint}/`, async (route) => {
			const request = route.request();
			const target = request.headers()["x-amz-target"] ?? "";
			if (!target.startsWith("EdgeLicenseManager.")) return route.continue();
			const input = JSON.parse(request.postData() ?? "{}") as Record<string, unknown>;
			seen.push({ target, input, authorization: request.headers().authorization ?? "" });
			const answers: Record<string, unknown> = {
				"EdgeLicenseManager.ListBorrows": { Borrows: [borrow] },
				"EdgeLicenseManager.RevokeBorrow": {
					BorrowId: input.BorrowId,
					Status: "REVOKED",
					RevokedAt: iso(now),
				},
				"EdgeLicenseManager.GetUsageHistory": {
					Entitlements: [
						{
							Name: "Seats",
							Unit: "Count",
							Points: Array.from({ length: 168 }, (_, i) => ({
								Time: iso(now - (167 - i) * hour),
								PeakConsumed: Math.round(4 + 3 * Math.sin(i / 8)),
								Checkouts: i % 5,
							})),
						},
					],
				},
				"EdgeLicenseManager.ListAuditEvents": {
					Events: ["CheckoutBorrowLicense", "CreateLicenseVersion", "CreateLicense"].map(
						(op, i) => ({
							Time: iso(now - i * hour),
							Operation: op,
							Account: "111122223333",
							AccessKeyId: DEV.accessKeyId,
							LicenseArn: server.demoLicenseArn,
							RequestId: `fixture-request-${i}`,
						}),
					),
				},
			};
			await route.fulfill({
				status: 200,
				contentType: "application/x-amz-json-1.1",
				body: JSON.stringify(answers[target] ?? {}),
			});
		});
		try {
			await page.getByRole("button", { name: "Sign out" }).click();
			await page.getByLabel("Access key ID", { exact: true }).fill(DEV.accessKeyId);
			await page.getByLabel("Secret access key", { exact: true }).fill(DEV.secret);
			await page.getByRole("button", { name: "Sign in" }).click();
			await page.getByRole("link", { name: "Demo license" }).click();
			const borrows = page.getByRole("region", { name: "Live borrows" });
			await borrows.getByText("laptop-7").waitFor();
			const chart = page.getByRole("region", { name: "Usage over time" });
			await chart.locator(".uplot canvas").waitFor();
			expect(await chart.locator("figcaption").textContent()).toBe("Seats: highest 7");
			const audit = page.getByRole("region", { name: "Audit trail" });
			await audit.locator("tbody tr").nth(2).waitFor();
			await shot("license-extension-fixtures-1280");

			await borrows.getByRole("button", { name: "Revoke borrow b-fixture-1" }).click();
			expect(seen.some((s) => s.target === "EdgeLicenseManager.RevokeBorrow")).toBe(false);
			await borrows.getByRole("button", { name: "Confirm revoke" }).click();
			await borrows
				.getByText("The service answered: borrow b-fixture-1 is REVOKED since")
				.waitFor();
			const revoke = seen.find((s) => s.target === "EdgeLicenseManager.RevokeBorrow");
			expect(revoke?.input).toEqual({ LicenseArn: server.demoLicenseArn, BorrowId: "b-fixture-1" });
			// Signed in the browser like every other call: the four headers the service requires.
			expect(revoke?.authorization).toMatch(
				/SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/,
			);
		} finally {
			await page.unroute(`${server.endpoint}/`);
		}
	});

	it("made no request to any other origin, and broke no CSP rule", () => {
		const origin = new URL(server.endpoint).origin;
		expect(requests.length).toBeGreaterThan(10);
		expect(requests.filter((u) => new URL(u).origin !== origin)).toEqual([]);
		expect(problems).toEqual([]);
	});
});
