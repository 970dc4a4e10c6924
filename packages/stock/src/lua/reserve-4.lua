--[[
  Holds stock for one reservation: every item or none.

  Input:
    KEYS[1] available hash  (productId -> units free to reserve)
    KEYS[2] reserved hash   (productId -> units held by live reservations)
    KEYS[3] reservation record hash
    KEYS[4] expiries zset   (reservationId -> next sweep time, ms)
    ARGV[1] reservation id
    ARGV[2] order id
    ARGV[3] deadline, ms since epoch
    ARGV[4] items as JSON [{productId, quantity}] (kept in the record)
    ARGV[5..] productId, quantity pairs (distinct products, quantities > 0)

  Output: {code, productId, requested, available}
     0 held
    -1 out of stock (first short product)
    -2 unknown product (not in the available hash)
    -3 reservation id already used
]]
local rcall = redis.call

if rcall("EXISTS", KEYS[3]) == 1 then
  return {-3, "", 0, 0}
end

-- Check everything before changing anything: all or none.
for i = 5, #ARGV, 2 do
  local requested = tonumber(ARGV[i + 1])
  local available = rcall("HGET", KEYS[1], ARGV[i])
  if not available then
    return {-2, ARGV[i], requested, 0}
  end
  available = tonumber(available)
  if available < requested then
    return {-1, ARGV[i], requested, available}
  end
end

for i = 5, #ARGV, 2 do
  rcall("HINCRBY", KEYS[1], ARGV[i], -tonumber(ARGV[i + 1]))
  rcall("HINCRBY", KEYS[2], ARGV[i], ARGV[i + 1])
end
-- No TTL on a held record: the expiry index drives the sweep, and the record is what gives stock back.
rcall("HSET", KEYS[3], "orderId", ARGV[2], "items", ARGV[4], "state", "HELD", "deadline", ARGV[3])
rcall("ZADD", KEYS[4], ARGV[3], ARGV[1])
return {0, "", 0, 0}
