import { describe, expect, it } from "vitest";
import {
	describeError,
	isUnknownOperation,
	parseServiceError,
	ServiceError,
} from "../../console/src/api/errors";

const json = (o: unknown) => JSON.stringify(o);

describe("parseServiceError", () => {
	it("reads the service's error: type from x-amzn-ErrorType, message from the body", () => {
		const err = parseServiceError(
			400,
			new Headers({ "x-amzn-ErrorType": "InvalidSignatureException", "x-amzn-RequestId": "req-1" }),
			json({
				__type: "InvalidSignatureException",
				message: "The request signature we calculated does not match.",
				Message: "The request signature we calculated does not match.",
			}),
		);
		expect(err).toBeInstanceOf(ServiceError);
		expect(err).toMatchObject({
			type: "InvalidSignatureException",
			message: "The request signature we calculated does not match.",
			status: 400,
			requestId: "req-1",
		});
	});

	it("strips AWS's namespace prefix and URL suffix from the type", () => {
		expect(
			parseServiceError(
				400,
				new Headers(),
				json({ __type: "com.amazonaws#ConflictException", Message: "m" }),
			),
		).toMatchObject({ type: "ConflictException", message: "m" });
		expect(
			parseServiceError(
				400,
				new Headers({ "x-amzn-ErrorType": "ValidationException:http://internal.amazon.com/" }),
				json({ message: "bad" }),
			),
		).toMatchObject({ type: "ValidationException", message: "bad" });
	});

	it("puts a body that is not an AWS error into words instead of failing", () => {
		const err = parseServiceError(502, new Headers(), "<html>Bad gateway</html>");
		expect(err.type).toBe("HTTP 502");
		expect(err.message).toBe(
			"The server answered HTTP 502 without an AWS error (is this the license service's address?).",
		);
		expect(
			parseServiceError(400, new Headers({ "x-amzn-ErrorType": "ThrottlingException" }), "")
				.message,
		).toBe("The service answered ThrottlingException without a message.");
	});
});

describe("describeError and isUnknownOperation", () => {
	it("gives words for any thrown value", () => {
		expect(describeError(new ServiceError("AccessDeniedException", "no"))).toEqual({
			type: "AccessDeniedException",
			message: "no",
		});
		expect(describeError(new TypeError("x"))).toEqual({ type: "TypeError", message: "x" });
		expect(describeError("odd")).toEqual({ type: "Error", message: "odd" });
	});

	it("recognises the answer of a server without an operation", () => {
		expect(isUnknownOperation(new ServiceError("UnknownOperationException", "u"))).toBe(true);
		expect(isUnknownOperation(new ServiceError("AccessDeniedException", "a"))).toBe(false);
		expect(isUnknownOperation(new Error("UnknownOperationException"))).toBe(false);
	});
});
