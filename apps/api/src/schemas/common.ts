import { z } from "@hono/zod-openapi";

/** A UUID in any case, handled in lower case from here on (as PostgreSQL prints it). */
export const uuid = z.guid().toLowerCase();

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
  })
  .openapi("Problem");

export const problemContent = { "application/problem+json": { schema: problemSchema } };

export function problems(...statuses: number[]) {
  const out: Record<number, { description: string; content: typeof problemContent }> = {};
  for (const status of statuses) out[status] = { description: "Problem details (RFC 9457)", content: problemContent };
  return out;
}

export const reasonBodySchema = z.strictObject({ reason: z.string().max(500).optional() });
