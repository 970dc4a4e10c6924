import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Hono } from "hono";
import type { AppEnv } from "../context.ts";

/** swagger-ui-dist, pinned in package.json: the UI works offline and never changes under us. */
const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/** The only files served from the package (no path from the request reaches the file system). */
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

/** Started from a file of its own rather than an inline script, so a strict CSP (script-src 'self') allows it. */
function initializer(specUrl: string): string {
  return `window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(specUrl)},
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null
  });
});
`;
}

function page(base: string): string {
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Order flow API</title>
    <link rel="stylesheet" href="${base}/assets/swagger-ui.css" />
    <link rel="icon" type="image/png" href="${base}/assets/favicon-32x32.png" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${base}/assets/swagger-ui-bundle.js"></script>
    <script src="${base}/swagger-initializer.js"></script>
  </body>
</html>
`;
}

/**
 * GET /docs: Swagger UI over the OpenAPI document, every file from this origin (no CDN), so
 * it works with no internet and under a same-origin content security policy.
 */
export function docsRoutes(options: { path?: string; specUrl?: string } = {}) {
  const { path = "/docs", specUrl = "/openapi.json" } = options;
  const cache = new Map<string, Buffer>();
  const app = new Hono<AppEnv>();
  app.get(path, (c) => c.html(page(path)));
  app.get(`${path}/swagger-initializer.js`, (c) =>
    c.body(initializer(specUrl), 200, { "Content-Type": "text/javascript; charset=utf-8" }),
  );
  app.get(`${path}/assets/:file`, async (c, next) => {
    const file = c.req.param("file");
    const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (!type) return next();
    let content = cache.get(file);
    if (!content) {
      content = await readFile(join(SWAGGER_UI_DIR, file));
      cache.set(file, content);
    }
    return c.body(new Uint8Array(content), 200, { "Content-Type": type, "Cache-Control": "public, max-age=86400" });
  });
  return app;
}
