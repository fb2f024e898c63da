// Mask editor page for a video frame or a still image: loads the mask state, mounts MaskEditor, saves
// revisions, and resolves save conflicts without ever dropping the user's edit.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useBlocker, useLocation, useParams } from "react-router";
import { getMaskState, getStudy, getVideo, listRevisions, postRevision, targetImageUrl, type MaskTarget } from "../../api/client";
import { toApiError, useApi } from "../../api/useApi";
import type { MaskState, Revision } from "../../api/types";
import { MaskEditor, type MaskEditorHandle } from "../../editor/MaskEditor";
import { decodeRle, encodeRle } from "../../mask/rle";
import { ErrorBanner, Loading, formatDateTime } from "../common";
import { LOGIN_PATH } from "../loginRedirect";
import { canEditMasks, useUser } from "../session";
import { formatTime } from "../../timeline/format";
import { PropagationPanel } from "./PropagationPanel";
import { BASE_LABELS, authorName, chooseBase, conflictMessage, conflictRevision } from "./revisions";

/** Why a role that cannot save masks gets a view-only editor (null: it can edit). */
export function readOnlyReason(role: string): string | null {
  if (canEditMasks(role as Parameters<typeof canEditMasks>[0])) return null;
  const who = role ? `a ${role}` : "a user without a role";
  return `View only: as ${who} you can look at masks and the model's prediction; corrections are saved by annotators.`;
}

export function MaskEditPage() {
  const params = useParams();
  const { pathname } = useLocation();
  const target: MaskTarget = pathname.startsWith("/app/images/")
    ? { kind: "image", image: Number(params.id) }
    : { kind: "frame", video: Number(params.id), frame: Number(params.index) };
  const key = target.kind === "frame" ? `frame:${target.video}:${target.frame}` : `image:${target.image}`;
  // One component per target: its editor, draft and conflict state never carry over to another frame.
  return <MaskEdit key={key} target={target} draftKey={key} />;
}

function MaskEdit({ target, draftKey }: { target: MaskTarget; draftKey: string }) {
  const user = useUser();
  const state = useApi((signal) => getMaskState(target, signal), [draftKey]);
  const history = useApi((signal) => listRevisions(target, signal), [draftKey]);
  // Names, not ids: the patient, the file and the frame's time (frames only; images keep their id).
  const video = useApi(
    (signal) => (target.kind === "frame" ? getVideo(target.video, signal) : Promise.resolve(null)),
    [draftKey],
  );
  const study = useApi(
    (signal) => (video.data ? getStudy(video.data.study, signal) : Promise.resolve(null)),
    [video.data?.study],
  );
  const readOnly = readOnlyReason(user.role);
  const reload = () => {
    state.reload();
    history.reload();
  };
  const title =
    target.kind === "frame"
      ? video.data
        ? `${study.data ? `${study.data.patient_pseudo_id} · ` : ""}${video.data.original_name || `video ${target.video}`} · frame ${target.frame} (${formatTime(target.frame / (video.data.fps || 1))})`
        : `Video ${target.video}, frame ${target.frame}`
      : `Still image ${target.image}`;

  return (
    <section className="edit-page">
      <div className="edit-head">
        <div className="crumbs">
          {target.kind === "frame" ? (
            <>
              <Link to={`/app/videos/${target.video}?frame=${target.frame}`}>← Back to the video</Link>
              {target.frame > 0 && <Link to={`/app/videos/${target.video}/frames/${target.frame - 1}/edit`}>previous frame</Link>}
              <Link to={`/app/videos/${target.video}/frames/${target.frame + 1}/edit`}>next frame</Link>
            </>
          ) : (
            <Link to="/app/">Studies</Link>
          )}
        </div>
        <h1 data-testid="editor-title">{title}</h1>
      </div>
      {state.error && <ErrorBanner error={state.error} onRetry={state.reload} />}
      {!state.data && !state.error && <Loading what="mask" />}
      {state.data && (
        // Keyed by the current revision: after proposals are accepted the frame's base changes, so the editor
        // restarts from the new revision (a save must be based on it).
        <EditorWithSaving key={`${draftKey}:${state.data.current?.id ?? "none"}`} target={target} draftKey={draftKey}
          state={state.data} history={history.data} historyError={history.error?.detail ?? null}
          reloadHistory={history.reload} readOnly={readOnly} onReload={reload} />
      )}
    </section>
  );
}

