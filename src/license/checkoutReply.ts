import { isoSeconds } from "../clock";
import type { Env } from "../env";
import { signBorrowToken } from "../signing/token";
import type { Lease, License, Metadata } from "./model";

export interface CheckoutReplyInput {
	/** The deployment's issuer id (config), the token's `iss`. */
	issuerId: string;
	license: License;
	leases: readonly Lease[];
	token: string;
	issuedAt: number;
	expiresAt: number;
	now: number;
	nodeId?: string;
	checkoutMetadata?: Metadata[];
}

/**
 * Signs the borrow token and serialises the CheckoutBorrowLicense response once:
 * these bytes are stored with the ClientToken and every replay returns them.
 */
export async function signedCheckoutReply(
	env: Env,
	input: CheckoutReplyInput,
): Promise<{ response: string; entitlementsAllowed: string }> {
	const { license, leases, token } = input;
	// Null prototype: `__proto__` is a legal metadata name and must stay a plain claim.
	const checkoutMetadata: Record<string, string> = Object.create(null);
	for (const m of input.checkoutMetadata ?? []) checkoutMetadata[m.Name] = m.Value;
	const issuedAt = isoSeconds(input.issuedAt);
	const expiration = isoSeconds(input.expiresAt);
	const signedToken = await signBorrowToken(
		env,
		{
			licenseArn: license.LicenseArn,
			licenseConsumptionToken: token,
			entitlementsAllowed: leases.map((l) => ({ name: l.name, value: l.value, unit: l.unit })),
			nodeId: input.nodeId,
			issuedAt,
			expiration,
			checkoutMetadata,
			iss: input.issuerId,
			sub: license.LicenseArn,
			exp: input.expiresAt / 1000,
			jti: token,
		},
		input.now,
	);
	const EntitlementsAllowed = leases.map((l) => ({ Name: l.name, Unit: l.unit, Value: l.value }));
	const response = JSON.stringify({
		LicenseArn: license.LicenseArn,
		LicenseConsumptionToken: token,
		EntitlementsAllowed,
		NodeId: input.nodeId,
		SignedToken: signedToken,
		IssuedAt: issuedAt,
		Expiration: expiration,
		CheckoutMetadata: input.checkoutMetadata,
	});
	return { response, entitlementsAllowed: JSON.stringify(EntitlementsAllowed) };
}
