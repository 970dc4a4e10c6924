// Mirrors the return codes documented in the header of each src/lua/*.lua script.

export enum ReserveCode {
  Held = 0,
  OutOfStock = -1,
  UnknownProduct = -2,
  DuplicateId = -3,
}

export enum ConfirmCode {
  Confirmed = 1,
  AlreadyConfirmed = 2,
  NotHeld = -1,
  Missing = -2,
}

export enum ReleaseCode {
  ReleasedFromHeld = 1,
  ReleasedFromConfirmed = 2,
  AlreadyReleased = 3,
  RefusedConfirmed = -1,
  Missing = -2,
}

export enum DeferCode {
  Deferred = 1,
  NotHeld = 0,
}

export enum SetOnHandCode {
  Set = 1,
  StockHeld = -1,
}

export enum UnlockCode {
  Released = 1,
  NotOwner = 0,
}
