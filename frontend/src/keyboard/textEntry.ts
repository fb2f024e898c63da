/**
 * The one keyboard guard of the app: whether a key event comes from a place where keys type text, so
 * single-key shortcuts (the review page's, the mask editor's) leave it alone. Duck-typed on the element's
 * tag, type and contentEditable, so it is pure and unit-tested without a DOM.
 */

/** Input types that take no typed text: their keys (arrows on a slider, Space on a checkbox) may be shortcuts. */
const NON_TEXT_INPUTS: ReadonlySet<string> = new Set(["range", "checkbox", "radio", "button", "submit", "reset", "color", "file", "image"]);

interface ElementLike {
  readonly tagName?: unknown;
  readonly type?: unknown;
  readonly isContentEditable?: unknown;
}

export function isTextEntry(target: EventTarget | ElementLike | null): boolean {
  if (target === null || typeof target !== "object") return false;
  const el = target as ElementLike;
  if (el.isContentEditable === true) return true;
  const tag = typeof el.tagName === "string" ? el.tagName.toUpperCase() : "";
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") return !NON_TEXT_INPUTS.has(typeof el.type === "string" ? el.type.toLowerCase() : "text");
  return false;
}
