import { AwsClient } from "aws4fetch";
import { EXTENSION_TARGET_PREFIX, type ExtensionOperationName } from "../operations/names";
import { parseServiceError, ServiceError } from "./errors";
import type {
	ExtensionOperations,
	GetUsageHistoryInput,
	GetUsageHistoryOutput,
	ListAuditEventsInput,
	ListAuditEventsOutput,
	ListBorrowsInput,
	ListBorrowsOutput,
	RevokeBorrowInput,
	RevokeBorrowOutput,
} from "./types";

export * from "./errors";
export type * from "./types";

/**
 * A typed client for the extension operations (SPEC §8), which no AWS SDK knows:
 * AWS JSON 1.1 over `POST /`, signed with SigV4 by aws4fetch. It signs exactly
 * content-type, host, x-amz-date and x-amz-target (botocore's set, which the
 * service requires), sends no retries, and rejects with a ServiceError carrying the
 * service's error type and message. Runs in browsers, Workers and Node.
 */

export interface ExtensionClientOptions {
	/** The service's `POST /` URL, e.g. `https://licenses.example.com/`. */
	endpoint: string;
	accessKeyId: string;
	secretAccessKey: string;
	/** The region in the signing scope; default `us-east-1`. */
	region?: string;
	/** Injectable transport (tests, a Worker's service binding). */
	fetch?: (request: Request) => Promise<Response>;
	/** The signing clock in epoch ms; default Date.now. */
	now?: () => number;
}

export interface ExtensionClient {
	listBorrows(input: ListBorrowsInput): Promise<ListBorrowsOutput>;
	revokeBorrow(input: RevokeBorrowInput): Promise<RevokeBorrowOutput>;
	getUsageHistory(input: GetUsageHistoryInput): Promise<GetUsageHistoryOutput>;
	listAuditEvents(input: ListAuditEventsInput): Promise<ListAuditEventsOutput>;
	/** Any extension operation by name, typed by its shapes. */
	send<Op extends ExtensionOperationName>(
		operation: Op,
		input: ExtensionOperations[Op]["input"],
	): Promise<ExtensionOperations[Op]["output"]>;
}

const JSON_11 = "application/x-amz-json-1.1";

function amzDate(ms: number): string {
	return new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, "");
}

export function extensionClient(options: ExtensionClientOptions): ExtensionClient {
	const aws = new AwsClient({
		accessKeyId: options.accessKeyId,
		secretAccessKey: options.secretAccessKey,
		service: "license-manager",
		region: options.region ?? "us-east-1",
		retries: 0,
	});
	const transport = options.fetch ?? ((request: Request) => fetch(request));
	const now = options.now ?? Date.now;

	async function send<Op extends ExtensionOperationName>(
		operation: Op,
		input: ExtensionOperations[Op]["input"],
	): Promise<ExtensionOperations[Op]["output"]> {
		const request = await aws.sign(options.endpoint, {
			method: "POST",
			headers: {
				"content-type": JSON_11,
				"x-amz-target": `${EXTENSION_TARGET_PREFIX}${operation}`,
			},
			body: JSON.stringify(input),
			// aws4fetch leaves content-type unsigned unless told to sign every header given.
			aws: { allHeaders: true, datetime: amzDate(now()) },
		});
		let response: Response;
		try {
			response = await transport(request);
		} catch (err) {
			const reason = err instanceof Error ? err.message : String(err);
			throw new ServiceError("NetworkError", `Could not reach the service: ${reason}`);
		}
		const text = await response.text();
		if (!response.ok) throw parseServiceError(response.status, response.headers, text);
		return (text ? JSON.parse(text) : {}) as ExtensionOperations[Op]["output"];
	}

	return {
		listBorrows: (input) => send("ListBorrows", input),
		revokeBorrow: (input) => send("RevokeBorrow", input),
		getUsageHistory: (input) => send("GetUsageHistory", input),
		listAuditEvents: (input) => send("ListAuditEvents", input),
		send,
	};
}
