-- Sets the status marker only when it exists (a missing marker means the state was lost
-- and must be rebuilt first). KEYS: 1 state marker. ARGV: 1 status. Returns 1 | 0.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
