--[[
  Moves a held reservation's next sweep time (its order is paid: look again later).
  A reservation no longer held just leaves the index.

  Input:
    KEYS[1] reservation record hash
    KEYS[2] expiries zset
    ARGV[1] reservation id
    ARGV[2] next sweep time, ms

  Output: 1 deferred, 0 removed from the index (not held)
]]
local rcall = redis.call

if rcall("HGET", KEYS[1], "state") == "HELD" then
  rcall("ZADD", KEYS[2], ARGV[2], ARGV[1])
  return 1
end
rcall("ZREM", KEYS[2], ARGV[1])
return 0
