import { type ExtensionClient, extensionClient } from "../../src/client";
import { clock } from "../../src/clock";
import { EXTENSION_TARGET_PREFIX } from "../../src/operations/names";
import { call, ENDPOINT, workerFetch } from "./client";
import { ISSUER, type TestPrincipal } from "./principals";

/** A raw extension call (SPEC §8), signed botocore-style: `EdgeLicenseManager.<operation>`. */
export function extensionCall(operation: string, body: unknown, principal: TestPrincipal = ISSUER) {
	return call(
		operation,
		body,
		{ "x-amz-target": `${EXTENSION_TARGET_PREFIX}${operation}` },
		principal,
	);
}

/** The repository's typed client (src/client), sending through the Worker with the service's clock. */
export function typedClient(
	principal: TestPrincipal = ISSUER,
	seen: Request[] = [],
): ExtensionClient {
	return extensionClient({
		endpoint: `${ENDPOINT}/`,
		accessKeyId: principal.accessKeyId,
		secretAccessKey: principal.secretAccessKey,
		now: () => clock.now(),
		fetch: (request) => {
			seen.push(request.clone());
			// A browser or Node adds Host from the URL; a Request made inside workerd has none.
			const withHost = new Request(request);
			withHost.headers.set("host", new URL(request.url).host);
			return workerFetch(withHost);
		},
	});
}