interface EditorWithSavingProps {
  target: MaskTarget;
  draftKey: string;
  state: MaskState;
  history: Revision[] | null;
  historyError: string | null;
  reloadHistory: () => void;
  readOnly: string | null;
  onReload: () => void;
}

function EditorWithSaving({ target, draftKey, state, history, historyError, reloadHistory, readOnly, onReload }: EditorWithSavingProps) {
  const { width, height } = state;
  const editor = useRef<MaskEditorHandle>(null);
  // Decoded once: the editor reads `base` only when it starts.
  const start = useMemo(() => chooseBase(state), [state]);
  const base = useMemo(() => (start.rle ? decodeRle(start.rle, height, width) : new Uint8Array(width * height)), [start, width, height]);
  const prediction = useMemo(() => (state.prediction ? decodeRle(state.prediction, height, width) : null), [state.prediction, width, height]);

  // Revisions are numbered per frame or image, oldest first (the list comes newest first).
  const numberOf = useMemo(() => new Map((history ?? []).map((r, i, all) => [r.id, all.length - i])), [history]);
  /** The revision the next save builds on. */
  const basedOn = useRef<number | null>(start.revisionId);
  const [currentId, setCurrentId] = useState<number | null>(start.revisionId);
  const [dirty, setDirty] = useState(false);
  const [saving, setSaving] = useState(false);
  const [conflict, setConflict] = useState<Revision | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [lastSaved, setLastSaved] = useState<Revision | null>(null);
  const [note, setNote] = useState("");

  const post = useCallback(
    async (mask: Uint8Array, on: number | null): Promise<Revision | null> => {
      setSaving(true);
      setSaveError(null);
      try {
        const revision = await postRevision(target, { based_on: on, rle: encodeRle(mask, height, width), note: note.trim() });
        basedOn.current = revision.id;
        setCurrentId(revision.id);
        setConflict(null);
        setLastSaved(revision);
        setNote("");
        reloadHistory();
        return revision;
      } catch (reason) {
        const theirs = conflictRevision(reason);
        if (theirs) {
          setConflict(theirs);
          reloadHistory();
        }
        else setSaveError(toApiError(reason).detail);
        return null;
      } finally {
        setSaving(false);
      }
    },
    [target, width, height, note, reloadHistory],
  );

  const onSave = useCallback(
    (mask: Uint8Array) => {
      void post(mask, basedOn.current).then((saved) => saved && editor.current?.markSaved());
    },
    [post],
  );

  // 409 -> "Save mine on top": the same edit (as it is now), based on their revision.
  const saveMine = () => {
    if (!conflict || !editor.current) return;
    const mask = editor.current.getMask();
    void post(mask, conflict.id).then((saved) => {
      // Mark saved only if nothing was drawn during the request; otherwise the newer strokes stay unsaved.
      const now = editor.current?.getMask();
      if (saved && now && now.length === mask.length && now.every((v, i) => v === mask[i])) editor.current?.markSaved();
    });
  };

  // 409 -> "Load theirs": their revision becomes the base; the user's edit stays one undo away (and in the draft).
  const loadTheirs = () => {
    if (!conflict) return;
    editor.current?.replaceBase(decodeRle(conflict.rle, height, width));
    basedOn.current = conflict.id;
    setCurrentId(conflict.id);
    setConflict(null);
    reloadHistory();
  };

  // In-app navigation away from unsaved work asks first (the browser's own prompt covers reload/close,
  // installed by MaskEditor). Not when the session ended: the draft in localStorage keeps the edit.
  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname && nextLocation.pathname !== LOGIN_PATH,
  );
  useEffect(() => {
    if (blocker.state === "blocked" && !dirty) blocker.proceed();
  }, [blocker, dirty]);

  return (
    <div className="edit-body">
      <div className="edit-main">
        {conflict && (
          <div className="conflict" role="alert" data-testid="conflict-message">
            <span>{conflictMessage(conflict, formatDateTime)}</span>
            <button type="button" className="primary" data-testid="save-mine" disabled={saving} onClick={saveMine}>
              Save mine on top
            </button>
            <button type="button" data-testid="load-theirs" disabled={saving} onClick={loadTheirs}>
              Load theirs
            </button>
            <span className="small">Loading theirs keeps your edit one undo (Ctrl+Z) away.</span>
          </div>
        )}
        {saveError && (
          <div className="error-banner" role="alert" data-testid="save-error">
            Not saved: {saveError} Your edit is kept in this browser; try saving again.
          </div>
        )}
        <MaskEditor
          ref={editor}
          imageUrl={targetImageUrl(target)}
          width={width}
          height={height}
          base={base}
          prediction={prediction}
          draftKey={draftKey}
          saving={saving}
          onSave={onSave}
          onDirtyChange={setDirty}
          readOnly={readOnly}
        />
      </div>
      <aside className="edit-side">
        <p className="small muted" data-testid="mask-base-source" data-source={start.source}>
          Started from the {BASE_LABELS[start.source]}
          {start.source === "revision" && state.current && (state.current.kind === "propagated"
            ? ` (a proposal propagated from frame ${state.current.propagated_from_frame ?? "?"})`
            : ` (by ${authorName(state.current.author)})`)}.
        </p>
        <p className="small save-status" data-testid="save-status">
          {readOnly ? "View only." : saving ? "Saving…" : dirty ? "Unsaved changes (Ctrl+S saves)" : lastSaved ? "Saved." : "No changes."}
        </p>
        {!readOnly && (
          <label className="small muted">
            Note for the next revision
            <input value={note} onChange={(e) => setNote(e.target.value)} placeholder="optional" style={{ width: "100%" }} />
          </label>
        )}
        {!readOnly && target.kind === "frame" && (
          <PropagationPanel video={target.video} frame={target.frame} current={lastSaved ?? state.current}
            dirty={dirty} onAccepted={onReload} />
        )}
        <h2 style={{ marginTop: 16 }}>Revisions</h2>
        {historyError && <p className="small error">{historyError}</p>}
        {history && history.length === 0 && <p className="small muted">None yet.</p>}
        {history && history.length > 0 && (
          <ol className="revisions" data-count={history.length}>
            {history.map((revision, i) => (
              <li key={revision.id} data-testid="revision-row" data-revision-id={revision.id} data-kind={revision.kind ?? "person"}
                className={revision.id === currentId ? "current" : undefined}>
                <span>
                  {/* Numbered per frame or image, oldest first; the id stays in the tooltip for support. */}
                  <strong title={`revision id ${revision.id}`}>Revision {history.length - i}</strong>{" "}
                  {revision.kind === "propagated" ? (
                    <span className="badge proposal">proposal from frame {revision.propagated_from_frame ?? "?"}</span>
                  ) : (
                    authorName(revision.author)
                  )}
                  {revision.id === currentId && <span className="badge active"> base</span>}
                </span>
                <span className="muted">
                  {formatDateTime(revision.created_at)}
                  {revision.based_on !== null
                    ? ` · on revision ${numberOf.get(revision.based_on) ?? "?"}`
                    : " · first"}
                </span>
                {revision.note && <span>“{revision.note}”</span>}
              </li>
            ))}
          </ol>
        )}
      </aside>
      {blocker.state === "blocked" && (
        <div className="modal-backdrop">
          <div className="modal" role="dialog" aria-label="Unsaved changes" data-testid="leave-prompt">
            <h2>Unsaved changes</h2>
            <p>This mask has changes that are not saved to the server. They stay in this browser as a draft and are offered back when you return here.</p>
            <div className="modal-actions">
              <button type="button" className="primary" data-testid="leave-stay" onClick={() => blocker.reset()} autoFocus>
                Stay and save
              </button>
              <button type="button" data-testid="leave-anyway" onClick={() => blocker.proceed()}>
                Leave
              </button>
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
