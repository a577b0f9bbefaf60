-- Writes an experiment's whole state: status marker and, per arm, α, β, pulls and reward
-- sum; makes sure the event stream and its consumer group exist.
-- ARGV[1]: 'if-missing' writes nothing when the marker and every counter exist (returns 0); 'overwrite'
-- (rebuild) replaces the counters but never moves the status back (running →
-- concluded → stopped); 'reset' (a new experiment) replaces everything.
-- KEYS: 1 state marker, 2 event stream, then per arm k: alpha, beta, pulls, rewards
-- ARGV: 1 mode, 2 status, 3 consumer group, then per arm: alpha, beta, pulls, rewards
--#include status-rank
local cur = redis.call('GET', KEYS[1])
-- 'if-missing': the state is missing when the marker or any counter key is (partial eviction)
if ARGV[1] == 'if-missing' and cur and redis.call('EXISTS', unpack(KEYS, 3)) == #KEYS - 2 then return 0 end
local n = (#KEYS - 2) / 4
for k = 0, n - 1 do
  for j = 1, 4 do
    redis.call('SET', KEYS[2 + k * 4 + j], ARGV[3 + k * 4 + j])
  end
end
pcall(redis.call, 'XGROUP', 'CREATE', KEYS[2], ARGV[3], '0', 'MKSTREAM')
if ARGV[1] == 'reset' or not cur or rank(ARGV[2]) > rank(cur) then redis.call('SET', KEYS[1], ARGV[2]) end
return 1
