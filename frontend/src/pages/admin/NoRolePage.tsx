// What a user without a role sees after logging in (instead of "permission denied" on every page): that
// an admin gives roles, and which admins to ask (GET /api/auth/session/ names them for such a user).
import { useNavigate } from "react-router";
import { logout } from "../../api/client";
import type { User } from "../../api/types";
import { useSession } from "../session";
import "./admin.css";

export function NoRolePage({ user }: { user: User & { admins?: string[] } }) {
  const { signedOut, retry } = useSession();
  const navigate = useNavigate();
  const admins = user.admins ?? [];

  const signOut = async () => {
    try {
      await logout();
    } finally {
      signedOut();
      void navigate("/app/login", { replace: true });
    }
  };

  return (
    <main className="no-role card" data-testid="no-role-page">
      <h1>Welcome, {user.username}</h1>
      <p>
        Your account has <strong>no role yet</strong>, so there is nothing you can open. A role (gastroenterologist, annotator or admin) decides what
        you may do here, and an admin gives it.
      </p>
      {admins.length > 0 ? (
        <>
          <p>Ask one of the admins to give you a role:</p>
          <ul data-testid="no-role-admins">
            {admins.map((name) => (
              <li key={name}>{name}</li>
            ))}
          </ul>
        </>
      ) : (
        <p data-testid="no-role-admins">There is no active admin yet: ask whoever runs Polypscope at your site.</p>
      )}
      <p className="muted">Once you have a role, check again or log in again.</p>
      <div className="user-actions" style={{ justifyContent: "flex-start" }}>
        <button type="button" className="primary" data-testid="no-role-retry" onClick={retry}>
          Check again
        </button>
        <button type="button" data-testid="logout" onClick={() => void signOut()}>
          Log out
        </button>
      </div>
    </main>
  );
}
