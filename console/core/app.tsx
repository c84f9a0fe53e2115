/** The shell: sign-in, navigation built from the families, and the matched page. */
import { useEffect, useRef, useState } from "preact/hooks";
import { families } from "../families.js";
import { match, useLocation } from "./router.js";
import { onSessionChange, session, signIn, signOut } from "./session.js";
import { Failure, Field, Form, useAction } from "./ui.js";
import type { ApiFailure } from "./api.js";

function SignIn() {
  const [token, setToken] = useState("");
  const [remember, setRemember] = useState(true);
  const [failure, setFailure] = useState<ApiFailure | undefined>();
  const action = useAction();
  return (
    <main class="container narrow">
      <h1>Sign in to tc-kms</h1>
      <p>
        Paste a bearer token: the root's (<code>Token</code> in <code>root-credentials.json</code>, or <code>KMS_ROOT_TOKEN</code>) or a sub-user's (from
        CreateToken). The console shows what that principal's policies allow.
      </p>
      <Form
        label="Sign in"
        onSubmit={() =>
          action.run(async () => {
            setFailure(await signIn(token, remember));
          })
        }
      >
        <Field label="Bearer token" type="password" autocomplete="off" value={token} onValue={setToken} required />
        <label>
          <input type="checkbox" role="switch" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />
          Stay signed in while this tab is open (session storage; never a cookie)
        </label>
        <button type="submit" aria-busy={action.busy ? "true" : undefined}>
          Sign in
        </button>
      </Form>
      <Failure failure={failure ?? action.failure} />
    </main>
  );
}

function NotFound() {
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        <a href="#/keys">Go to the key list</a>
      </p>
    </>
  );
}

export function App() {
  const [, setVersion] = useState(0);
  useEffect(() => onSessionChange(() => setVersion((v) => v + 1)), []);
  const loc = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  const current = session();
  const found = current ? match(families, loc.path || "dashboard") : undefined;
  const title = found ? (typeof found.route.title === "function" ? found.route.title(found.params) : found.route.title) : "Not found";
  useEffect(() => {
    document.title = current ? `${title} · tc-kms console` : "Sign in · tc-kms console";
    // A new page: move focus to its heading, as a page load would.
    const h1 = mainRef.current?.querySelector("h1");
    if (h1 instanceof HTMLElement) {
      if (!h1.hasAttribute("tabindex")) h1.tabIndex = -1;
      h1.focus({ preventScroll: true });
    }
  }, [loc.path, title, current]);

  if (!current) return <SignIn />;
  const path = loc.path || "dashboard";
  // The navigation entry whose path is the longest prefix of this page's.
  const nav = families.flatMap((f) => f.nav).filter((n) => !n.operatorOnly || current.operator);
  const active = nav
    .map((n) => n.href)
    .filter((h) => path === h.slice(2) || path.startsWith(`${h.slice(2)}/`))
    .sort((a, b) => b.length - a.length)[0];
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), mainRef.current?.focus())}>
        Skip to content
      </a>
      <header class="container">
        <nav aria-label="Console">
          <ul>
            <li>
              <strong>tc-kms</strong>
            </li>
          </ul>
          <ul>
            {nav.map((n) => (
              <li key={n.href}>
                <a href={n.href} aria-current={n.href === active ? "page" : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
          <ul>
            <li>
              <small>Signed in with {current.label}</small>
            </li>
            <li>
              <button type="button" class="secondary outline" onClick={signOut}>
                Sign out
              </button>
            </li>
          </ul>
        </nav>
      </header>
      <main class="container" id="main" ref={mainRef} tabIndex={-1}>
        {found ? found.route.render({ api: current.api, params: found.params, query: loc.query }) : <NotFound />}
      </main>
    </>
  );
}
