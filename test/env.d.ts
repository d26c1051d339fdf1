type ElmTestEnv = import("../src/env").Env & {
	TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
};

declare namespace Cloudflare {
	interface Env extends ElmTestEnv {}
	interface GlobalProps {
		mainModule: typeof import("../src/index");
	}
}
