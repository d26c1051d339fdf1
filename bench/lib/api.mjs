// @ts-check
// The product's API as the bench drives it: licenses, checkout bodies, what a good answer is.
import { BENCH_ACCOUNT } from "./common.mjs";
import { callOp } from "./http.mjs";

export function licenseBody(i, ttlMinutes, clientToken) {
	return JSON.stringify({
		LicenseName: `Bench license ${i}`,
		ProductName: "Bench product",
		ProductSKU: `BENCH-${i}`,
		Issuer: { Name: "Bench Issuer" },
		HomeRegion: "us-east-1",
		Validity: { Begin: "2020-01-01T00:00:00Z", End: "2099-01-01T00:00:00Z" },
		Entitlements: [
			{ Name: "Seats", Unit: "Count", MaxCount: 1_000_000_000_000, Overage: true },
			{ Name: "Tier", Unit: "None", Value: "Enterprise" },
		],
		Beneficiary: `Bench beneficiary ${BENCH_ACCOUNT}`,
		ConsumptionConfiguration: {
			RenewType: "None",
			BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: ttlMinutes },
		},
		ClientToken: clientToken,
	});
}

/** Creates `count` licenses (8 at a time); returns their ARNs. Throws on any failure. */
export async function createLicenses(client, sign, count, ttlMinutes, tag) {
	const arns = new Array(count);
	let next = 0;
	async function worker() {
		while (next < count) {
			const i = next++;
			const res = await callOp(
				client,
				sign,
				"CreateLicense",
				licenseBody(i, ttlMinutes, `${tag}create${i}`),
			);
			if (res.status !== 200)
				throw new Error(`CreateLicense ${i} failed: ${res.status} ${res.body}`);
			arns[i] = JSON.parse(res.body).LicenseArn;
		}
	}
	await Promise.all(Array.from({ length: 8 }, worker));
	return arns;
}

export function checkoutBody(arn, clientToken, nodeId = "bench-node-0001") {
	return JSON.stringify({
		LicenseArn: arn,
		Entitlements: [{ Name: "Seats", Unit: "Count", Value: "1" }],
		DigitalSignatureMethod: "JWT_PS384",
		NodeId: nodeId,
		CheckoutMetadata: [{ Name: "host", Value: "bench-host-01" }],
		ClientToken: clientToken,
	});
}

/** A successful checkout's parsed body, or null. */
export function parseCheckout(res) {
	if (res.status !== 200) return null;
	try {
		const out = JSON.parse(res.body);
		return typeof out.SignedToken === "string" && out.SignedToken.split(".").length === 3
			? out
			: null;
	} catch {
		return null;
	}
}
