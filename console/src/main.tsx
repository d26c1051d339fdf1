import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import "./console.css";
import { type Credentials, createCall } from "./api/client";
import { extensionOperations } from "./api/extension";
import { licenseManager } from "./api/licenseManager";
import { CreateLicense } from "./components/CreateLicense";
import { LicensePage } from "./components/LicensePage";
import { Licenses } from "./components/Licenses";
import { SignIn } from "./components/SignIn";
import { parseRoute, type Route } from "./route";
import { forgetCredentials, loadCredentials, saveCredentials } from "./session";

// The API is the page's own origin: same Worker, no CORS, nothing else is ever contacted.
const ENDPOINT = `${location.origin}/`;

function useRoute(): Route {
	const [route, setRoute] = useState(() => parseRoute(location.hash));
	useEffect(() => {
		const onHash = () => {
			setRoute(parseRoute(location.hash));
			window.scrollTo(0, 0);
		};
		window.addEventListener("hashchange", onHash);
		return () => window.removeEventListener("hashchange", onHash);
	}, []);
	return route;
}

function Console({ credentials, onSignOut }: { credentials: Credentials; onSignOut: () => void }) {
	const route = useRoute();
	const { api, extension } = useMemo(() => {
		const call = createCall(credentials, { endpoint: ENDPOINT });
		return { api: licenseManager(call), extension: extensionOperations(call) };
	}, [credentials]);
	return (
		<>
			<header class="top">
				<a class="brand" href="#/">
					Edge License Manager
				</a>
				<span class="who" title={`Region ${credentials.region}`}>
					<code>{credentials.accessKeyId}</code>
				</span>
				<button type="button" class="secondary" onClick={onSignOut}>
					Sign out
				</button>
			</header>
			{route.page === "licenses" ? (
				<Licenses api={api} endpoint={location.origin} region={credentials.region} />
			) : null}
			{route.page === "create" ? <CreateLicense api={api} region={credentials.region} /> : null}
			{route.page === "license" ? (
				<LicensePage key={route.arn} api={api} extension={extension} arn={route.arn} />
			) : null}
		</>
	);
}

function App() {
	const [credentials, setCredentials] = useState(() => loadCredentials());
	if (!credentials) {
		return (
			<SignIn
				endpoint={ENDPOINT}
				onSignedIn={(c) => {
					saveCredentials(c);
					setCredentials(c);
				}}
			/>
		);
	}
	return (
		<Console
			credentials={credentials}
			onSignOut={() => {
				forgetCredentials();
				setCredentials(null);
				location.hash = "";
			}}
		/>
	);
}

const root = document.getElementById("app");
if (root) render(<App />, root);
