import spectralCore from "@stoplight/spectral-core";
import spectralParsers from "@stoplight/spectral-parsers";
import { oas } from "@stoplight/spectral-rulesets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "./support/harness.ts";

// Both are CommonJS: their named exports come through the default import.
const { Spectral, Document } = spectralCore;
const { Json } = spectralParsers;

const SEVERITY = ["error", "warning", "info", "hint"];

/** Spectral's `spectral:oas` ruleset (what `extends: spectral:oas` runs), over the served document. */
async function lint(text: string) {
  const spectral = new Spectral();
  spectral.setRuleset({ extends: [oas as never] });
  const results = await spectral.run(new Document(text, Json as never, "openapi.json"));
  return results.map((r) => `${SEVERITY[r.severity]} ${r.code} at ${r.path.join(".") || "(root)"}: ${r.message}`);
}

describe("the OpenAPI document under Spectral's spectral:oas ruleset", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("has no error, warning or hint", async () => {
    const res = await h.app.request("/openapi.json");
    expect(res.status).toBe(200);
    expect(await lint(await res.text())).toEqual([]);
  });

  it("is a linter that finds problems (a document without operation ids or tags)", async () => {
    const bare = JSON.stringify({
      openapi: "3.1.0",
      info: { title: "t", version: "1" },
      paths: { "/x": { get: { responses: { 200: { description: "ok" } } } } },
    });
    const found = await lint(bare);
    expect(found.some((line) => line.includes("operation-operationId"))).toBe(true);
    expect(found.some((line) => line.includes("operation-tags"))).toBe(true);
  });
});
