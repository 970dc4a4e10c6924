--[[
  Sets a product's units on hand (available + reserved). Applied as the delta PostgreSQL
  computed under its row lock, so it commutes with a confirm or release whose PostgreSQL
  half is still in flight; absolute when Redis does not know the product yet.

  Input:
    KEYS[1] available hash
    KEYS[2] reserved hash
    ARGV[1] product id
    ARGV[2] new on hand (absolute)
    ARGV[3] delta to apply to available, or "" to use the absolute value

  Output: {code, reserved}
     1 set
    -1 refused: fewer units than are held (STOCK_HELD)
]]
local rcall = redis.call

local reserved = tonumber(rcall("HGET", KEYS[2], ARGV[1]) or "0")
local available = rcall("HGET", KEYS[1], ARGV[1])
local nextAvailable
if available and ARGV[3] ~= "" then
  nextAvailable = tonumber(available) + tonumber(ARGV[3])
else
  nextAvailable = tonumber(ARGV[2]) - reserved
end
if nextAvailable < 0 then
  return {-1, reserved}
end
rcall("HSET", KEYS[1], ARGV[1], nextAvailable)
return {1, reserved}
