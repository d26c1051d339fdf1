import { ServiceError } from "../../../src/client/errors";

// One reading of AWS errors for the service's typed client and this console.
export { parseServiceError, ServiceError } from "../../../src/client/errors";

/** The target is not served here: what a server without the extension operations answers. */
export function isUnknownOperation(err: unknown): boolean {
	return err instanceof ServiceError && err.type === "UnknownOperationException";
}

/** One line for people: the service's message, with its error type as context. */
export function describeError(err: unknown): { type: string; message: string } {
	if (err instanceof ServiceError) return { type: err.type, message: err.message };
	if (err instanceof Error) return { type: err.name, message: err.message };
	return { type: "Error", message: String(err) };
}
