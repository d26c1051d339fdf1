import { clock } from "../clock";
import { jsonLength, sha256Hex } from "../encoding";
import type { Env } from "../env";
import { type RequestedEntitlement, signedCheckoutResponse } from "../license/contract";
import { ENTITLEMENT_UNITS, type Metadata } from "../license/model";
import { errorText, logEvent } from "../log";
import { AwsError, unwrap } from "../protocol/errors";
import { show, Validator } from "../protocol/validation";
import { signEncodedClaims, type TokenSigner, tokenSignerAt } from "../signing/token";
import { readLicenseArn, redirectIfForeign, targetLicense } from "./common";
import { readMetadata } from "./licenseInput";
import type { Operation } from "./types";

const QUANTITY = /^[1-9][0-9]{0,15}$/;
const PRINTABLE = /^[^\p{Cc}\p{Cs}]*$/u;

export interface CheckoutRequest {
	licenseArn: string;
	clientToken: string;
	entitlements: RequestedEntitlement[];
	nodeId?: string;
	checkoutMetadata?: Metadata[];
}

/**
 * SPEC §3: the seed's constraints, plus the bounds on what goes into every token;
 * SPEC §11: NodeId and CheckoutMetadata together at most `maxMetadataBytes`.
 */
export function validateCheckout(
	input: Record<string, unknown>,
	maxMetadataBytes: number,
): CheckoutRequest {
	const v = new Validator();
	const clientToken = v.string(input.ClientToken, "clientToken", {
		required: true,
		min: 1,
		max: 64,
		pattern: /^[a-zA-Z0-9]*$/,
		patternText: "[a-zA-Z0-9]*",
	});
	const method = v.string(input.DigitalSignatureMethod, "digitalSignatureMethod", {
		required: true,
	});
	const licenseArn = readLicenseArn(v, input.LicenseArn);
	const entitlements: RequestedEntitlement[] = [];
	const list = v.list(input.Entitlements, "entitlements", { required: true, min: 1, max: 100 });
	list?.forEach((raw, i) => {
		const path = `entitlements.${i + 1}.member`;
		const e = v.object(raw, path, true);
		if (!e) return;
		const Name = v.string(e.Name, `${path}.name`, { required: true, min: 1, max: 256 });
		const Unit = v.enumValue(e.Unit, `${path}.unit`, ENTITLEMENT_UNITS, true);
		let Value: string | undefined;
		if (Unit === "None") {
			// A None-unit entitlement carries no quantity: its Value is ignored, but a wrong
			// JSON type is still a ValidationException (SPEC §3), as for every member.
			v.string(e.Value, `${path}.value`);
		} else {
			Value = v.string(e.Value, `${path}.value`, {
				pattern: QUANTITY,
				patternText: "^[1-9][0-9]{0,15}$",
			});
			if (Value !== undefined && Number(Value) > Number.MAX_SAFE_INTEGER) {
				Value = v.fail(
					`${path}.value`,
					Value,
					`have value less than or equal to ${Number.MAX_SAFE_INTEGER}`,
				);
			}
		}
		if (Name !== undefined && Unit !== undefined)
			entitlements.push(Value === undefined ? { Name, Unit } : { Name, Unit, Value });
	});
	if (list && entitlements.length === list.length)
		v.unique(
			entitlements.map((e) => e.Name),
			"entitlements",
			"entitlement name",
		);
	const nodeId = v.string(input.NodeId, "nodeId", {
		min: 1,
		max: 256,
		pattern: PRINTABLE,
		patternText: "printable characters",
	});
	const checkoutMetadata = readMetadata(v, input.CheckoutMetadata, "checkoutMetadata");
	if (checkoutMetadata) {
		v.unique(
			checkoutMetadata.map((m) => m.Name),
			"checkoutMetadata",
			"metadata name",
		);
	}
	// Each member is bounded, but 50 full metadata entries are ~57 KB in every token,
	// borrow row and record: the two together have their own bound.
	if (v.ok && (nodeId !== undefined || checkoutMetadata !== undefined)) {
		const bytes = jsonLength({ NodeId: nodeId, CheckoutMetadata: checkoutMetadata });
		if (bytes > maxMetadataBytes) {
			v.add(
				`NodeId and CheckoutMetadata are ${bytes} bytes serialised; together they must be at most ${maxMetadataBytes} bytes`,
			);
		}
	}
	v.done();
	if (method !== "JWT_PS384") {
		throw new AwsError(
			"UnsupportedDigitalSignatureMethodException",
			`Digital signature method ${show(method)} is not supported; use JWT_PS384.`,
		);
	}
	return {
		licenseArn: licenseArn as string,
		clientToken: clientToken as string,
		entitlements,
		...(nodeId !== undefined ? { nodeId } : {}),
		...(checkoutMetadata !== undefined ? { checkoutMetadata } : {}),
	};
}

