import type { BorrowTokenClaims, ParsedClaims } from "./claims.js";
import { BorrowTokenError } from "./errors.js";
import type { KeyWindow } from "./keys.js";
import { type NormalizedEntitlement, type NormalizedOptions, parseDecimal } from "./options.js";
import { show, showList } from "./show.js";

/** Who issued it and for which license: checked before time, since a token for someone else is wrong at any time. */
export function checkBinding(claims: BorrowTokenClaims, opts: NormalizedOptions): void {
	if (opts.issuer !== undefined && claims.iss !== opts.issuer) {
		throw new BorrowTokenError(
			"WRONG_ISSUER",
			`issuer is ${show(claims.iss)}, expected ${show(opts.issuer)}`,
		);
	}
	if (claims.licenseArn !== opts.licenseArn) {
		throw new BorrowTokenError(
			"WRONG_LICENSE",
			`token is for license ${show(claims.licenseArn)}, expected ${show(opts.licenseArn)}`,
		);
	}
	// sub duplicates licenseArn; both are checked so neither can be the odd one out.
	if (claims.sub !== opts.licenseArn) {
		throw new BorrowTokenError(
			"WRONG_LICENSE",
			`token subject ${show(claims.sub)} is not ${show(opts.licenseArn)}`,
		);
	}
}

/**
 * SPEC §5: the token's `issuedAt` must lie in its key's window [activeFrom, retiredAt),
 * as the JWKS publishes it, so a retired key cannot mint tokens that verify (and a key
 * cannot sign before its time). No clock tolerance applies: `issuedAt` and the window
 * are both the service's own clock readings, the device's clock is not involved, and
 * widening the window would honour a retired key for that long. The one allowance is
 * the second: the service writes `issuedAt` in whole seconds, rounded down, so
 * `activeFrom` is compared rounded down too. A JWK without these members (a snapshot
 * from before they were published) has no window to check.
 */
export function checkKeyWindow(parsed: ParsedClaims, window: KeyWindow, kid: string): void {
	const { claims, issuedAtMs } = parsed;
	const { activeFromMs, retiredAtMs } = window;
	if (activeFromMs !== undefined && issuedAtMs < Math.floor(activeFromMs / 1000) * 1000) {
		throw new BorrowTokenError(
			"KEY_NOT_ACTIVE",
			`token issued at ${claims.issuedAt}, before its key ${show(kid)} became active (activeFrom ${new Date(activeFromMs).toISOString()})`,
		);
	}
	if (retiredAtMs !== undefined && issuedAtMs >= retiredAtMs) {
		throw new BorrowTokenError(
			"KEY_NOT_ACTIVE",
			`token issued at ${claims.issuedAt}, after its key ${show(kid)} was retired (retiredAt ${new Date(retiredAtMs).toISOString()})`,
		);
	}
}

/**
 * Valid while issuedAt - tolerance <= now < exp + tolerance. The lower bound is
 * checked too: winding the clock back before the checkout is the cheap way to keep
 * an expired borrow alive offline, and it is caught here (only partially — a clock
 * set back to inside the borrow window cannot be detected offline).
 */
export function checkTime(parsed: ParsedClaims, opts: NormalizedOptions): void {
	const { claims, issuedAtMs } = parsed;
	const expMs = claims.exp * 1000;
	if (opts.nowMs >= expMs + opts.toleranceMs) {
		throw new BorrowTokenError(
			"EXPIRED",
			`token expired at ${claims.expiration} (now ${new Date(opts.nowMs).toISOString()}, tolerance ${opts.toleranceMs / 1000}s)`,
		);
	}
	if (issuedAtMs > opts.nowMs + opts.toleranceMs) {
		throw new BorrowTokenError(
			"NOT_YET_VALID",
			`token issued at ${claims.issuedAt} is in the future (now ${new Date(opts.nowMs).toISOString()}, tolerance ${opts.toleranceMs / 1000}s); check the system clock`,
		);
	}
}

/** Only enforced when the app says which node it is; a node-less token then fails too. */
export function checkNode(claims: BorrowTokenClaims, opts: NormalizedOptions): void {
	if (opts.nodeId === undefined) return;
	if (claims.nodeId === undefined) {
		throw new BorrowTokenError(
			"NODE_MISSING",
			`token is not bound to a node, expected ${show(opts.nodeId)}`,
		);
	}
	if (claims.nodeId !== opts.nodeId) {
		throw new BorrowTokenError(
			"WRONG_NODE",
			`token is bound to node ${show(claims.nodeId)}, expected ${show(opts.nodeId)}`,
		);
	}
}

function grants(claims: BorrowTokenClaims, want: NormalizedEntitlement): string | null {
	const named = claims.entitlementsAllowed.filter((e) => e.name === want.name);
	if (named.length === 0) return `entitlement ${show(want.name)} was not granted`;
	const unitOk = want.unit === undefined ? named : named.filter((e) => e.unit === want.unit);
	if (unitOk.length === 0) {
		return `entitlement ${show(want.name)} was granted in unit ${showList(named.map((e) => e.unit))}, expected ${show(want.unit ?? "")}`;
	}
	const min = want.minValue;
	if (min === undefined) return null;
	// A missing or non-numeric value cannot satisfy a minimum.
	if (unitOk.some((e) => (parseDecimal(e.value) ?? Number.NEGATIVE_INFINITY) >= min)) return null;
	return `entitlement ${show(want.name)} was granted with value ${showList(unitOk.map((e) => e.value ?? "(none)"))}, below the required ${min}`;
}

export function checkEntitlements(claims: BorrowTokenClaims, opts: NormalizedOptions): void {
	for (const want of opts.entitlements) {
		const problem = grants(claims, want);
		if (problem !== null) throw new BorrowTokenError("ENTITLEMENT_MISSING", problem);
	}
}
