import type { MiddlewareHandler } from "hono";
import { ACCESS_KEY_ID_PATTERN } from "../auth/accessKeyId";
import { parseLicenseArn } from "../licenseIds";
import { logRequest } from "../log";

/**
 * What the API route learns about a request as it goes, for its log line. The
 * route fills it in (./app.ts); the middleware below writes the line once the
 * response exists, whichever way the request ended.
 */
export interface RequestFacts {
	operation: string | null;
	account: string | null;
	accessKeyId: string | null;
	licenseArn?: string;
	replay?: boolean;
}

type Vars = { Variables: { requestId: string; requestFacts: RequestFacts } };

/**
 * SPEC §12: one JSON line per API request (`POST /`). Registered after
 * ./responseHeaders.ts, so the request id exists; it runs after `app.onError`, so an
 * error's outcome is the rendered `x-amzn-ErrorType`.
 */
export function requestLog(): MiddlewareHandler<Vars> {
	return async (c, next) => {
		if (c.req.method !== "POST" || c.req.path !== "/") return next();
		const started = Date.now();
		const facts: RequestFacts = {
			operation: null,
			account: null,
			accessKeyId: claimedAccessKeyId(c.req.header("authorization")),
		};
		c.set("requestFacts", facts);
		await next();
		logRequest({
			type: "request",
			requestId: c.get("requestId"),
			operation: facts.operation,
			account: facts.account,
			accessKeyId: facts.accessKeyId,
			...(facts.licenseArn === undefined ? {} : { licenseArn: facts.licenseArn }),
			outcome:
				c.res.status === 200
					? "ok"
					: (c.res.headers.get("x-amzn-ErrorType") ?? String(c.res.status)),
			...(facts.replay === undefined ? {} : { replay: facts.replay }),
			ms: Date.now() - started,
		});
	};
}

/**
 * The access key id an Authorization header claims, before it is verified: logged
 * so a failed authentication can be traced to a key. Only an id of the shape AWS
 * issues is taken (never the signature or anything else the header holds).
 */
function claimedAccessKeyId(authorization: string | undefined): string | null {
	const id = /Credential=([^/,\s]+)\//.exec(authorization ?? "")?.[1];
	return id !== undefined && ACCESS_KEY_ID_PATTERN.test(id) ? id : null;
}

/**
 * A license ARN from the request, for the log line: only one of the shape this
 * service mints (the AWS pattern admits 1,000 free characters, room for anything).
 */
export function loggableLicenseArn(value: unknown): string | undefined {
	return typeof value === "string" && value.length <= 256 && parseLicenseArn(value)
		? value
		: undefined;
}
