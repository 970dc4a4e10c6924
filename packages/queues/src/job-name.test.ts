import { describe, expect, it } from "vitest";
import { jobName, orderNumberOfJobName } from "./job-name.ts";

describe("job names", () => {
  it("carry the order number after the type, and give it back", () => {
    const name = jobName("PaymentCompleted", "ORD-20261124-8F3K2Q");
    expect(name).toBe("PaymentCompleted ORD-20261124-8F3K2Q");
    expect(orderNumberOfJobName(name)).toBe("ORD-20261124-8F3K2Q");
  });

  it("are the bare type without a number", () => {
    expect(jobName("OrderTimeout", null)).toBe("OrderTimeout");
    expect(orderNumberOfJobName("OrderTimeout")).toBeNull();
    expect(orderNumberOfJobName("OrderTimeout ")).toBeNull();
  });
});
