// The browser's transport for resumable uploads (resumableUpload.ts): JSON requests through the one fetch wrapper, and
// each part by XMLHttpRequest, which reports upload progress (fetch cannot).
import { ApiError, csrfToken, errorCode, errorDetail, getList, post, reportAuthLost, request } from "./http";
import type { PartUrl, Transport, UploadSession } from "./resumableUpload";
import type { Video } from "./types";

export const browserTransport: Transport<Video> = {
  start: (studyId, filename, size) => post<UploadSession>(`/api/studies/${studyId}/uploads/`, { filename, size }),
  status: (uploadId) => request<UploadSession>("GET", `/api/uploads/${uploadId}/`),
  putPart,
  complete: (uploadId) => post<Video>(`/api/uploads/${uploadId}/complete/`, {}),
  abort: async (uploadId) => {
    await request<null>("DELETE", `/api/uploads/${uploadId}/`);
  },
};

/** The user's sessions of a study that still take parts (a resume when this browser kept no record). */
export const listOpenUploads = (studyId: number): Promise<UploadSession[]> => getList<UploadSession>(`/api/studies/${studyId}/uploads/`);

function putPart(session: UploadSession, part: PartUrl, body: Blob, onProgress: (loaded: number) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new DOMException("aborted", "AbortError"));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", part.url);
    if (session.backend === "local") {
      // The app's own endpoint: the session cookie and the CSRF header, as any write.
      xhr.withCredentials = true;
      xhr.setRequestHeader("Accept", "application/json");
      const token = csrfToken();
      if (token) xhr.setRequestHeader("X-CSRFToken", token);
    }
    // A bucket's presigned URL signs the host and the part's length: nothing else is sent (no cookie, no header).
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    const onAbort = () => xhr.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    const settle = () => signal.removeEventListener("abort", onAbort);
    xhr.onload = () => {
      settle();
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(body.size);
        resolve();
        return;
      }
      let answer: unknown = null;
      try {
        answer = xhr.responseText && session.backend === "local" ? (JSON.parse(xhr.responseText) as unknown) : null;
      } catch {
        answer = null;
      }
      if (xhr.status === 401 && session.backend === "local") reportAuthLost();
      const detail = answer === null ? `part ${part.number} was refused (${xhr.status})` : errorDetail(xhr.status, answer);
      reject(new ApiError(xhr.status, detail, errorCode(answer), answer));
    };
    xhr.onerror = () => {
      settle();
      reject(new ApiError(0, `part ${part.number}: the connection was lost`));
    };
    xhr.onabort = () => {
      settle();
      reject(new DOMException("aborted", "AbortError"));
    };
    xhr.send(body);
  });
}
