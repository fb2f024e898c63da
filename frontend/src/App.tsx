/*
 * Routes (Django serves index.html at / and at every path under /app/):
 *   /                                   -> redirect to /app/
 *   /app/login                          login (?next= returns there afterwards)
 *   /app/                               study list (filters in the query string)
 *   /app/studies/:id                    study: videos, still images, upload
 *   /app/studies/:id/report             the study's sign-off report (prints cleanly; the browser saves it as PDF)
 *   /app/videos/:id                     video review (?event=<id> selects an event, ?frame=<n> opens at a frame;
 *                                       both: the event, shown at that frame)
 *   /app/videos/:id/frames/:index/edit  mask editor for a video frame
 *   /app/images/:id/edit                mask editor for a still image
 *   /app/review                         review queue
 *   /app/corrections                    correction queue
 *   /app/models                         model versions, fine-tune form, training runs (admin)
 *   /app/training-runs/:id              a fine-tuning run: live progress, snapshot, gate report, promote (admin)
 *   /app/users                          users: create with a role, change role, deactivate, set a password (admin)
 *   /app/audit                          the audit log: filters in the query string (the API's names), CSV download (admin)
 *   /app/set-password?uid=&token=       a one-time set-password link (an invite), used logged out
 *   (any /app/ page)                    a user without a role sees NoRolePage instead: whom to ask for one
 *
 * data-testid attributes for the e2e tests (stable; change them only with the tests):
 *   login-username, login-password, login-submit     LoginPage
 *   nav-studies, nav-review, nav-corrections,
 *   nav-models (admin only), current-user, logout    Layout
 *   nav-users, nav-audit (admin only)                Layout
 *   no-role-page, no-role-admins, no-role-retry, logout                            NoRolePage
 *   set-password-page, set-password-username, set-password-input, set-password-confirm, set-password-submit,
 *   set-password-error, set-password-invalid, set-password-done, set-password-login  SetPasswordPage
 *   user-invite, invite-link, invite-copy (UsersPage: a row's or a new user's set-password link)
 *   users-page, new-user-toggle, new-user-form, new-user-username, new-user-password, new-user-role,
 *   new-user-submit, new-user-error, new-user-created, user-row (data-username, data-active), user-role,
 *   user-set-password, user-password-input, user-password-save, user-deactivate, user-deactivate-confirm,
 *   user-reactivate, user-row-error, user-row-message                              UsersPage
 *   audit-page, audit-export (the CSV link), audit-filter-<actor|action|target-type|target-id|date-from|date-to>,
 *   audit-apply, audit-clear, audit-count (data-count), audit-row (data-action, data-actor)  AuditPage
 *   study-row (data-study-id), filter-status, filter-date-from, filter-date-to, filter-reviewer,
 *   new-study-patient, new-study-date, new-study-indication, new-study-submit      StudyListPage
 *   video-row (data-video-id), image-card (data-image-id), edit-image-link,
 *   upload-input, upload-progress, upload-sent, upload-retrying, upload-cancel, upload-completing, upload-done,
 *   upload-error, upload-retry, upload-resume-offer, upload-resume, upload-restart  StudyPage (VideoUpload)
 *   import-input, import-progress, import-error, new-study-toggle,
 *   export-kvasir, export-coco (also in each study-row)                            StudyListPage
 *   breadcrumbs, study-members, member-chip (data-user-id), members-edit, members-picker,
 *   member-option (data-user-id), members-save, members-error, report-link, closed-notice,
 *   export-kvasir, export-coco, video-resume, image-upload-input, image-upload-progress,
 *   image-upload-done, image-upload-error                                          StudyPage
 *   report-page (data-state = draft|signed_off|signed_off_with_pending), report-print, report-compact,
 *   report-signed-off, report-patient, report-reviewers, report-models, report-summary,
 *   report-video (data-video-id), report-event (data-event-id, data-verdict), report-thumbnail,
 *   report-outline (canvas over a thumbnail; data-outlined = "true" once the model's mask is drawn)  StudyReportPage
 *   video-element | frame-image (fallback), timeline-canvas, frame-index, frame-time,
 *   play-toggle, overlay-toggle, overlay-opacity, jump-mode, edit-frame-link, shortcuts-button,
 *   shortcuts-help, progress-bar (aria-valuenow = frames done, data-status),
 *   event-row (data-event-id), event-verdict (inside event-row; data-verdict = value or ""),
 *   live-event-row, verdict-panel (data-event-id), verdict-confirmed, verdict-false-positive,
 *   verdict-uncertain, verdict-note, verdict-note-status (data-state = clean|unsaved|saving|saved|error|
 *   needsVerdict), just-judged (data-event-id: the event judged just now, after the selection moved on),
 *   just-judged-note, just-judged-note-status (data-state as above), verdict-history,
 *   verdict-history-row (data-verdict), event-unsaved-note (inside event-row), next-video-offer,
 *   next-video (data-video-id), next-video-none, video-crumbs, video-title, overlay-outline,
 *   mask-overlay (data-frame = frame drawn, data-mode = fill|outline)              VideoReviewPage
 *   review-row (data-event-id), review-link (opens the event at its peak frame)     ReviewQueuePage
 *   correction-row (data-kind), correction-link                                     CorrectionQueuePage
 *   model-row (data-model-id, data-active), model-active, model-promote, model-checkpoint,
 *   model-corrections, gate-badge (data-passed), fine-tune-toggle, fine-tune-form, fine-tune-base,
 *   fine-tune-<epochs|lr|size|batch_size|replay_ratio>, fine-tune-exclude, fine-tune-submit,
 *   fine-tune-error, run-list, run-row (data-run-id, data-status), run-link, run-status (data-status),
 *   run-progress (aria-valuenow = percent)                                          ModelsPage
 *   promote-dialog, promote-reason, promote-server-detail, promote-error, promote-confirm  PromoteDialog
 *   training-run (data-status), run-cancel, run-error, loss-plot, dice-plot (data-points = epochs drawn),
 *   run-snapshot, gate-report (data-passed), gate-row (data-metric), gate-interval,
 *   gate-check (data-passed), patient-plot, patient-row (data-patient), run-promote  TrainingRunPage
 *   mask-base-source, save-status, conflict-message, save-mine, load-theirs,
 *   revision-row (data-revision-id), save-error                                     MaskEditPage
 */
