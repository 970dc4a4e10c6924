import type { Role } from "./order/actor.ts";
import type { OrderAction } from "./order/order-action.ts";
import type { OrderStatus } from "./order/order-status.ts";

/** Stable string codes; compare `error.code`, since instanceof does not cross processes. */
export const DOMAIN_ERROR_CODES = {
  INVALID_STATE_TRANSITION: "INVALID_STATE_TRANSITION",
  FORBIDDEN: "FORBIDDEN",
  VALIDATION_FAILED: "VALIDATION_FAILED",
  PAYMENT_MISMATCH: "PAYMENT_MISMATCH",
} as const;

export class DomainError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = "DomainError";
    this.code = code;
  }
}

/** The order's current status does not allow the action (HTTP 409). */
export class InvalidStateTransition extends DomainError {
  readonly from: OrderStatus;
  readonly action: OrderAction;

  constructor(from: OrderStatus, action: OrderAction, detail?: string) {
    super(
      DOMAIN_ERROR_CODES.INVALID_STATE_TRANSITION,
      detail ?? `Cannot ${action} an order in status ${from}`,
    );
    this.name = "InvalidStateTransition";
    this.from = from;
    this.action = action;
  }
}

/** The actor's role may never do the action, or the order is not the actor's (HTTP 403). */
export class ForbiddenAction extends DomainError {
  readonly role: Role;
  readonly action: OrderAction | "create";

  constructor(role: Role, action: OrderAction | "create", detail?: string) {
    super(DOMAIN_ERROR_CODES.FORBIDDEN, detail ?? `Role ${role} may not ${action} this order`);
    this.name = "ForbiddenAction";
    this.role = role;
    this.action = action;
  }
}

/** Input breaks a domain invariant (bad money, quantities, items; HTTP 400). */
export class DomainValidationError extends DomainError {
  readonly path: string;

  constructor(path: string, message: string) {
    super(DOMAIN_ERROR_CODES.VALIDATION_FAILED, `${path}: ${message}`);
    this.name = "DomainValidationError";
    this.path = path;
  }
}

/**
 * A payment result does not fit the order: another paymentId than the order's current one,
 * or an amount other than its total. The caller refunds and audits (API.md webhook rules).
 */
export class PaymentMismatch extends DomainError {
  readonly kind: "PAYMENT_ID" | "AMOUNT";
  readonly expected: string | number | null;
  readonly actual: string | number;

  constructor(kind: "PAYMENT_ID" | "AMOUNT", expected: string | number | null, actual: string | number) {
    super(
      DOMAIN_ERROR_CODES.PAYMENT_MISMATCH,
      kind === "AMOUNT"
        ? `Paid amount ${actual} differs from the order total ${expected}`
        : `Payment ${actual} is not the order's current payment (${expected ?? "none"})`,
    );
    this.name = "PaymentMismatch";
    this.kind = kind;
    this.expected = expected;
    this.actual = actual;
  }
}

/** True for a DomainError, or any object carrying one of DOMAIN_ERROR_CODES as `code` (e.g. across realms). */
export function isDomainError(error: unknown): error is DomainError {
  if (error instanceof DomainError) return true;
  if (typeof error !== "object" || error === null) return false;
  const code: unknown = (error as { code?: unknown }).code;
  return typeof code === "string" && (Object.values(DOMAIN_ERROR_CODES) as string[]).includes(code);
}
