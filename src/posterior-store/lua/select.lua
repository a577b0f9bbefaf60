-- Records one served decision: the decision key (expires), the arm's pull count and the
-- select event on the experiment's stream, atomically. Idempotent per request (the
-- decision id is random per request).
-- KEYS: 1 state marker, 2 decision, 3 pulls of the arm, 4 event stream, 5 sticky units hash,
--       6 (optional) request key: one decision per key ('<decision id>|<arm>|<propensity>', expires with it)
-- ARGV: 1 arm, 2 propensity, 3 ttl seconds, 4 decision id, 5 unit id ('' = none),
--       6 time (ms), 7 sticky ('1' | '0'), 8 the status the arm was chosen under ('' = any),
--       9 (optional) deadline of the conversion window (ms): the decision joins the set of
--         open decisions, the last key, by deadline (member: the decision's key suffix),
--       10 (optional) '1': a holdout decision (served uniformly at random, kept out of the
--         posterior): no pull counted, the decision is 'h|…' and its event type 'hs'
local holdout = ARGV[10] == '1'
local reqk = KEYS[6]
local open = nil
if ARGV[9] and ARGV[9] ~= '' then
  open = KEYS[#KEYS]
  if #KEYS == 6 then reqk = nil end
end
local st = redis.call('GET', KEYS[1])
if not st then return {'missing'} end
if st == 'stopped' then return {'stopped'} end
if st == 'paused' then return {'paused'} end
if ARGV[8] ~= '' and ARGV[8] ~= st then return {'status', st} end
-- the pull count evicted alone: rebuild first, never count from 0
if redis.call('EXISTS', KEYS[3]) == 0 then return {'missing'} end
-- a request key (e.g. a Seldon puid) already bound to a decision: answer that decision
if reqk then
  local bound = redis.call('GET', reqk)
  if bound then
    local s1 = string.find(bound, '|', 1, true)
    local s2 = string.find(bound, '|', s1 + 1, true)
    return {'recorded', string.sub(bound, s1 + 1, s2 - 1), string.sub(bound, s2 + 1), string.sub(bound, 1, s1 - 1)}
  end
end
-- the same request again (ioredis re-sends a script whose reply a connection reset lost):
-- the decision exists already, so answer what was recorded and record nothing more
local seen = redis.call('GET', KEYS[2])
if seen then
  local sep = string.find(seen, '|', 3, true)
  return {'recorded', ARGV[1], string.sub(seen, 3, sep - 1)}
end
local arm = ARGV[1]
local prop = ARGV[2]
if ARGV[7] == '1' then
  local prev = redis.call('HGET', KEYS[5], ARGV[5])
  if prev then
    local sep = string.find(prev, '|', 1, true)
    local parm = string.sub(prev, 1, sep - 1)
    local pprop = string.sub(prev, sep + 1)
    if parm ~= arm then return {'sticky', parm, pprop} end
    prop = pprop
  else
    redis.call('HSET', KEYS[5], ARGV[5], arm .. '|' .. prop)
    -- retention: the assignments expire one decision TTL after the last new unit
    redis.call('EXPIRE', KEYS[5], ARGV[3])
  end
end
redis.call('SET', KEYS[2], (holdout and 'h|' or 's|') .. prop .. '|' .. ARGV[5], 'EX', ARGV[3])
if not holdout then redis.call('INCR', KEYS[3]) end
if reqk then redis.call('SET', reqk, ARGV[4] .. '|' .. arm .. '|' .. prop, 'EX', ARGV[3]) end
if open then redis.call('ZADD', open, ARGV[9], string.match(KEYS[2], ':d:(.*)$')) end
redis.call('XADD', KEYS[4], '*', 't', holdout and 'hs' or 's', 'd', ARGV[4], 'a', arm, 'p', prop, 'u', ARGV[5], 'ts', ARGV[6])
return {'recorded', arm, prop}
