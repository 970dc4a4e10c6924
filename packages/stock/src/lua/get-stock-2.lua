--[[
  Reads one product's counters in one atomic step (two HGETs could straddle a reserve).

  Input:
    KEYS[1] available hash
    KEYS[2] reserved hash
    ARGV[1] product id

  Output: {available, reserved}; available -1 when the product is unknown
]]
local available = redis.call("HGET", KEYS[1], ARGV[1])
local reserved = redis.call("HGET", KEYS[2], ARGV[1])
return {tonumber(available or "-1"), tonumber(reserved or "0")}
