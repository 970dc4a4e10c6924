--[[
  Gives a reservation's units back to available, exactly once.
  HELD -> RELEASED: reserved -= q, available += q.
  CONFIRMED -> RELEASED (a sale undone): available += q (PostgreSQL raises on_hand).

  Input:
    KEYS[1] available hash
    KEYS[2] reserved hash
    KEYS[3] reservation record hash
    KEYS[4] expiries zset
    ARGV[1] reservation id
    ARGV[2] TTL in ms for the final record
    ARGV[3] "ANY", or "HELD_ONLY" (the sweep: never release a sale)
    ARGV[4] "" or the items JSON of a sale whose record is gone (PostgreSQL says CONFIRMED):
            the units are restored once and a RELEASED tombstone is left

  Output: {code, state the reservation was released from}
     1 released from HELD
     2 released from CONFIRMED
     3 already released
    -1 refused: confirmed and HELD_ONLY
    -2 no such record (and no fallback items)
]]
local rcall = redis.call

local state = rcall("HGET", KEYS[3], "state")
if not state then
  if ARGV[4] == "" then
    return {-2, ""}
  end
  for _, item in ipairs(cjson.decode(ARGV[4])) do
    rcall("HINCRBY", KEYS[1], item.productId, item.quantity)
  end
  rcall("HSET", KEYS[3], "items", ARGV[4], "state", "RELEASED", "from", "CONFIRMED")
  rcall("PEXPIRE", KEYS[3], ARGV[2])
  return {2, "CONFIRMED"}
end

if state == "RELEASED" then
  rcall("ZREM", KEYS[4], ARGV[1])
  return {3, rcall("HGET", KEYS[3], "from") or "HELD"}
end
if state == "CONFIRMED" and ARGV[3] == "HELD_ONLY" then
  return {-1, "CONFIRMED"}
end

local items = cjson.decode(rcall("HGET", KEYS[3], "items"))
for _, item in ipairs(items) do
  if state == "HELD" then
    rcall("HINCRBY", KEYS[2], item.productId, -item.quantity)
  end
  rcall("HINCRBY", KEYS[1], item.productId, item.quantity)
end
rcall("HSET", KEYS[3], "state", "RELEASED", "from", state)
rcall("PEXPIRE", KEYS[3], ARGV[2])
rcall("ZREM", KEYS[4], ARGV[1])
if state == "HELD" then
  return {1, state}
end
return {2, state}
