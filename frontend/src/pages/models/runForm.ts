// The fine-tune form: text fields in, a checked request body (or the field errors) out.
import type { NewTrainingRun, TrainingConfig } from "../../api/types";

export type RunField = keyof TrainingConfig;

/** What the inputs hold: text, as typed. */
export type RunFormValues = Record<RunField, string>;

export const RUN_FIELDS: readonly { field: RunField; label: string; hint: string }[] = [
  { field: "epochs", label: "Epochs", hint: "a whole number, 1 or more" },
  { field: "lr", label: "Learning rate", hint: "between 0 and 1" },
  { field: "size", label: "Input size (px)", hint: "a whole number of pixels" },
  { field: "batch_size", label: "Batch size", hint: "a whole number, 1 or more" },
  { field: "replay_ratio", label: "Replay ratio", hint: "0 or more: original training images per new label" },
];

export function formFromDefaults(defaults: TrainingConfig): RunFormValues {
  return {
    epochs: String(defaults.epochs),
    lr: String(defaults.lr),
    size: String(defaults.size),
    batch_size: String(defaults.batch_size),
    replay_ratio: String(defaults.replay_ratio),
  };
}

export type RunFormErrors = Partial<Record<RunField, string>>;

export type RunFormResult = { ok: true; body: NewTrainingRun } | { ok: false; errors: RunFormErrors };

/** A plain decimal number (no hex, no "1e3" surprises from Number("")), or null. */
function parseNumber(text: string): number | null {
  const trimmed = text.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/**
 * Check the form: epochs, size and batch size positive whole numbers, lr strictly between 0 and 1,
 * replay ratio 0 or more. The body carries every field (the server's defaults filled the form), the
 * base model when one is chosen, and the excluded studies when there are any.
 */
export function validateRunForm(values: RunFormValues, baseModel: number | null, excludeStudies: readonly number[]): RunFormResult {
  const errors: RunFormErrors = {};
  const numbers: Partial<Record<RunField, number>> = {};
  for (const { field } of RUN_FIELDS) {
    const value = parseNumber(values[field]);
    if (value === null) {
      errors[field] = "Enter a number.";
      continue;
    }
    numbers[field] = value;
  }
  for (const field of ["epochs", "size", "batch_size"] as const) {
    const value = numbers[field];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) errors[field] = "Enter a whole number, 1 or more.";
  }
  if (numbers.lr !== undefined && !(numbers.lr > 0 && numbers.lr < 1)) errors.lr = "Enter a rate between 0 and 1 (exclusive).";
  if (numbers.replay_ratio !== undefined && numbers.replay_ratio < 0) errors.replay_ratio = "Enter 0 or more.";
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  const body: NewTrainingRun = {
    epochs: numbers.epochs,
    lr: numbers.lr,
    size: numbers.size,
    batch_size: numbers.batch_size,
    replay_ratio: numbers.replay_ratio,
  };
  if (baseModel !== null) body.base_model = baseModel;
  if (excludeStudies.length > 0) body.exclude_studies = [...excludeStudies];
  return { ok: true, body };
}

/** The server's field errors (`{"epochs": ["..."]}`) for the form's fields; the rest stays in the banner. */
export function serverFieldErrors(body: unknown): RunFormErrors {
  const errors: RunFormErrors = {};
  if (!body || typeof body !== "object" || Array.isArray(body)) return errors;
  for (const { field } of RUN_FIELDS) {
    const value = (body as Record<string, unknown>)[field];
    const messages = Array.isArray(value) ? value.filter((m): m is string => typeof m === "string") : typeof value === "string" ? [value] : [];
    if (messages.length > 0) errors[field] = messages.join(" ");
  }
  return errors;
}
