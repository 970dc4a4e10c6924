import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

type Json = Record<string, any>;

export type ObservedResponse = { status: number; headers: Headers; body: unknown };

const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

/** JSON pointer escaping of one reference token. */
const escape = (token: string) => token.replaceAll("~", "~0").replaceAll("/", "~1");

/**
 * Checks real responses against an OpenAPI 3.1 document: the status is documented for the
 * operation, the media type is one it lists, the body matches its schema (JSON Schema 2020-12,
 * formats included) and every required response header is there and matches its schema.
 */
export function openApiValidator(doc: Json) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema(doc, "openapi.json");

  const templates = Object.keys(doc.paths ?? {}).map((template) => ({
    template,
    regex: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`),
    literals: template.split("/").filter((s) => s && !s.startsWith("{")).length,
  }));

  const resolve = (node: Json): Json => {
    if (typeof node?.$ref !== "string") return node;
    const pointer = node.$ref.replace(/^#\//, "").split("/").map((t: string) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
    return resolve(pointer.reduce((at: Json, key: string) => at?.[key], doc));
  };

  function operationOf(method: string, path: string) {
    const pathname = path.split("?")[0]!;
    const match = templates.filter((t) => t.regex.test(pathname)).sort((a, b) => b.literals - a.literals)[0];
    const operation = match ? doc.paths[match.template]?.[method.toLowerCase()] : undefined;
    return match && operation ? { template: match.template, operation } : null;
  }

  /** Mismatches between a response and the document, as readable lines (none: it agrees). */
  function check(method: string, path: string, res: ObservedResponse): string[] {
    const where = `${method} ${path} → ${res.status}`;
    const found = operationOf(method, path);
    if (!found) return [`${where}: no operation in the document`];
    const { template, operation } = found;
    const responses = operation.responses ?? {};
    const key = String(res.status) in responses ? String(res.status) : "default" in responses ? "default" : null;
    if (!key) return [`${where}: status not documented (documented: ${Object.keys(responses).join(", ")})`];
    const response = resolve(responses[key]);
    const problems: string[] = [];

    for (const [name, declared] of Object.entries<Json>(response.headers ?? {})) {
      const header = resolve(declared);
      const value = res.headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`${where}: required header ${name} missing`);
        continue;
      }
      if (header.schema) {
        const typed = header.schema.type === "integer" || header.schema.type === "number" ? Number(value) : value;
        if (!ajv.validate(header.schema, typed)) problems.push(`${where}: header ${name}=${value}: ${ajv.errorsText()}`);
      }
    }

    const content = response.content as Json | undefined;
    if (!content) return problems;
    const mediaType = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
    if (!(mediaType in content)) {
      problems.push(`${where}: content type ${mediaType || "(none)"} not documented (${Object.keys(content).join(", ")})`);
      return problems;
    }
    if (!mediaType.endsWith("json")) return problems;
    const pointer = ["paths", template, method.toLowerCase(), "responses", key, "content", mediaType, "schema"].map(escape).join("/");
    const validate = ajv.getSchema(`openapi.json#/${pointer}`);
    if (!validate) return [...problems, `${where}: no schema at ${pointer}`];
    if (!validate(res.body)) {
      problems.push(`${where}: body does not match: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(res.body).slice(0, 300)}`);
    }
    return problems;
  }

  /** Every documented operation as "METHOD template". */
  function operations(): string[] {
    return Object.entries<Json>(doc.paths ?? {}).flatMap(([template, item]) =>
      Object.keys(item)
        .filter((m) => HTTP_METHODS.includes(m))
        .map((m) => `${m.toUpperCase()} ${template}`),
    );
  }

  return { check, operations, operationOf };
}
