import {
	CheckoutBorrowLicenseCommand,
	type CheckoutBorrowLicenseCommandOutput,
	type CreateLicenseVersionCommandInput,
	type EntitlementData,
	GetLicenseCommand,
	LicenseManagerClient,
} from "@aws-sdk/client-license-manager";
import { type ExtensionClient, extensionClient } from "../../src/client";
import { clock } from "../../src/clock";
import { uniqueToken } from "./fixtures";
import { ISSUER, type TestPrincipal } from "./principals";
import { ENDPOINT, workerFetch } from "./wire";

/**
 * Clients as users run them, sending through the Worker's fetch handler: the real
 * AWS SDK for JavaScript (serialisation, SigV4 and error parsing are the SDK's own)
 * and the repository's typed extension client (src/client).
 */

export function sdkClient(principal: TestPrincipal = ISSUER): LicenseManagerClient {
	const client = new LicenseManagerClient({
		region: "us-east-1",
		endpoint: ENDPOINT,
		credentials: { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey },
		maxAttempts: 1,

		requestHandler: {
			async handle(request: {
				method: string;
				protocol: string;
				hostname: string;
				port?: number;
				path: string;
				query?: Record<string, string | string[] | null>;
				headers: Record<string, string>;
				body?: string | Uint8Array;
			}) {
				const url = `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ""}${request.path}`;
				const res = await workerFetch(url, {
					method: request.method,
					headers: request.headers,
					body: request.body as BodyInit | undefined,
				});
				const headers: Record<string, string> = {};
				res.headers.forEach((value, key) => {
					headers[key] = value;
				});
				return {
					response: { statusCode: res.status, reason: res.statusText, headers, body: res.body },
				};
			},
			updateHttpClientConfig() {},
			httpHandlerConfigs: () => ({}),
		},
	});
	// Sign with the service's clock, which tests move forward, as a real client
	// corrects its skew from the Date header.
	client.middlewareStack.add(
		(next) => (args) => {
			client.config.systemClockOffset = clock.now() - Date.now();
			return next(args);
		},
		{ step: "build", name: "testClockOffset" },
	);
	return client;
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

/** CheckoutBorrowLicense through the SDK, as the issuer (2 Seats unless told otherwise). */
export function borrow(
	arn: string,
	entitlements: EntitlementData[] = [{ Name: "Seats", Unit: "Count", Value: "2" }],
): Promise<CheckoutBorrowLicenseCommandOutput> {
	return sdkClient().send(
		new CheckoutBorrowLicenseCommand({
			LicenseArn: arn,
			ClientToken: uniqueToken("b"),
			DigitalSignatureMethod: "JWT_PS384",
			Entitlements: entitlements,
		}),
	);
}

/** A CreateLicenseVersion request that repeats the current version, with members replaced. */
export async function versionInput(
	arn: string,
	overrides: Partial<CreateLicenseVersionCommandInput> = {},
): Promise<CreateLicenseVersionCommandInput> {
	const { License: l } = await sdkClient().send(new GetLicenseCommand({ LicenseArn: arn }));
	if (!l) throw new Error("GetLicense returned no License");
	return {
		LicenseArn: arn,
		LicenseName: l.LicenseName,
		ProductName: l.ProductName,
		Issuer: { Name: l.Issuer?.Name, ...(l.Issuer?.SignKey ? { SignKey: l.Issuer.SignKey } : {}) },
		HomeRegion: l.HomeRegion,
		Validity: l.Validity,
		Entitlements: l.Entitlements,
		ConsumptionConfiguration: l.ConsumptionConfiguration,
		...(l.LicenseMetadata ? { LicenseMetadata: l.LicenseMetadata } : {}),
		Status: "AVAILABLE",
		ClientToken: uniqueToken("v"),
		...overrides,
	};
}