/**
 * The request a ClientToken stands for: entitlements sorted by name with Value
 * defaulted, metadata sorted. Two requests with the same canonical form are the same.
 */
export function canonicalCheckout(req: CheckoutRequest): string {
	const byName = (a: { Name: string }, b: { Name: string }) =>
		a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0;
	return JSON.stringify([
		req.licenseArn,
		[...req.entitlements]
			.sort(byName)
			.map((e) => [e.Name, e.Unit, e.Unit === "None" ? null : (e.Value ?? "1")]),
		req.nodeId ?? null,
		[...(req.checkoutMetadata ?? [])].sort(byName).map((m) => [m.Name, m.Value]),
	]);
}

/**
 * The object decides and commits; this Worker signs (src/license/object.ts `checkout`
 * says why and which rules that keeps). The signing key is made ready before the
 * decision, so a key that cannot sign refuses the request before anything is
 * reserved; a signature that fails after the decision leaves a borrow the client
 * recovers by retrying its ClientToken.
 */
export const checkoutBorrowLicense: Operation = async ({ env, config, caller, input, log }) => {
	const req = validateCheckout(input, config.limits.checkoutMetadataBytes);
	redirectIfForeign(config, req.licenseArn);
	const { stub } = targetLicense(env, req.licenseArn);
	const [requestHash] = await Promise.all([
		sha256Hex(canonicalCheckout(req)),
		signerOrOutage(env, clock.now()),
	]);
	const answer = unwrap(
		await stub.checkout({
			caller,
			licenseArn: req.licenseArn,
			clientToken: req.clientToken,
			requestHash,
			entitlements: req.entitlements,
			...(req.nodeId !== undefined ? { nodeId: req.nodeId } : {}),
			...(req.checkoutMetadata !== undefined ? { checkoutMetadata: req.checkoutMetadata } : {}),
		}),
	);
	// A ClientToken retry answered from the stored response, byte for byte.
	log.replay = "response" in answer;
	if ("response" in answer) return answer.response;
	const { unsigned } = answer;
	const signer = await signerOrOutage(env, unsigned.decidedAt);
	let signedToken: string;
	try {
		signedToken = await signEncodedClaims(signer, unsigned.claims);
	} catch (err) {
		throw signingOutage(err);
	}
	return unwrap(
		await stub.storeCheckoutResponse(
			caller,
			req.clientToken,
			signedCheckoutResponse(unsigned, signedToken),
		),
	);
};

/** The signer active at `at`, or the generic 500 with the reason logged (never the key). */
async function signerOrOutage(env: Env, at: number): Promise<TokenSigner> {
	try {
		return await tokenSignerAt(env, at);
	} catch (err) {
		throw signingOutage(err);
	}
}

/** A key that cannot sign is an outage, not the caller's fault: log it here, tell nothing. */
function signingOutage(err: unknown): AwsError {
	logEvent("checkout_signing_failed", { error: errorText(err) }, "error");
	return new AwsError(
		"ServerInternalException",
		"The server experienced an internal error. Try again.",
	);
}
