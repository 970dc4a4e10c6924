import type { Actor } from "@order-flow/domain";
import type { Logger } from "@order-flow/config";

export type AppEnv = {
  Variables: {
    requestId: string;
    log: Logger;
    actor: Actor;
  };
};
