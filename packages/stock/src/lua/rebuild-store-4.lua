--[[
  Replaces one store's counters and live holds with the state computed from PostgreSQL.
  Held records still indexed are deleted first (the live ones are written again);
  final records (CONFIRMED/RELEASED tombstones) are left to their TTL.

  Input:
    KEYS[1] available hash
    KEYS[2] reserved hash
    KEYS[3] expiries zset
    KEYS[4] reservation record key prefix (same hash tag; records are prefix .. reservationId)
    ARGV[1] number of products n
    ARGV[2 .. 2n+1] productId, available pairs (on_hand minus RESERVED log rows)
    ARGV[2n+2 ..] holds, 4 values each: reservationId, orderId, items JSON, deadline ms

  Output: {products written, holds written}
]]
local rcall = redis.call

for _, reservationId in ipairs(rcall("ZRANGE", KEYS[3], 0, -1)) do
  local record = KEYS[4] .. reservationId
  if rcall("HGET", record, "state") == "HELD" then
    rcall("DEL", record)
  end
end
rcall("DEL", KEYS[1], KEYS[2], KEYS[3])

local n = tonumber(ARGV[1])
for i = 2, 2 * n, 2 do
  rcall("HSET", KEYS[1], ARGV[i], ARGV[i + 1])
  rcall("HSET", KEYS[2], ARGV[i], 0)
end

local holds = 0
for i = 2 * n + 2, #ARGV, 4 do
  local reservationId, items, deadline = ARGV[i], ARGV[i + 2], ARGV[i + 3]
  for _, item in ipairs(cjson.decode(items)) do
    rcall("HINCRBY", KEYS[2], item.productId, item.quantity)
  end
  rcall("HSET", KEYS[4] .. reservationId, "orderId", ARGV[i + 1], "items", items,
    "state", "HELD", "deadline", deadline)
  rcall("ZADD", KEYS[3], deadline, reservationId)
  holds = holds + 1
end
return {n, holds}
