// @ts-check
// A small SigV4 signer for the load generator (node:crypto). The derived
// signing key is cached per (secret, date, region, service), as real SDKs do,
// so a request costs two SHA-256 and one HMAC on the client side.
import { createHash, createHmac } from "node:crypto";

export const TARGET_PREFIX = "AWSLicenseManager.";
const JSON_11 = "application/x-amz-json-1.1";
const SIGNED_HEADERS = "content-type;host;x-amz-date;x-amz-target";

const sha256Hex = (data) => createHash("sha256").update(data).digest("hex");
const hmac = (key, data) => createHmac("sha256", key).update(data).digest();

export function amzDateOf(ms) {
	return new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, "");
}

export function makeSigner({
	accessKeyId,
	secretAccessKey,
	region = "us-east-1",
	service = "license-manager",
}) {
	let keyDate = "";
	/** @type {Buffer} */
	let kSigning = Buffer.alloc(0);
	/** Headers for `POST /` with `body` (a string or Buffer) to `host` ("127.0.0.1:port"). */
	return function sign(operation, body, host, nowMs = Date.now()) {
		const amzDate = amzDateOf(nowMs);
		const date = amzDate.slice(0, 8);
		if (date !== keyDate) {
			kSigning = hmac(
				hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service),
				"aws4_request",
			);
			keyDate = date;
		}
		const target = TARGET_PREFIX + operation;
		const canonical =
			`POST\n/\n\ncontent-type:${JSON_11}\nhost:${host}\nx-amz-date:${amzDate}\nx-amz-target:${target}\n\n` +
			`${SIGNED_HEADERS}\n${sha256Hex(body)}`;
		const scope = `${date}/${region}/${service}/aws4_request`;
		const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
		const signature = createHmac("sha256", kSigning).update(toSign).digest("hex");
		return {
			Host: host,
			"Content-Type": JSON_11,
			"X-Amz-Date": amzDate,
			"X-Amz-Target": target,
			Authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${SIGNED_HEADERS}, Signature=${signature}`,
		};
	};
}
