import { Link } from "react-router";

export function NotFound() {
  return (
    <section className="page">
      <h1>Not found</h1>
      <p className="muted">
        No page here. <Link to="/app/">Back to the studies</Link>
      </p>
    </section>
  );
}
