// @vitest-environment node
// Node's fetch Headers, like browsers' and workerd's, list names in lower case, which
// SigV4's SignedHeaders relies on (happy-dom's keep the case they were set with).
import { describe, expect, it } from "vitest";
import { createCall } from "../../console/src/api/client";
import { ServiceError } from "../../console/src/api/errors";

const CREDENTIALS = {
	accessKeyId: "AKIDLOCALDEV0000001",
	secretAccessKey: "dev-secret-not-for-production",
	region: "eu-central-1",
};
const NOW = Date.parse("2026-11-30T12:00:00Z");

function recorder(answers: Response[]) {
	const seen: { request: Request; body: string }[] = [];
	const fetch = async (request: Request) => {
		seen.push({ request, body: await request.clone().text() });
		const next = answers.shift();
		if (!next) throw new Error("no answer left");
		return next;
	};
	return { seen, fetch };
}

const ok = (body: unknown) =>
	new Response(JSON.stringify(body), {
		status: 200,
		headers: { "content-type": "application/x-amz-json-1.1" },
	});

const awsError = (type: string, message: string, date?: string) =>
	new Response(JSON.stringify({ __type: type, message, Message: message }), {
		status: 400,
		headers: { "x-amzn-ErrorType": type, ...(date ? { Date: date } : {}) },
	});

describe("createCall: SigV4 in the page", () => {
	it("signs exactly content-type, host, x-amz-date and x-amz-target, scoped to license-manager in the chosen region", async () => {
		const { seen, fetch } = recorder([ok({ Licenses: [] })]);
		const call = createCall(CREDENTIALS, {
			endpoint: "http://localhost:8787/",
			fetch,
			now: () => NOW,
		});
		expect(await call("AWSLicenseManager.ListLicenses", { MaxResults: 1 })).toEqual({
			Licenses: [],
		});

		const [{ request, body }] = seen as [{ request: Request; body: string }];
		expect(request.method).toBe("POST");
		expect(request.url).toBe("http://localhost:8787/");
		expect(request.headers.get("content-type")).toBe("application/x-amz-json-1.1");
		expect(request.headers.get("x-amz-target")).toBe("AWSLicenseManager.ListLicenses");
		expect(request.headers.get("x-amz-date")).toBe("20261130T120000Z");
		expect(body).toBe('{"MaxResults":1}');
		expect(request.headers.get("authorization")).toMatch(
			/^AWS4-HMAC-SHA256 Credential=AKIDLOCALDEV0000001\/20261130\/eu-central-1\/license-manager\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/,
		);
	});

	it("never sends the secret: not in a header, the URL or the body", async () => {
		const { seen, fetch } = recorder([ok({})]);
		await createCall(CREDENTIALS, { endpoint: "http://localhost:8787/", fetch })(
			"AWSLicenseManager.GetLicense",
			{
				LicenseArn: "arn",
			},
		);
		const { request, body } = seen[0] as { request: Request; body: string };
		const everything = [
			request.url,
			body,
			...[...request.headers].map(([k, v]) => `${k}: ${v}`),
		].join("\n");
		expect(everything).not.toContain(CREDENTIALS.secretAccessKey);
	});

	it("throws the service's error as a ServiceError, message intact", async () => {
		const { fetch } = recorder([
			awsError("AccessDeniedException", "You may not read this license."),
		]);
		const call = createCall(CREDENTIALS, { endpoint: "http://x/", fetch });
		await expect(call("AWSLicenseManager.GetLicense", {})).rejects.toMatchObject({
			type: "AccessDeniedException",
			message: "You may not read this license.",
		});
	});

	it("turns an unreachable server into words", async () => {
		const call = createCall(CREDENTIALS, {
			endpoint: "http://x/",
			fetch: () => Promise.reject(new TypeError("Failed to fetch")),
		});
		const err = await call("AWSLicenseManager.ListLicenses", {}).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(ServiceError);
		expect(err).toMatchObject({
			type: "NetworkError",
			message: "Could not reach the service: Failed to fetch",
		});
	});

	it("corrects a browser clock that is far off from the service's Date header, once", async () => {
		const serverDate = "Mon, 30 Nov 2026 12:30:00 GMT";
		const { seen, fetch } = recorder([
			awsError("InvalidSignatureException", "Signature expired", serverDate),
			ok({ Licenses: [] }),
		]);
		const call = createCall(CREDENTIALS, { endpoint: "http://x/", fetch, now: () => NOW });
		expect(await call("AWSLicenseManager.ListLicenses", {})).toEqual({ Licenses: [] });
		expect(seen.map((s) => s.request.headers.get("x-amz-date"))).toEqual([
			"20261130T120000Z",
			"20261130T123000Z",
		]);
	});

	it("does not retry a wrong signature when the clocks agree", async () => {
		const { seen, fetch } = recorder([
			awsError(
				"InvalidSignatureException",
				"The request signature we calculated does not match.",
				"Mon, 30 Nov 2026 12:00:01 GMT",
			),
		]);
		const call = createCall(CREDENTIALS, { endpoint: "http://x/", fetch, now: () => NOW });
		await expect(call("AWSLicenseManager.ListLicenses", {})).rejects.toMatchObject({
			type: "InvalidSignatureException",
		});
		expect(seen).toHaveLength(1);
	});
});
