--[[
  Turns a hold into a sale: the held units leave the reserved hash (and so onHand).
  Exactly once: a second confirm answers 2, a released reservation answers -1.

  Input:
    KEYS[1] reserved hash
    KEYS[2] reservation record hash
    KEYS[3] expiries zset
    ARGV[1] reservation id
    ARGV[2] TTL in ms for the final record (late duplicates still recognised meanwhile)

  Output:
     1 confirmed now
     2 already confirmed
    -1 not held (released or expired)
    -2 no such record
]]
local rcall = redis.call

local state = rcall("HGET", KEYS[2], "state")
if not state then
  return -2
end
if state == "CONFIRMED" then
  return 2
end
if state ~= "HELD" then
  return -1
end

local items = cjson.decode(rcall("HGET", KEYS[2], "items"))
for _, item in ipairs(items) do
  rcall("HINCRBY", KEYS[1], item.productId, -item.quantity)
end
rcall("HSET", KEYS[2], "state", "CONFIRMED")
rcall("PEXPIRE", KEYS[2], ARGV[2])
rcall("ZREM", KEYS[3], ARGV[1])
return 1
