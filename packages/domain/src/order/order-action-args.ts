/** Extra input of each action (besides the order and the ActionContext). */
export type OrderActionArgs = {
  reserveStock: { reservationId: string; expiresAt: Date };
  failReservation: { reason: string };
  requestPayment: { paymentId: string };
  completePayment: { paymentId: string; amount: number; pgTransactionId: string };
  failPayment: { paymentId: string; reason: string };
  confirm: undefined;
  startPreparing: undefined;
  markReadyForDelivery: { reason?: string } | undefined;
  startDelivery: { reason?: string } | undefined;
  markDelivered: { reason?: string } | undefined;
  complete: { reason?: string } | undefined;
  cancel: { reason?: string | null } | undefined;
  reject: { reason?: string | null } | undefined;
  requestRefund: { reason?: string | null } | undefined;
  completeRefund: { refundId: string };
  failRefund: { reason: string };
  /** eventId: the OrderTimeout event's id, reused as the audit record's eventId */
  timeout: { eventId?: string } | undefined;
};

export type CreateOrderInput = {
  id: string;
  orderNumber: string;
  userId: string;
  storeId: string;
  items: { productId: string; productName: string; unitPrice: number; quantity: number }[];
  expiresAt: Date;
};