import { Navigate, RouterProvider, createBrowserRouter } from "react-router";
import { AuditPage } from "./pages/admin/AuditPage";
import { UsersPage } from "./pages/admin/UsersPage";
import { SetPasswordPage } from "./pages/admin/SetPasswordPage";
import { Layout } from "./pages/Layout";
import { LoginPage } from "./pages/LoginPage";
import { ModelsPage } from "./pages/models/ModelsPage";
import { TrainingRunPage } from "./pages/models/TrainingRunPage";
import { NotFound } from "./pages/NotFound";
import { CorrectionQueuePage } from "./pages/queues/CorrectionQueuePage";
import { ReviewQueuePage } from "./pages/queues/ReviewQueuePage";
import { StudyReportPage } from "./pages/report/StudyReportPage";
import { RequireAuth, RequireRole, SessionProvider } from "./pages/session";
import { StudyListPage } from "./pages/studies/StudyListPage";
import { StudyPage } from "./pages/studies/StudyPage";
import { VideoReviewPage } from "./pages/video/VideoReviewPage";

// A data router (createBrowserRouter) rather than <BrowserRouter>: same browser-history URLs, but only a
// data router supports useBlocker, which the mask editor needs to stop in-app navigation away from
// unsaved edits.
async function loadMaskEditPage() {
  const { MaskEditPage } = await import("./pages/editor/MaskEditPage");
  return { Component: MaskEditPage };
}

const router = createBrowserRouter([
  { path: "/", element: <Navigate to="/app/" replace /> },
  { path: "/app/login", element: <LoginPage /> },
  { path: "/app/set-password", element: <SetPasswordPage /> },
  {
    path: "/app",
    element: (
      <RequireAuth>
        <Layout />
      </RequireAuth>
    ),
    // Shown while a lazy route's chunk loads on the first page of a visit (the mask editor).
    hydrateFallbackElement: <p className="muted">Loading…</p>,
    children: [
      { index: true, element: <StudyListPage /> },
      { path: "studies/:id", element: <StudyPage /> },
      { path: "studies/:id/report", element: <StudyReportPage /> },
      { path: "videos/:id", element: <VideoReviewPage /> },
      // The mask editor is its own chunk, loaded when an editor route opens: the review pages (the ones
      // that must render in under a second) do not parse it.
      { path: "videos/:id/frames/:index/edit", lazy: loadMaskEditPage },
      { path: "images/:id/edit", lazy: loadMaskEditPage },
      { path: "review", element: <ReviewQueuePage /> },
      { path: "corrections", element: <CorrectionQueuePage /> },
      {
        path: "models",
        element: (
          <RequireRole roles={["admin"]}>
            <ModelsPage />
          </RequireRole>
        ),
      },
      {
        path: "training-runs/:id",
        element: (
          <RequireRole roles={["admin"]}>
            <TrainingRunPage />
          </RequireRole>
        ),
      },
      {
        path: "users",
        element: (
          <RequireRole roles={["admin"]}>
            <UsersPage />
          </RequireRole>
        ),
      },
      {
        path: "audit",
        element: (
          <RequireRole roles={["admin"]}>
            <AuditPage />
          </RequireRole>
        ),
      },
      { path: "*", element: <NotFound /> },
    ],
  },
  { path: "*", element: <Navigate to="/app/" replace /> },
]);

export function App() {
  return (
    <SessionProvider>
      <RouterProvider router={router} />
    </SessionProvider>
  );
}
