#!/usr/bin/env node
// `npm start`: everything a newcomer needs, then `wrangler dev` on port 8787.
// 1. .dev.vars with a dev signing key and the principal secret-box key (generated once);
// 2. the local D1 migrated;
// 3. the two documented dev principals (re-sealed each run, so a new box key still works);
// 4. the operator console built into the Worker's static assets (dist/assets);
// 5. wrangler dev, and once it answers, the demo license (CreateLicense is idempotent
//    on its ClientToken, so every run gets the same ARN back).
// PORT picks another port; PERSIST_TO another local state directory (D1, Durable
// Objects), so a second instance (the browser tests) never shares a developer's state.
import { execFileSync, spawn } from "node:child_process";
import { CreateLicenseCommand, LicenseManagerClient } from "@aws-sdk/client-license-manager";
import { buildConsole } from "./build-console.ts";
import { ensureDevVars } from "./lib/devVars.mjs";
import { d1, principalInsertSql } from "./lib/principals.mjs";

const PORT = Number(process.env.PORT ?? 8787);
const ENDPOINT = `http://localhost:${PORT}`;
const PERSIST_TO = process.env.PERSIST_TO || undefined;
const persistArgs = PERSIST_TO ? ["--persist-to", PERSIST_TO] : [];

export const DEV_PRINCIPALS = [
	{
		accessKeyId: "AKIDLOCALDEV0000001",
		secret: "dev-secret-not-for-production",
		accountId: "111122223333",
	},
	{
		accessKeyId: "AKIDLOCALDEV0000002",
		secret: "dev-secret-2-not-for-production",
		accountId: "444455556666",
	},
];

const step = (text) => console.log(`\x1b[36m[start]\x1b[0m ${text}`);

const { vars, added } = ensureDevVars();
step(added.length ? `created .dev.vars with ${added.join(" and ")}` : "reusing .dev.vars");

step("applying D1 migrations to the local database");
execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", ...persistArgs], {
	stdio: ["ignore", "inherit", "inherit"],
	env: { ...process.env, CI: "true" },
});

step("seeding the dev principals");
for (const p of DEV_PRINCIPALS) {
	d1(
		await principalInsertSql({
			accessKeyId: p.accessKeyId,
			accountId: p.accountId,
			secret: p.secret,
			operations: ["*"],
			rateTier: "bulk",
			boxKey: vars.PRINCIPAL_SECRET_KEY,
			replace: true,
		}),
		{ persistTo: PERSIST_TO },
	);
}

step("building the operator console");
await buildConsole();

step(`starting wrangler dev on ${ENDPOINT}`);
const dev = spawn("npx", ["wrangler", "dev", "--port", String(PORT), ...persistArgs], {
	stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));

async function waitUntilUp(deadline) {
	while (Date.now() < deadline) {
		try {
			if ((await fetch(`${ENDPOINT}/.well-known/jwks.json`)).ok) return;
		} catch {
			// not listening yet
		}
		await new Promise((r) => setTimeout(r, 500));
	}
	throw new Error("wrangler dev did not answer within 120 s");
}

try {
	await waitUntilUp(Date.now() + 120_000);
	const [issuer] = DEV_PRINCIPALS;
	const client = new LicenseManagerClient({
		endpoint: ENDPOINT,
		region: "us-east-1",
		credentials: { accessKeyId: issuer.accessKeyId, secretAccessKey: issuer.secret },
	});
	const demo = await client.send(
		new CreateLicenseCommand({
			ClientToken: "edge-license-manager-demo-license-1",
			LicenseName: "Demo license",
			ProductName: "Demo Product",
			ProductSKU: "DEMO-SKU-1",
			Issuer: { Name: "Demo Issuer" },
			HomeRegion: "us-east-1",
			Validity: { Begin: "2024-01-01T00:00:00Z", End: "2099-12-31T00:00:00Z" },
			Beneficiary: "My Beneficiary",
			Entitlements: [
				{ Name: "Seats", Unit: "Count", MaxCount: 10 },
				{ Name: "Tier", Unit: "None", Value: "Pro" },
			],
			ConsumptionConfiguration: {
				RenewType: "None",
				BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: 60 },
			},
		}),
	);
	console.log(`
\x1b[32mReady.\x1b[0m Demo license: ${demo.LicenseArn}

  export AWS_ACCESS_KEY_ID=${issuer.accessKeyId} AWS_SECRET_ACCESS_KEY=${issuer.secret} AWS_DEFAULT_REGION=us-east-1
  aws license-manager checkout-borrow-license --endpoint-url ${ENDPOINT} \\
    --license-arn ${demo.LicenseArn} \\
    --entitlements Name=Seats,Unit=Count,Value=1 --digital-signature-method JWT_PS384 \\
    --client-token demo$(date +%s)

Console: ${ENDPOINT}/console/   (sign in with ${issuer.accessKeyId} / ${issuer.secret})
JWKS: ${ENDPOINT}/.well-known/jwks.json   (Ctrl-C stops the server)
`);
} catch (err) {
	console.error(`[start] ${err instanceof Error ? err.message : err}`);
	dev.kill("SIGTERM");
	process.exit(1);
}
