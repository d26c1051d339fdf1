import type { Env } from "../env";
import { placementOf } from "../licenseIds";
import type { EntitlementUnit, License, LicenseStatus, Metadata } from "./model";

/**
 * The license object's contract: everything that crosses the Worker → object RPC
 * besides the model's shapes (./model.ts) and the results (src/result.ts). The
 * Worker's operations validate a request, attach the caller and send one of these;
 * the object decides. Its methods are in ./object.ts.
 */

/** Who is asking, as established by authentication; passed into every object call for audit. */
export interface Caller {
	accountId: string;
	accessKeyId: string;
	requestId: string;
}

/** One entitlement a checkout asks for, validated. */
export interface RequestedEntitlement {
	Name: string;
	Unit: EntitlementUnit;
	/** Validated decimal integer string; absent means "1". */
	Value?: string;
}

export interface CheckoutCommand {
	caller: Caller;
	licenseArn: string;
	clientToken: string;
	/** SHA-256 of the canonical request: same token + same hash = replay. */
	requestHash: string;
	entitlements: RequestedEntitlement[];
	nodeId?: string;
	checkoutMetadata?: Metadata[];
}

/**
 * A checkout the object decided and committed, whose token the Worker signs: the
 * claims, serialised once, and the response bytes around the signed token. The
 * Worker signs `claims` with the key active at `decidedAt`, then stores the
 * response back (`LicenseObject.storeCheckoutResponse`); a retry of the same
 * ClientToken before that gets the same claims again.
 */
export interface UnsignedCheckout {
	/** The token's payload: the claims as JSON (SPEC §5). */
	claims: string;
	/** When the checkout was decided (ms): the signing key is the one active then. */
	decidedAt: number;
	/** The response is `before` + the signed token as a JSON string + `after`. */
	before: string;
	after: string;
}

/** What the object answers a checkout: a stored response (a replay), or a decided checkout to sign. */
export type CheckoutAnswer = { response: string } | { unsigned: UnsignedCheckout };

/** The CheckoutBorrowLicense response of a decided checkout, once its token is signed. */
export function signedCheckoutResponse(unsigned: UnsignedCheckout, signedToken: string): string {
	return `${unsigned.before}${JSON.stringify(signedToken)}${unsigned.after}`;
}

export interface CreateVersionCommand {
	caller: Caller;
	arn: string;
	clientToken: string;
	requestHash: string;
	sourceVersion?: string;
	/** The new version's members; the object adds what cannot change and the version number. */
	changes: Pick<
		License,
		| "LicenseName"
		| "ProductName"
		| "Issuer"
		| "HomeRegion"
		| "Validity"
		| "Entitlements"
		| "ConsumptionConfiguration"
		| "LicenseMetadata"
	> & { Status: LicenseStatus };
}

export interface CreateLicenseCommand {
	caller: Caller;
	requestHash: string;
	license: License;
	licenseId: string;
	/**
	 * The account's licenses-per-account limit when it is already reached (else
	 * null): the object then creates nothing new but still answers a retry.
	 */
	accountLicenseLimit: number | null;
}

/** The RPC stub of a license's object. */
export type LicenseStub = ReturnType<Env["LICENSES"]["get"]>;

/**
 * The object of a license id the service could have minted, or null — for an id
 * whose placement it never mints (no stub is made at all), and for a placement
 * this runtime cannot give (the local runtime has no jurisdictions). Either way no
 * license lives there, and callers answer as for any license that does not exist.
 */
export function licenseStub(env: Env, licenseId: string): LicenseStub | null {
	const placement = placementOf(licenseId);
	if (!placement) return null;
	const { jurisdiction, locationHint } = placement;
	try {
		const namespace = jurisdiction ? env.LICENSES.jurisdiction(jurisdiction) : env.LICENSES;
		const id = namespace.idFromName(licenseId);
		return locationHint ? namespace.get(id, { locationHint }) : namespace.get(id);
	} catch {
		return null;
	}
}
