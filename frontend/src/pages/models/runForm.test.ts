import { expect, test } from "vitest";
import { formFromDefaults, serverFieldErrors, validateRunForm, type RunFormValues } from "./runForm";

const defaults = { epochs: 5, lr: 0.0001, size: 352, batch_size: 8, replay_ratio: 1 };
const form = (overrides: Partial<RunFormValues> = {}): RunFormValues => ({ ...formFromDefaults(defaults), ...overrides });

test("the defaults fill the form and pass as they are", () => {
  expect(formFromDefaults(defaults)).toEqual({ epochs: "5", lr: "0.0001", size: "352", batch_size: "8", replay_ratio: "1" });
  expect(validateRunForm(form(), null, [])).toEqual({ ok: true, body: defaults });
});

test("base model and excluded studies go in the body only when chosen", () => {
  expect(validateRunForm(form(), 3, [12, 14])).toEqual({ ok: true, body: { ...defaults, base_model: 3, exclude_studies: [12, 14] } });
});

test("epochs, size and batch size must be positive whole numbers", () => {
  const result = validateRunForm(form({ epochs: "0", size: "352.5", batch_size: "-2" }), null, []);
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(Object.keys(result.errors).sort()).toEqual(["batch_size", "epochs", "size"]);
});

test("the learning rate is strictly between 0 and 1", () => {
  for (const lr of ["0", "1", "1.5"]) expect(validateRunForm(form({ lr }), null, []).ok).toBe(false);
  for (const lr of ["0.5", "3e-4", ".001"]) expect(validateRunForm(form({ lr }), null, []).ok).toBe(true);
});

test("the replay ratio may be 0 but not negative", () => {
  expect(validateRunForm(form({ replay_ratio: "0" }), null, []).ok).toBe(true);
  expect(validateRunForm(form({ replay_ratio: "-0.5" }), null, [])).toMatchObject({ ok: false, errors: { replay_ratio: "Enter 0 or more." } });
});

test("text that is not a plain number is refused", () => {
  for (const epochs of ["", " ", "ten", "0x10", "5 epochs", "Infinity"]) {
    expect(validateRunForm(form({ epochs }), null, [])).toMatchObject({ ok: false, errors: { epochs: "Enter a number." } });
  }
  expect(validateRunForm(form({ epochs: " 7 " }), null, [])).toMatchObject({ ok: true, body: { epochs: 7 } });
});

test("server field errors land on their fields", () => {
  expect(serverFieldErrors({ epochs: ["Ensure this value is less than or equal to 200."], detail: "x", other: ["y"] })).toEqual({
    epochs: "Ensure this value is less than or equal to 200.",
  });
  expect(serverFieldErrors(null)).toEqual({});
  expect(serverFieldErrors(["x"])).toEqual({});
});
