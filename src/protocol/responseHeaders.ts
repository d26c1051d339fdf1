import type { MiddlewareHandler } from "hono";
import { clock } from "../clock";

/**
 * The one owner of `x-amzn-RequestId` and `Date`: every response — a success, an AWS
 * error, an unknown path, a 5xx, the key routes — names its request and the
 * service's time (the injectable clock, so tests can pin it). Registered first, so
 * it runs after everything else has made the response, `app.onError` and
 * `app.notFound` included; nothing else sets either header.
 */
export function responseHeaders(): MiddlewareHandler<{ Variables: { requestId: string } }> {
	return async (c, next) => {
		const requestId = crypto.randomUUID();
		c.set("requestId", requestId);
		await next();
		c.res.headers.set("x-amzn-RequestId", requestId);
		c.res.headers.set("Date", httpDate());
	};
}

// The Date header changes once a second: format it once a second.
let dateSecond = -1;
let dateText = "";
function httpDate(): string {
	const second = Math.floor(clock.now() / 1000);
	if (second !== dateSecond) {
		dateSecond = second;
		dateText = new Date(second * 1000).toUTCString();
	}
	return dateText;
}
