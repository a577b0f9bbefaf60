-- Advances the status marker along running → concluded:<w> → stopped, never back: a
-- status of a lower or equal rank than the stored one changes nothing (a stop wins over a
-- conclusion that lands later; the first winner stays). Nothing is written when the
-- marker is missing (the state was lost and must be rebuilt first).
-- KEYS: 1 state marker. ARGV: 1 status. Returns 0 (missing) | 1, and the stored status.
--#include status-rank
local cur = redis.call('GET', KEYS[1])
if not cur then return {0, ''} end
if rank(ARGV[1]) > rank(cur) then
  redis.call('SET', KEYS[1], ARGV[1])
  cur = ARGV[1]
end
return {1, cur}
