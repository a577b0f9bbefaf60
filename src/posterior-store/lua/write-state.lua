-- Writes an experiment's whole state: status marker and, per arm, α, β, pulls and reward
-- sum; makes sure the event stream and its consumer group exist; and records the state's
-- fence: which queued events it already counts (see settle.lua).
-- ARGV[1]: 'if-missing' writes nothing when the marker, the fence and every counter exist (returns 0); 'overwrite'
-- (rebuild) replaces the counters but never moves the status back (running →
-- concluded → stopped); 'reset' (a new experiment) replaces everything.
-- KEYS: 1 state marker, 2 event stream, 3 fence, then per arm k: alpha, beta, pulls, rewards
-- ARGV: 1 mode, 2 status, 3 consumer group, 4 base event id (the highest event-store row id
-- the counters include), then per arm: alpha, beta, pulls, rewards
--#include status-rank
local cur = redis.call('GET', KEYS[1])
-- 'if-missing': the state is missing when the marker or any counter key is (partial eviction)
if ARGV[1] == 'if-missing' and cur and redis.call('EXISTS', unpack(KEYS, 3)) == #KEYS - 2 then return 0 end
local n = (#KEYS - 3) / 4
for k = 0, n - 1 do
  for j = 1, 4 do
    redis.call('SET', KEYS[3 + k * 4 + j], ARGV[4 + k * 4 + j])
  end
end
pcall(redis.call, 'XGROUP', 'CREATE', KEYS[2], ARGV[3], '0', 'MKSTREAM')
-- the fence: every entry queued from now on gets an id above f (counted by these counters
-- as it is queued); an entry at or below f — queued before, or read from the stream before
-- Redis lost it — is counted here only if its row id is at most m.
local info = redis.call('XINFO', 'STREAM', KEYS[2])
local last = '0-0'
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then last = info[i + 1] end
end
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local lastMs = tonumber(string.sub(last, 1, string.find(last, '-', 1, true) - 1))
local f = last
if now > lastMs then
  f = string.format('%d-0', now)
  redis.call('XSETID', KEYS[2], f)
end
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], 'f', f, 'm', ARGV[4])
if ARGV[1] == 'reset' or not cur or rank(ARGV[2]) > rank(cur) then redis.call('SET', KEYS[1], ARGV[2]) end
return 1
