/** How a log line, a job log or an error names an order: its id and, when known, its number. */
export function orderLabel(orderId: string, order?: { orderNumber: string } | null): string {
  return order ? `order ${orderId} (${order.orderNumber})` : `order ${orderId}`;
}
