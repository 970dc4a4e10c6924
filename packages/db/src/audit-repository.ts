import type { AuditRecord } from "@order-flow/domain";
import type { Db, PrismaClient } from "./client.ts";
import type { Prisma } from "./generated/prisma/client.ts";

export type AuditEntryView = {
  eventType: string;
  changeSummary: string;
  actorUserId: string | null;
  recordedAt: Date;
  metadata: Record<string, unknown>;
};

function toRow(record: AuditRecord) {
  return {
    id: record.eventId,
    eventId: record.eventId,
    orderId: record.orderId,
    eventType: record.eventType,
    changeSummary: record.changeSummary,
    actorUserId: record.actorUserId,
    recordedAt: record.recordedAt,
    metadata: record.metadata as Prisma.InputJsonValue,
  };
}

export const auditRepository = {
  /** Appends inside the caller's transaction; an event id already recorded is skipped. */
  async append(db: Db, records: AuditRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const { count } = await db.orderAudit.createMany({ data: records.map(toRow), skipDuplicates: true });
    return count;
  },

  /**
   * Appends in a transaction of its own (the seed's REQUIRES_NEW): used for steps that
   * fail, so the entry survives whatever happens to the caller's transaction.
   */
  async appendIndependent(prisma: PrismaClient, records: AuditRecord[]): Promise<number> {
    return auditRepository.append(prisma, records);
  },

  async listByOrder(db: Db, orderId: string): Promise<AuditEntryView[]> {
    const rows = await db.orderAudit.findMany({
      where: { orderId },
      orderBy: { seq: "asc" },
    });
    return rows.map((r) => ({
      eventType: r.eventType,
      changeSummary: r.changeSummary,
      actorUserId: r.actorUserId,
      recordedAt: r.recordedAt,
      metadata: (r.metadata ?? {}) as Record<string, unknown>,
    }));
  },
};
