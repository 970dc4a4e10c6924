/** The durable RESERVED copy of a Redis hold, written with its order (OrderWrite.insertReservationLog). */
export type NewReservationLogRow = {
  id: string;
  reservationId: string;
  orderId: string;
  storeId: string;
  products: { productId: string; quantity: number }[];
  expiresAt: Date;
  createdAt: Date;
};
