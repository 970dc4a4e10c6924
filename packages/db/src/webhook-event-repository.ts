import type { Db } from "./client.ts";
import type { Prisma } from "./generated/prisma/client.ts";

export const webhookEventRepository = {
  /** Records a PG webhook event once; false when its eventId was seen before. */
  async recordOnce(
    db: Db,
    event: {
      eventId: string;
      paymentId: string | null;
      orderId: string | null;
      status: string;
      amount: number | null;
      outcome: string;
      receivedAt: Date;
      payload: unknown;
    },
  ): Promise<boolean> {
    const { count } = await db.paymentWebhookEvent.createMany({
      data: [{ ...event, payload: event.payload as Prisma.InputJsonValue }],
      skipDuplicates: true,
    });
    return count === 1;
  },
};
