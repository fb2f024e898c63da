import { NavLink, Outlet, useNavigate } from "react-router";
import { logout } from "../api/client";
import { NoRolePage } from "./admin/NoRolePage";
import { isRole } from "./admin/users";
import { ROLE_LABELS } from "./labels";
import { useSession, useUser } from "./session";

export function Layout() {
  const user = useUser();
  const { signedOut } = useSession();
  const navigate = useNavigate();

  const signOut = async () => {
    try {
      await logout();
    } finally {
      signedOut();
      void navigate("/app/login", { replace: true });
    }
  };

  // A user nobody gave a role yet would meet "permission denied" on every page: say why, and whom to ask.
  if (!isRole(user.role)) return <NoRolePage user={user} />;

  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Polypscope</span>
        <nav>
          <NavLink to="/app/" end data-testid="nav-studies">
            Studies
          </NavLink>
          <NavLink to="/app/review" data-testid="nav-review">
            Review queue
          </NavLink>
          <NavLink to="/app/corrections" data-testid="nav-corrections">
            Correction queue
          </NavLink>
          {user.role === "admin" && (
            <NavLink to="/app/models" data-testid="nav-models">
              Models
            </NavLink>
          )}
          {user.role === "admin" && (
            <NavLink to="/app/users" data-testid="nav-users">
              Users
            </NavLink>
          )}
          {user.role === "admin" && (
            <NavLink to="/app/audit" data-testid="nav-audit">
              Audit log
            </NavLink>
          )}
        </nav>
        <span className="whoami" data-testid="current-user">
          {user.username} <span className="role">{ROLE_LABELS[user.role]}</span>
        </span>
        <button type="button" className="link" data-testid="logout" onClick={() => void signOut()}>
          Log out
        </button>
      </header>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}
