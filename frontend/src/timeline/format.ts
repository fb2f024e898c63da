// Time and number formatting shared by the player, the timeline and the event list.

/** Seconds as m:ss.cc (or h:mm:ss.cc past an hour): precise enough to tell frames apart at 50 fps. */
export function formatTime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  const totalCentis = Math.round(seconds * 100);
  const centis = totalCentis % 100;
  const totalSeconds = Math.floor(totalCentis / 100);
  const s = totalSeconds % 60;
  const m = Math.floor(totalSeconds / 60) % 60;
  const h = Math.floor(totalSeconds / 3600);
  const tail = `${String(s).padStart(2, "0")}.${String(centis).padStart(2, "0")}`;
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${tail}` : `${m}:${tail}`;
}

/** A remaining time, coarse: "45 s", "3 min 5 s", "1 h 2 min". */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The frame shown at a media time: the rule, with 1e-3 absorbing float error at exact frame starts. */
export function frameAtTime(mediaTime: number, fps: number): number {
  return Math.max(0, Math.floor(mediaTime * fps + 1e-3));
}

/** The time to seek to for a frame: its middle, so rounding in the decoder cannot land on a neighbour. */
export function timeOfFrame(frame: number, fps: number): number {
  return fps > 0 ? (frame + 0.5) / fps : 0;
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function formatScore(score: number | null | undefined): string {
  return score === null || score === undefined || !Number.isFinite(score) ? "–" : score.toFixed(2);
}
