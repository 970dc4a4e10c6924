import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "./support/harness.ts";

describe("GET /docs", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("serves Swagger UI and everything it loads from this origin, with no external URL", async () => {
    const res = await h.app.request("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    // No absolute or protocol-relative URL: nothing is fetched from elsewhere (a CDN, fonts).
    expect(html).not.toMatch(/\b(?:https?:)?\/\/[a-z0-9.-]+/i);

    const scripts = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]!);
    const styles = [...html.matchAll(/<link[^>]*\shref="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThanOrEqual(2);
    expect(styles.length).toBeGreaterThanOrEqual(1);
    for (const url of [...scripts, ...styles]) {
      const asset = await h.app.request(new URL(url, "http://localhost/docs").pathname);
      expect(asset.status, url).toBe(200);
      expect((await asset.arrayBuffer()).byteLength, url).toBeGreaterThan(0);
    }
    const byType = async (pattern: RegExp) => {
      for (const url of [...scripts, ...styles].filter((u) => pattern.test(u))) {
        const asset = await h.app.request(url);
        return { type: asset.headers.get("content-type"), text: await asset.text() };
      }
      throw new Error(`nothing matches ${pattern}`);
    };
    expect((await byType(/swagger-ui-bundle\.js$/)).type).toContain("javascript");
    expect((await byType(/\.css$/)).type).toContain("text/css");
    // The page starts the UI on this API's own document, with no online validator.
    const init = await byType(/initializer\.js$/);
    expect(init.text).toContain('"/openapi.json"');
    expect(init.text).toContain("validatorUrl: null");
    expect(init.text).not.toMatch(/https?:\/\//);
    // The document it points at is there.
    expect((await h.app.request("/openapi.json")).status).toBe(200);
  });

  it("serves only the files it names from the package", async () => {
    for (const path of ["/docs/assets/package.json", "/docs/assets/..%2F..%2Fpackage.json", "/docs/assets/index.html"]) {
      expect((await h.app.request(path)).status, path).toBe(404);
    }
  });
});
