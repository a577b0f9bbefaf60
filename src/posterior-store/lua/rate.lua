-- One client's request counts of a sliding-minute limit (see src/http/rate-limit.ts): adds
-- ARGV[1] to this minute's bucket and reads it with the previous minute's.
-- KEYS: 1 this minute's bucket, 2 the previous minute's. ARGV: 1 requests admitted since the
-- last call, 2 bucket lifetime (ms). Returns {this minute, previous minute}.
local n = tonumber(ARGV[1])
local cur
if n > 0 then
  cur = redis.call('INCRBY', KEYS[1], n)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
else
  cur = tonumber(redis.call('GET', KEYS[1]) or '0')
end
return {cur, tonumber(redis.call('GET', KEYS[2]) or '0')}
