/**
 * The standalone admin page (public/admin.html, served at GET /admin by the image-processor Worker):
 * a sign-in form asking for the admin token once, then ImageProcessorPanel on the page's origin.
 * The token is checked with the Worker, kept in this tab's sessionStorage and never put in a URL;
 * a refused token (at sign-in or later) brings the form back with the reason.
 */
import { type FormEvent, StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";

import { PanelError, verifyAdminToken } from "./api";
import { ImageProcessorPanel } from "./ImageProcessorPanel";

const TOKEN_KEY = "imageProcessorAdminToken";
const baseUrl = window.location.origin;
const storedToken = () => sessionStorage.getItem(TOKEN_KEY);

type Session = { signedIn: true } | { signedIn: false; error: string };

/** Keeps `token` when the Worker does not refuse it (network or server trouble: the panel will say). */
async function signIn(token: string): Promise<Session> {
  try {
    await verifyAdminToken(baseUrl, token);
  } catch (error) {
    if (error instanceof PanelError && error.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      return { signedIn: false, error: error.message };
    }
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  return { signedIn: true };
}

function AdminPage() {
  const [session, setSession] = useState<Session | null>(null);     // null: checking a stored token
  useEffect(() => {
    const token = storedToken();
    if (token) void signIn(token).then(setSession);
    else setSession({ signedIn: false, error: "" });
  }, []);

  const signOut = (error: string) => {
    sessionStorage.removeItem(TOKEN_KEY);
    setSession({ signedIn: false, error });
  };

  return (
    <>
      <header>
        <h1>Image processor</h1>
        <span className="spacer" />
        {session?.signedIn && (
          <button id="sign-out" type="button" onClick={() => signOut("")}>Sign out</button>
        )}
      </header>
      <main>
        {session?.signedIn === true && (
          <ImageProcessorPanel baseUrl={baseUrl} getToken={storedToken} onUnauthorized={signOut} />
        )}
        {session?.signedIn === false && (
          <SignInForm error={session.error} onSubmit={async (token) => {
            setSession({ signedIn: false, error: "" });
            setSession(await signIn(token));
          }} />
        )}
      </main>
    </>
  );
}

function SignInForm({ error, onSubmit }: { error: string; onSubmit: (token: string) => Promise<void> }) {
  const [token, setToken] = useState("");
  const [checking, setChecking] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const value = token.trim();
    if (!value || checking) return;
    setChecking(true);
    try {
      await onSubmit(value);
    } finally {
      setChecking(false);
      setToken("");
    }
  };

  return (
    <>
      <div id="error" className="error" role="alert">{error}</div>
      <form id="login" className="card" autoComplete="off" onSubmit={submit}>
        <h2>Sign in</h2>
        <label htmlFor="token">Admin token</label>
        <input id="token" type="password" required autoFocus value={token}
               onChange={(e) => setToken(e.target.value)} />
        <button id="login-button" type="submit" disabled={checking}>Sign in</button>
        <p className="notice">The token is kept in this browser tab only (sessionStorage).</p>
      </form>
    </>
  );
}

const root = document.getElementById("root");
if (!root) throw new Error("admin.html has no #root element");
createRoot(root).render(<StrictMode><AdminPage /></StrictMode>);
