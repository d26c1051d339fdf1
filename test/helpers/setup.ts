import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach } from "vitest";
import { setClockOffsetForTests } from "../../src/clock";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

afterEach(() => setClockOffsetForTests(0));
