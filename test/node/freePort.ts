import { createServer } from "node:net";

/**
 * A TCP port nothing listens on right now, chosen by the kernel. Tests that start
 * the Worker the way `npm start` does use it instead of a fixed port, so two
 * checkouts of the repository (or a developer's `npm start`) never meet.
 */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const address = server.address();
			const port = typeof address === "object" && address ? address.port : 0;
			server.close(() => (port ? resolve(port) : reject(new Error("no port assigned"))));
		});
	});
}
