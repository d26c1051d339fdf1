// Builds the operator console (console/) into the Worker's static assets (dist/assets):
// dist/assets/console/{index.html, app.js, app.css} and dist/assets/_headers.
// Run by `npm ci` (prepare), `npm start` and the test config; the output is git-ignored.
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const ASSETS_DIR = join(ROOT, "dist/assets");

export async function buildConsole(): Promise<void> {
	const out = join(ASSETS_DIR, "console");
	// Written in place, never emptied first: a running `npm start` serves this directory.
	await mkdir(out, { recursive: true });
	await build({
		absWorkingDir: ROOT,
		entryPoints: { app: "console/src/main.tsx" },
		outdir: out,
		bundle: true,
		format: "esm",
		target: "es2022",
		platform: "browser",
		jsx: "automatic",
		jsxImportSource: "preact",
		minify: true,
		sourcemap: "linked",
		legalComments: "linked",
		logLevel: "warning",
	});
	for (const file of ["index.html", "favicon.svg"]) {
		await copyFile(join(ROOT, "console/static", file), join(out, file));
	}
	await copyFile(join(ROOT, "console/static/_headers"), join(ASSETS_DIR, "_headers"));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	await buildConsole();
	console.log(`console built into ${ASSETS_DIR}`);
}
