import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach } from "vitest";
import { clearPrincipalCacheForTests } from "../../src/auth/principals";
import { setClockOffsetForTests } from "../../src/clock";
import { ISSUER, OTHER, putPrincipal } from "./principals";

// Storage is isolated per test file: each file starts with the schema and the two dev principals.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
await putPrincipal(ISSUER);
await putPrincipal(OTHER);
clearPrincipalCacheForTests();

afterEach(() => setClockOffsetForTests(0));

// Every API request writes one JSON log line (src/log.ts). Thousands of them per file
// would bury the runner's output and cost each burst a round trip to the runner, so
// they are dropped here, before the runner sees them. A test that checks them
// (test/integration/request-log.test.ts) spies on console.log, in front of this.
const writeLog = console.log.bind(console);
console.log = (...args: unknown[]) => {
	if (typeof args[0] === "string" && args[0].startsWith('{"type":"request"')) return;
	writeLog(...args);
};
