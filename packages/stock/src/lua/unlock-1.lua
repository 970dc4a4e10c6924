--[[
  Releases a lock only if this process still owns it.

  Input:
    KEYS[1] lock key
    ARGV[1] owner token

  Output: 1 released, 0 not the owner (expired or taken over)
]]
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0
