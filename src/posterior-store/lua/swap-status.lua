-- Compare-and-set of the status marker between 'running' and 'paused' (pause, resume).
-- KEYS: 1 state marker. ARGV: 1 expected status, 2 new status.
-- Returns 'missing' | 'same' (already the new one) | 'mismatch' (another status) | 'changed'.
local cur = redis.call('GET', KEYS[1])
if not cur then return 'missing' end
if cur == ARGV[2] then return 'same' end
if cur ~= ARGV[1] then return 'mismatch' end
redis.call('SET', KEYS[1], ARGV[2])
return 'changed'
