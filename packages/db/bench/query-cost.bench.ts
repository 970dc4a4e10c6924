// Node CPU per query of the same work through Prisma's model calls and through runStatement on
// the pg pool: the same process, the same database, the same run, interleaved in
// blocks so that load from elsewhere on the machine falls on both alike.
//   read:   an order with its items by id (Prisma's include is two queries, the pool's one)
//   row:    one order row by id, no items (one query each: the per-query overhead alone)
//   insert: one audit entry
// CPU is process.cpuUsage() (user + system) of this process only: PostgreSQL's own work is not
// in it. Usage: pnpm bench:sql [N per variant, default 5000]
import { randomUUID } from "node:crypto";
import os from "node:os";
import { OrderWrite } from "../src/order-write.ts";
import { SELECT_ORDER } from "../src/order-row.ts";
import { runStatement, SqlParams } from "../src/sql-statement.ts";
import { newOrder } from "../test/support/orders.ts";
import { createTestDatabase } from "../test/support/test-database.ts";

const N = Number(process.argv[2] ?? 5000);
const BLOCK = 250;

type Variant = { name: string; run: () => Promise<unknown>; cpuUs: number; wallMs: number; done: number };

const db = await createTestDatabase();
try {
  const { prisma, database } = db;
  const order = newOrder({
    items: [
      { productId: randomUUID(), productName: "Tteokbokki", unitPrice: 12_000, quantity: 2 },
      { productId: randomUUID(), productName: "Kimbap", unitPrice: 4_500, quantity: 1 },
    ],
    totalAmount: 28_500,
  });
  await new OrderWrite().insertOrder(order).run(database);

  const auditRow = () => ({
    id: randomUUID(),
    orderId: order.id,
    eventType: "ORDER_CREATED",
    changeSummary: "bench",
    actorUserId: null,
    recordedAt: new Date(),
  });

  const variants: Variant[] = [
    {
      name: "read  prisma findUnique+include",
      run: () => prisma.order.findUnique({ where: { id: order.id }, include: { items: true } }),
      cpuUs: 0,
      wallMs: 0,
      done: 0,
    },
    {
      name: "read  pool runStatement",
      run: () => {
        const p = new SqlParams();
        return runStatement(database, `${SELECT_ORDER} WHERE o.id = ${p.add(order.id, "uuid")}`, p);
      },
      cpuUs: 0,
      wallMs: 0,
      done: 0,
    },
    {
      name: "row   prisma findUnique",
      run: () => prisma.order.findUnique({ where: { id: order.id } }),
      cpuUs: 0,
      wallMs: 0,
      done: 0,
    },
    {
      name: "row   pool runStatement",
      run: () => {
        const p = new SqlParams();
        return runStatement(database, `SELECT * FROM p_order WHERE id = ${p.add(order.id, "uuid")}`, p);
      },
      cpuUs: 0,
      wallMs: 0,
      done: 0,
    },
    {
      name: "insert prisma create",
      run: () => {
        const row = auditRow();
        return prisma.orderAudit.create({ data: { ...row, eventId: row.id, metadata: {} }, select: { id: true } });
      },
      cpuUs: 0,
      wallMs: 0,
      done: 0,
    },
    {
      name: "insert pool runStatement",
      run: () => {
        const row = auditRow();
        const p = new SqlParams();
        return runStatement(
          database,
          `INSERT INTO p_order_audit (id, event_id, order_id, event_type, change_summary, actor_user_id, recorded_at, metadata)
           VALUES (${p.add(row.id, "uuid")}, ${p.add(row.id, "uuid")}, ${p.add(row.orderId, "uuid")}, ${p.add(row.eventType)},
             ${p.add(row.changeSummary)}, ${p.add(row.actorUserId, "uuid")}, ${p.add(row.recordedAt, "timestamptz")}, '{}'::jsonb)`,
          p,
        );
      },
      cpuUs: 0,
      wallMs: 0,
      done: 0,
    },
  ];

  // Warm-up: JIT, prepared statements, pooled connections.
  for (const v of variants) for (let i = 0; i < 300; i++) await v.run();

  while (variants.some((v) => v.done < N)) {
    for (const v of variants) {
      const n = Math.min(BLOCK, N - v.done);
      const cpu = process.cpuUsage();
      const start = performance.now();
      for (let i = 0; i < n; i++) await v.run();
      const used = process.cpuUsage(cpu);
      v.wallMs += performance.now() - start;
      v.cpuUs += used.user + used.system;
      v.done += n;
    }
  }

  const perQuery = (v: Variant) => v.cpuUs / v.done;
  console.log(`N=${N} per variant, blocks of ${BLOCK}; ${os.cpus().length} cores; load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  for (const v of variants) {
    console.log(`${v.name.padEnd(34)} cpu ${perQuery(v).toFixed(1).padStart(6)} µs/query   wall ${((v.wallMs * 1000) / v.done).toFixed(1).padStart(6)} µs/query`);
  }
  const [readPrisma, readPool, rowPrisma, rowPool, insertPrisma, insertPool] = variants as [Variant, Variant, Variant, Variant, Variant, Variant];
  const ratio = (a: Variant, b: Variant) => `${(perQuery(a) / perQuery(b)).toFixed(2)}×`;
  console.log(`CPU ratio prisma/pool: read ${ratio(readPrisma, readPool)}, row ${ratio(rowPrisma, rowPool)}, insert ${ratio(insertPrisma, insertPool)}`);
} finally {
  await db.drop();
}
