import { expect, test } from "vitest";
import { isTextEntry } from "./textEntry";

test("text fields, text areas, selects and editable elements take the keys", () => {
  expect(isTextEntry({ tagName: "INPUT", type: "text" })).toBe(true);
  expect(isTextEntry({ tagName: "INPUT", type: "search" })).toBe(true);
  expect(isTextEntry({ tagName: "INPUT" })).toBe(true);
  expect(isTextEntry({ tagName: "TEXTAREA" })).toBe(true);
  expect(isTextEntry({ tagName: "SELECT" })).toBe(true);
  expect(isTextEntry({ tagName: "DIV", isContentEditable: true })).toBe(true);
});

test("sliders, check boxes, buttons and the page itself leave the keys to the shortcuts", () => {
  for (const type of ["range", "checkbox", "radio", "button", "submit", "reset", "color", "file"]) {
    expect(isTextEntry({ tagName: "INPUT", type })).toBe(false);
  }
  expect(isTextEntry({ tagName: "BUTTON" })).toBe(false);
  expect(isTextEntry({ tagName: "BODY", isContentEditable: false })).toBe(false);
  expect(isTextEntry(null)).toBe(false);
});
