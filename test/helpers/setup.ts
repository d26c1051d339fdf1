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
