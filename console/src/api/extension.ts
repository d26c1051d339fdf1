import type { ExtensionClient } from "../../../src/client";
import type { Call } from "./client";

/**
 * The extension operations (`EdgeLicenseManager.<Op>`) as the console calls them. A
 * server without them answers UnknownOperationException, and the console then says
 * the view is not available on that server.
 */

// The shapes are the service's own typed client's (src/client/types.ts): one
// definition for the server's tests, the client and this console.
export type * from "../../../src/client/types";

/** The four operations, as the service's typed client (src/client) declares them. */
export type ExtensionApi = Pick<
	ExtensionClient,
	"listBorrows" | "revokeBorrow" | "getUsageHistory" | "listAuditEvents"
>;

const PREFIX = "EdgeLicenseManager.";

export function extensionOperations(call: Call): ExtensionApi {
	return {
		listBorrows: (input) => call(`${PREFIX}ListBorrows`, input),
		revokeBorrow: (input) => call(`${PREFIX}RevokeBorrow`, input),
		getUsageHistory: (input) => call(`${PREFIX}GetUsageHistory`, input),
		listAuditEvents: (input) => call(`${PREFIX}ListAuditEvents`, input),
	};
}
