import { useState } from "preact/hooks";
import { type Credentials, createCall } from "../api/client";
import { licenseManager } from "../api/licenseManager";
import { ErrorNote } from "./common";

/**
 * Signing in is one signed ListLicenses: the key is kept (in sessionStorage, by the
 * caller) only if the service accepts its signature. Nothing else leaves the page.
 */
export function SignIn({
	endpoint,
	onSignedIn,
}: {
	endpoint: string;
	onSignedIn: (c: Credentials) => void;
}) {
	const [accessKeyId, setAccessKeyId] = useState("");
	const [secretAccessKey, setSecret] = useState("");
	const [region, setRegion] = useState("us-east-1");
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<unknown>(null);

	async function submit(e: Event) {
		e.preventDefault();
		setBusy(true);
		setError(null);
		const credentials = {
			accessKeyId: accessKeyId.trim(),
			secretAccessKey,
			region: region.trim() || "us-east-1",
		};
		try {
			await licenseManager(createCall(credentials, { endpoint })).listLicenses({ MaxResults: 1 });
			onSignedIn(credentials);
		} catch (err) {
			setError(err);
			setBusy(false);
		}
	}

	return (
		<main class="signin">
			<h1>Edge License Manager</h1>
			<p class="lede">
				Sign in with an access key of the service. The key stays in this tab (session storage) and
				only signs requests; it is never sent.
			</p>
			<form onSubmit={submit} class="form">
				<label for="access-key-id">Access key ID</label>
				<input
					id="access-key-id"
					name="accessKeyId"
					autocomplete="username"
					spellcheck={false}
					required
					value={accessKeyId}
					onInput={(e) => setAccessKeyId(e.currentTarget.value)}
				/>
				<label for="secret-access-key">Secret access key</label>
				<input
					id="secret-access-key"
					name="secretAccessKey"
					type="password"
					autocomplete="current-password"
					required
					value={secretAccessKey}
					onInput={(e) => setSecret(e.currentTarget.value)}
				/>
				<label for="region">Region</label>
				<input
					id="region"
					name="region"
					spellcheck={false}
					value={region}
					onInput={(e) => setRegion(e.currentTarget.value)}
				/>
				<button type="submit" disabled={busy}>
					{busy ? "Signing in…" : "Sign in"}
				</button>
			</form>
			{error ? <ErrorNote error={error} context="The service refused this key:" /> : null}
		</main>
	);
}
