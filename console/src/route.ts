/** Hash routes: the page is one static file, so every view is a fragment of /console/. */
export type Route = { page: "licenses" } | { page: "create" } | { page: "license"; arn: string };

export function parseRoute(hash: string): Route {
	const path = hash.replace(/^#/, "");
	if (path === "/create") return { page: "create" };
	const m = /^\/license\/(.+)$/.exec(path);
	if (m?.[1]) {
		try {
			return { page: "license", arn: decodeURIComponent(m[1]) };
		} catch {
			return { page: "licenses" };
		}
	}
	return { page: "licenses" };
}

export function licenseHref(arn: string): string {
	return `#/license/${encodeURIComponent(arn)}`;
}
