export const ORDER_ACTIONS = [
  "reserveStock",
  "failReservation",
  "requestPayment",
  "completePayment",
  "failPayment",
  "confirm",
  "startPreparing",
  "markReadyForDelivery",
  "startDelivery",
  "markDelivered",
  "complete",
  "cancel",
  "reject",
  "requestRefund",
  "completeRefund",
  "failRefund",
  "timeout",
] as const;

/** Everything that moves an order from one status to another. */
export type OrderAction = (typeof ORDER_ACTIONS)[number];
