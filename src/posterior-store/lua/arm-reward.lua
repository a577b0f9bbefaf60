-- Counts one reward on an arm without a decision (a feedback that names the arm it was
-- routed to but no decision this service issued): checks the feedback was not counted yet,
-- adds the reward to α and 1 - reward to β of the arm, marks the feedback counted (with an
-- expiry) and appends a reward event with an unknown propensity (0), atomically.
-- KEYS: 1 state marker, 2 feedback marker, 3 alpha, 4 beta, 5 reward sum, 6 event stream
-- ARGV: 1 reward, 2 1 - reward, 3 event id, 4 arm, 5 time (ms), 6 ttl (s)
local st = redis.call('GET', KEYS[1])
if not st then return {'missing'} end
local seen = redis.call('GET', KEYS[2])
if seen then return {'duplicate', seen} end
if st == 'stopped' then return {'stopped'} end
-- a counter evicted alone: rebuild first, never count from 0
if redis.call('EXISTS', KEYS[3], KEYS[4], KEYS[5]) < 3 then return {'missing'} end
local a = redis.call('INCRBYFLOAT', KEYS[3], ARGV[1])
local b = redis.call('INCRBYFLOAT', KEYS[4], ARGV[2])
redis.call('INCRBYFLOAT', KEYS[5], ARGV[1])
redis.call('SET', KEYS[2], 'r|' .. ARGV[1] .. '|' .. ARGV[5] .. '|' .. ARGV[4], 'EX', ARGV[6])
redis.call('XADD', KEYS[6], '*', 't', 'r', 'd', ARGV[3], 'a', ARGV[4], 'p', '0', 'r', ARGV[1], 'u', '', 'ts', ARGV[5])
return {'counted', a, b}
