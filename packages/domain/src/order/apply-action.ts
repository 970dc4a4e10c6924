import type { ActionContext } from "./action-context.ts";
import type { OrderActionArgs } from "./order-action-args.ts";
import type { OrderAction } from "./order-action.ts";
import type { OrderState } from "./order-state.ts";
import { Order } from "./order.ts";
import type { TransitionResult } from "./transition-result.ts";

type ArgsTuple<A extends OrderAction> = undefined extends OrderActionArgs[A]
  ? [args?: OrderActionArgs[A]]
  : [args: OrderActionArgs[A]];

/** Runs any action by name, e.g. applyAction(order, actionForTargetStatus(status), ctx, { reason }). */
export function applyAction<A extends OrderAction>(
  order: OrderState,
  action: A,
  ctx: ActionContext,
  ...rest: ArgsTuple<A>
): TransitionResult {
  const args = rest[0] as never;
  const run = Order[action as OrderAction] as (o: OrderState, c: ActionContext, a: never) => TransitionResult;
  return run(order, ctx, args);
}
