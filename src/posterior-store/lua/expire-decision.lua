-- Closes the conversion window of one open decision whose deadline passed: claims it
-- (removes it from the open set — whoever removes it counts it, so with many replicas
-- sweeping it is counted exactly once), then counts the default reward exactly like a
-- reward (α, β, reward sum, decision marked, reward event on the stream), atomically.
-- KEYS: 1 state marker, 2 open decisions by deadline, 3 decision, 4 alpha, 5 beta,
--       6 reward sum, 7 event stream
-- ARGV: 1 member (decision key suffix), 2 now (ms), 3 default reward, 4 1 - default reward,
--       5 decision id, 6 arm
-- Returns 'gone' (claimed elsewhere, or rewarded) | 'open' | 'missing' | 'stopped' | 'counted'.
local deadline = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not deadline then return 'gone' end
if tonumber(deadline) > tonumber(ARGV[2]) then return 'open' end
local st = redis.call('GET', KEYS[1])
if not st then return 'missing' end
if st == 'stopped' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 'stopped'
end
-- a counter evicted alone: rebuild first, never count from 0
if redis.call('EXISTS', KEYS[4], KEYS[5], KEYS[6]) < 3 then return 'missing' end
redis.call('ZREM', KEYS[2], ARGV[1])
local d = redis.call('GET', KEYS[3])
if not d then return 'gone' end
local holdout = string.sub(d, 1, 2) == 'h|'
if not holdout and string.sub(d, 1, 2) ~= 's|' then return 'gone' end
local sep = string.find(d, '|', 3, true)
local prop = string.sub(d, 3, sep - 1)
local unit = string.sub(d, sep + 1)
if not holdout then
  redis.call('INCRBYFLOAT', KEYS[4], ARGV[3])
  redis.call('INCRBYFLOAT', KEYS[5], ARGV[4])
  redis.call('INCRBYFLOAT', KEYS[6], ARGV[3])
end
redis.call('SET', KEYS[3], 'w|' .. ARGV[3] .. '|' .. ARGV[2], 'KEEPTTL')
redis.call('XADD', KEYS[7], '*', 't', holdout and 'hr' or 'r', 'd', ARGV[5], 'a', ARGV[6], 'p', prop, 'r', ARGV[3], 'u', unit, 'ts', ARGV[2])
return 'counted'
