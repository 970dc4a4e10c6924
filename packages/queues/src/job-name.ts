/**
 * A job's name: its type and, when known, the order's number ("PaymentCompleted
 * ORD-20261124-8F3K2Q"), so the dashboard's job header names the order. Workers pick a job's
 * handler by queue, never by name.
 */
export function jobName(type: string, orderNumber?: string | null): string {
  return orderNumber ? `${type} ${orderNumber}` : type;
}

/** The order number a jobName() carries, if any. */
export function orderNumberOfJobName(name: string): string | null {
  const space = name.indexOf(" ");
  return space > 0 && space < name.length - 1 ? name.slice(space + 1) : null;
}
