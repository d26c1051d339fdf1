type ElmTestEnv = import("../src/env").Env & {
	TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
	/** Property-based fuzz: a seed and path to replay, a run count; "" when not given. */
	FUZZ_SEED: string;
	FUZZ_PATH: string;
	FUZZ_RUNS: string;
	FUZZ_TRACE: string;
};

declare namespace Cloudflare {
	interface Env extends ElmTestEnv {}
	interface GlobalProps {
		mainModule: typeof import("../src/index");
	}
}
