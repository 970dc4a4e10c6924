import { z } from "zod";
import { roleSchema } from "../order/actor.ts";

/** Who raised an event: the acting user (null for the system) and its role. */
export const eventActorSchema = z.object({
  userId: z.string().nullable(),
  role: roleSchema,
});

export type EventActor = z.infer<typeof eventActorSchema>;

/** ISO-8601 timestamp as Date.prototype.toISOString writes it (offsets accepted too). */
export const isoDateTimeSchema = z.iso.datetime({ offset: true });

/** Fields every domain event carries. Ids are UUID-shaped (8-4-4-4-12 hex). */
export const eventEnvelopeShape = {
  eventId: z.guid(),
  orderId: z.guid(),
  actor: eventActorSchema,
  occurredAt: isoDateTimeSchema,
};

export const stockLineSchema = z.object({
  productId: z.string().min(1),
  quantity: z.number().int().min(1),
});
