import { SELF } from "cloudflare:test";
import { expect, it } from "vitest";

it("fails an assertion", () => {
  const got = { name: "isoplay", tags: ["a", "b"] };
  expect(got).toEqual({ name: "isoplay", tags: ["a", "c"] }); // ASSERT-FAIL
});

it("errors inside the worker", async () => {
  await SELF.fetch("https://example.com/boom");
});

it("throws a non-error", () => {
  throw "a plain string";
});

it("passes after the failures", () => {
  expect(1 + 1).toBe(2);
});

it.fails("is expected to fail", () => {
  expect(1).toBe(2);
});
