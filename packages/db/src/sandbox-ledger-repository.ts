import type { Database } from "./database.ts";
import { runStatement, SqlParams } from "./sql-statement.ts";

export type SandboxCaptureRow = { pgTransactionId: string; paymentId: string; amount: number };
export type SandboxRefundRow = { refundId: string; pgTransactionId: string; amount: number };

// amount is BIGINT: the pool's int8 parser reads it as a number.
const capture = (r: SandboxCaptureRow): SandboxCaptureRow => ({ pgTransactionId: r.pgTransactionId, paymentId: r.paymentId, amount: r.amount });
const refund = (r: SandboxRefundRow): SandboxRefundRow => ({ refundId: r.refundId, pgTransactionId: r.pgTransactionId, amount: r.amount });

/**
 * The sandbox PG's books in PostgreSQL tables of its own (p_sandbox_capture, p_sandbox_refund):
 * the API records captures and the workers refunds, in different processes, and the books
 * must outlive a Redis flush as a real PG's would. Satisfies the payments package's SandboxLedger.
 */
export function sandboxLedgerRepository(db: Database) {
  return {
    async recordCapture(input: { pgTransactionId: string; paymentId: string; orderId: string; amount: number; at: Date }): Promise<void> {
      const p = new SqlParams();
      await runStatement(
        db,
        `INSERT INTO p_sandbox_capture (pg_transaction_id, payment_id, order_id, amount, captured_at)
         VALUES (${p.add(input.pgTransactionId)}, ${p.add(input.paymentId, "uuid")}, ${p.add(input.orderId, "uuid")},
           ${p.add(input.amount, "bigint")}, ${p.add(input.at, "timestamptz")})
         ON CONFLICT DO NOTHING`,
        p,
      );
    },

    async findCapture(pgTransactionId: string): Promise<SandboxCaptureRow | null> {
      const p = new SqlParams();
      const rows = await runStatement<SandboxCaptureRow>(
        db,
        `SELECT pg_transaction_id AS "pgTransactionId", payment_id AS "paymentId", amount
           FROM p_sandbox_capture WHERE pg_transaction_id = ${p.add(pgTransactionId)}`,
        p,
      );
      return rows[0] ? capture(rows[0]) : null;
    },

    async recordRefund(input: {
      refundId: string;
      idempotencyKey: string;
      pgTransactionId: string;
      paymentId: string;
      amount: number;
      reason: string;
      at: Date;
    }): Promise<SandboxRefundRow> {
      // A twin committing between our snapshot and our conflict check is invisible to this
      // statement's read: ask again, with a fresh snapshot.
      for (let attempt = 0; ; attempt++) {
        const p = new SqlParams();
        const key = p.add(input.idempotencyKey);
        const id = p.add(input.refundId);
        const tx = p.add(input.pgTransactionId);
        const rows = await runStatement<SandboxRefundRow>(
          db,
          `WITH ins AS (
             INSERT INTO p_sandbox_refund (refund_id, idempotency_key, pg_transaction_id, payment_id, amount, reason, created_at)
             VALUES (${id}, ${key}, ${tx}, ${p.add(input.paymentId, "uuid")}, ${p.add(input.amount, "bigint")},
               ${p.add(input.reason)}, ${p.add(input.at, "timestamptz")})
             ON CONFLICT DO NOTHING
             RETURNING refund_id, pg_transaction_id, amount)
           SELECT refund_id AS "refundId", pg_transaction_id AS "pgTransactionId", amount, 0 AS rank FROM ins
           UNION ALL
           SELECT refund_id, pg_transaction_id, amount, CASE WHEN idempotency_key = ${key} THEN 1 ELSE 2 END
             FROM p_sandbox_refund WHERE idempotency_key = ${key} OR refund_id = ${id} OR pg_transaction_id = ${tx}
           ORDER BY rank LIMIT 1`,
          p,
        );
        if (rows[0]) return refund(rows[0]);
        if (attempt >= 2) throw new Error(`sandbox refund ${input.refundId} neither recorded nor found`);
      }
    },

    async forPayment(paymentId: string): Promise<{ captures: SandboxCaptureRow[]; refunds: SandboxRefundRow[] }> {
      const p = new SqlParams();
      const id = p.add(paymentId, "uuid");
      const rows = await runStatement<{ kind: "capture" | "refund"; a: string; b: string; amount: number }>(
        db,
        `SELECT 'capture' AS kind, pg_transaction_id AS a, payment_id::text AS b, amount, captured_at AS at
           FROM p_sandbox_capture WHERE payment_id = ${id}
         UNION ALL
         SELECT 'refund', refund_id, pg_transaction_id, amount, created_at
           FROM p_sandbox_refund WHERE payment_id = ${id}
         ORDER BY at, a`,
        p,
      );
      return {
        captures: rows.filter((r) => r.kind === "capture").map((r) => capture({ pgTransactionId: r.a, paymentId: r.b, amount: r.amount })),
        refunds: rows.filter((r) => r.kind === "refund").map((r) => refund({ refundId: r.a, pgTransactionId: r.b, amount: r.amount })),
      };
    },
  };
}

export type SandboxLedgerRepository = ReturnType<typeof sandboxLedgerRepository>;
