// In the style of the vitest-pool-workers fetch-mock example: outbound requests
// are declared with intercepts; anything else is refused.
import { fetchMock, SELF } from "cloudflare:test";
import { afterEach, beforeAll, expect, it } from "vitest";

beforeAll(() => {
  // Enable outbound request mocking...
  fetchMock.activate();
  // ...and throw errors if an outbound request isn't mocked
  fetchMock.disableNetConnect();
});
// Ensure we matched every mock we defined
afterEach(() => fetchMock.assertNoPendingInterceptors());

it("mocks GET requests", async () => {
  fetchMock
    .get("https://cloudflare.com")
    .intercept({ path: "/once" })
    .reply(200, "😉");
  fetchMock
    .get("https://cloudflare.com")
    .intercept({ path: "/twice" })
    .reply(200, "😉😉")
    .times(2);
  let response = await SELF.fetch("https://example.com/once");
  expect(await response.text()).toBe("200: 😉");
  response = await SELF.fetch("https://example.com/twice");
  expect(await response.text()).toBe("200: 😉😉");
  response = await SELF.fetch("https://example.com/twice");
  expect(await response.text()).toBe("200: 😉😉");
});

it("mocks POST requests with a body and headers", async () => {
  fetchMock
    .get("https://cloudflare.com")
    .intercept({ method: "POST", path: "/items", body: "new item", headers: { "x-forwarded-by": "worker" } })
    .reply(201, ({ body }) => `created ${body}`);
  const response = await SELF.fetch("https://example.com/items", { method: "POST", body: "new item" });
  expect(await response.text()).toBe("201: created new item");
});

it("refuses requests that are not mocked", async () => {
  const response = await SELF.fetch("https://example.com/not-mocked");
  expect(response.status).toBe(503);
  expect(await response.text()).toMatch(/no intercept for GET https:\/\/cloudflare.com\/not-mocked/);
});

it("mocks upstream errors", async () => {
  fetchMock.get("https://cloudflare.com").intercept({ path: "/down" }).replyWithError(new Error("connection reset"));
  const response = await SELF.fetch("https://example.com/down");
  expect(response.status).toBe(503);
});
