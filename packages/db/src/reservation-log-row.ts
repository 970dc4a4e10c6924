/** The durable RESERVED copy of a Redis hold, written with its order (OrderWrite.insertReservationLog). */
export type { NewReservationLogRow } from "@order-flow/domain";
