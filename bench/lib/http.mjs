// @ts-check
// Keep-alive HTTP from Node to workerd's direct sockets, and signed AWS JSON 1.1 calls.
import http from "node:http";

export function makeClient(url, connections) {
	const agent = new http.Agent({
		keepAlive: true,
		maxSockets: connections,
		maxFreeSockets: connections,
	});
	const host = url.host;
	const port = Number(url.port);
	const hostname = url.hostname;
	/** One request; resolves with status and body text, never rejects (a transport error is status 0). */
	function request(method, path, headers, body) {
		return new Promise((resolveReq) => {
			const req = http.request({ agent, hostname, port, method, path, headers }, (res) => {
				const chunks = [];
				res.on("data", (c) => chunks.push(c));
				res.on("end", () =>
					resolveReq({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }),
				);
				res.on("error", (err) => resolveReq({ status: 0, body: String(err) }));
			});
			req.on("error", (err) => resolveReq({ status: 0, body: String(err) }));
			if (body !== undefined) {
				req.setHeader("Content-Length", Buffer.byteLength(body));
				req.end(body);
			} else req.end();
		});
	}
	return { agent, host, request, close: () => agent.destroy() };
}

/** A signed AWS JSON 1.1 call; `body` is the exact string sent (and signed). */
export function callOp(client, sign, operation, body) {
	return client.request("POST", "/", sign(operation, body, client.host), body);
}
