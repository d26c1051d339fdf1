import { jsonLength } from "../encoding";
import type { WireError } from "../result";
import type { License } from "./model";

/**
 * SPEC §11: the refusals of the storage limits, worded once. The limits themselves
 * are configuration (src/config.ts `Limits`); the checks sit where each is decided.
 */

/**
 * A license document is stored in the object, copied to D1 per version and
 * returned by every read: one that is too large is bad input (ValidationException),
 * refused before anything is stored.
 */
export function documentSizeRefusal(doc: License, maxBytes: number): WireError | null {
	const bytes = jsonLength(doc);
	if (bytes <= maxBytes) return null;
	return {
		type: "ValidationException",
		message: `1 validation error detected: The license document is ${bytes} bytes serialised; it must be at most ${maxBytes} bytes (entitlements, metadata and names together).`,
	};
}
