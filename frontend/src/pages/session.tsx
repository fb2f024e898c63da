// Who is logged in. Loaded once from GET /api/auth/session/; any 401 (or a 403 the session endpoint
// confirms) anywhere marks the session gone, and RequireAuth then sends the user to log in and back.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { getSession } from "../api/client";
import { ApiError, setAuthLostHandler } from "../api/http";
import type { Role, User } from "../api/types";
import { loginUrl } from "./loginRedirect";

type SessionStatus = "loading" | "in" | "out" | "unreachable";

interface SessionValue {
  user: User | null;
  status: SessionStatus;
  signedIn: (user: User) => void;
  signedOut: () => void;
  retry: () => void;
}

const SessionContext = createContext<SessionValue | null>(null);

/**
 * Who was logged in when Django served the page: it embeds what GET /api/auth/session/ would answer in
 * <script id="polypscope-session">, which saves a round trip before the first page asks for data.
 * undefined when the page came from elsewhere (the Vite dev server): then the API is asked.
 */
function embeddedSession(): User | null | undefined {
  const script = typeof document === "undefined" ? null : document.getElementById("polypscope-session");
  if (!script?.textContent) return undefined;
  try {
    return JSON.parse(script.textContent) as User | null;
  } catch {
    return undefined;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [embedded] = useState(embeddedSession);
  const [user, setUser] = useState<User | null>(embedded ?? null);
  const [status, setStatus] = useState<SessionStatus>(
    embedded === undefined ? "loading" : embedded === null ? "out" : "in",
  );
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (attempt === 0 && embedded !== undefined) return; // the page told us already
    let live = true;
    getSession().then(
      (me) => {
        if (!live) return;
        setUser(me);
        setStatus("in");
      },
      (error: unknown) => {
        if (!live) return;
        setUser(null);
        setStatus(error instanceof ApiError && (error.status === 401 || error.status === 403) ? "out" : "unreachable");
      },
    );
    return () => {
      live = false;
    };
  }, [attempt, embedded]);

  useEffect(() => {
    setAuthLostHandler(() => {
      setUser(null);
      setStatus("out");
    });
    return () => setAuthLostHandler(() => undefined);
  }, []);

  const signedIn = useCallback((me: User) => {
    setUser(me);
    setStatus("in");
  }, []);
  const signedOut = useCallback(() => {
    setUser(null);
    setStatus("out");
  }, []);
  const retry = useCallback(() => {
    setStatus("loading");
    setAttempt((a) => a + 1);
  }, []);

  const value = useMemo(() => ({ user, status, signedIn, signedOut, retry }), [user, status, signedIn, signedOut, retry]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}

/** The logged-in user; only for pages under RequireAuth. */
export function useUser(): User {
  const { user } = useSession();
  if (!user) throw new Error("useUser without a user: the page is not under RequireAuth");
  return user;
}

export const canGiveVerdicts = (role: Role): boolean => role === "gastroenterologist" || role === "admin";
export const canEditMasks = (role: Role): boolean => role === "annotator" || role === "admin";
export const canUpload = (role: Role): boolean => role === "gastroenterologist" || role === "admin";

export function RequireAuth({ children }: { children: ReactNode }) {
  const { status, retry } = useSession();
  const location = useLocation();
  if (status === "loading") return <div className="page-status">Loading…</div>;
  if (status === "unreachable")
    return (
      <div className="page-status">
        <p>The server could not be reached.</p>
        <button type="button" onClick={retry}>
          Try again
        </button>
      </div>
    );
  if (status === "out") return <Navigate to={loginUrl(location.pathname + location.search)} replace />;
  return <>{children}</>;
}

/** A page for some roles only; the API enforces the same rule, this only spares a page of errors. */
export function RequireRole({ roles, children }: { roles: readonly Role[]; children: ReactNode }) {
  const { user } = useSession();
  if (!user || !roles.includes(user.role)) return <div className="page-status">This page is for {roles.join(", ")} users.</div>;
  return <>{children}</>;
}
