import type { HandlerMap } from "../handler.ts";
import { handleOrderCancelled } from "./order-cancelled.ts";
import { handleOrderConfirmed } from "./order-confirmed.ts";
import { handleOrderCreated } from "./order-created.ts";
import { handleOrderRefunded } from "./order-refunded.ts";
import { handleOrderTimeout } from "./order-timeout.ts";
import { handlePaymentCompleted } from "./payment-completed.ts";
import { handlePaymentRequested } from "./payment-requested.ts";
import { handleStockReserved } from "./stock-reserved.ts";
import { handleStrayPaymentRefund } from "./stray-payment-refund.ts";

/** Job type → handler; a missing or extra entry fails to compile. */
export const HANDLERS: HandlerMap = {
  OrderCreated: handleOrderCreated,
  StockReserved: handleStockReserved,
  PaymentRequested: handlePaymentRequested,
  PaymentCompleted: handlePaymentCompleted,
  OrderConfirmed: handleOrderConfirmed,
  OrderCancelled: handleOrderCancelled,
  OrderRefunded: handleOrderRefunded,
  OrderTimeout: handleOrderTimeout,
  StrayPaymentRefund: handleStrayPaymentRefund,
};
