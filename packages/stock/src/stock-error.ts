export type StockErrorCode = "INVALID_INPUT" | "UNKNOWN_PRODUCT" | "REBUILD_TIMEOUT";

/** An expected stock failure with a stable code (codes survive process boundaries, classes do not). */
export class StockError extends Error {
  readonly code: StockErrorCode;

  constructor(code: StockErrorCode, message: string) {
    super(message);
    this.name = "StockError";
    this.code = code;
  }
}
