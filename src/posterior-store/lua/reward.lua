-- Counts one reward: checks the decision exists and was not rewarded yet, adds the reward
-- to α and 1 - reward to β of its arm, marks the decision rewarded (keeping its expiry)
-- and appends the reward event to the experiment's stream, atomically.
-- KEYS: 1 state marker, 2 decision, 3 alpha, 4 beta, 5 reward sum, 6 event stream
-- ARGV: 1 reward, 2 1 - reward, 3 decision id, 4 arm, 5 time (ms), 6 request nonce
-- (a rewarded decision holds 'r|<reward>|<ms>|<nonce>'; one whose conversion window closed
-- unrewarded 'w|<default reward>|<ms>')
-- KEYS 7 (optional): the experiment's open decisions by window deadline; a reward after the
-- deadline is refused (window_closed), one inside it leaves the set
local st = redis.call('GET', KEYS[1])
if not st then return {'missing'} end
local d = redis.call('GET', KEYS[2])
if not d then return {'unknown'} end
if string.sub(d, 1, 2) == 'w|' then return {'window_closed'} end
if string.sub(d, 1, 2) == 'r|' then
  -- this very request again (ioredis re-sends a script whose reply a connection reset
  -- lost): answer as counted, count nothing more
  if d == 'r|' .. ARGV[1] .. '|' .. ARGV[5] .. '|' .. ARGV[6] then
    return {'counted', redis.call('GET', KEYS[3]), redis.call('GET', KEYS[4])}
  end
  return {'duplicate', d}
end
if st == 'stopped' then return {'stopped'} end
-- a counter evicted alone: rebuild first, never count from 0
if redis.call('EXISTS', KEYS[3], KEYS[4], KEYS[5]) < 3 then return {'missing'} end
local member = nil
if KEYS[7] then
  member = string.match(KEYS[2], ':d:(.*)$')
  local deadline = redis.call('ZSCORE', KEYS[7], member)
  if deadline and tonumber(deadline) <= tonumber(ARGV[5]) then return {'window_closed'} end
end
local sep = string.find(d, '|', 3, true)
local prop = string.sub(d, 3, sep - 1)
local unit = string.sub(d, sep + 1)
-- a holdout decision ('h|…') is kept out of the posterior: only its event is recorded
local holdout = string.sub(d, 1, 2) == 'h|'
local a, b
if holdout then
  a = redis.call('GET', KEYS[3])
  b = redis.call('GET', KEYS[4])
else
  a = redis.call('INCRBYFLOAT', KEYS[3], ARGV[1])
  b = redis.call('INCRBYFLOAT', KEYS[4], ARGV[2])
  redis.call('INCRBYFLOAT', KEYS[5], ARGV[1])
end
redis.call('SET', KEYS[2], 'r|' .. ARGV[1] .. '|' .. ARGV[5] .. '|' .. ARGV[6], 'KEEPTTL')
if member then redis.call('ZREM', KEYS[7], member) end
redis.call('XADD', KEYS[6], '*', 't', holdout and 'hr' or 'r', 'd', ARGV[3], 'a', ARGV[4], 'p', prop, 'r', ARGV[1], 'u', unit, 'ts', ARGV[5])
return {'counted', a, b}
