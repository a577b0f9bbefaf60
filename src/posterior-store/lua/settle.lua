-- Acknowledges and deletes stored stream entries of one experiment, and counts into the live
-- state the stored events it does not count yet: those queued before the state was written
-- (entry id at or below the fence f) whose event-store row was not part of the state's base
-- (row id above m) — an event a rebuild could not see (still on its way, or read by a
-- consumer before Redis lost its memory). Runs while the event store's lock of the experiment
-- is held, so no rebuild reads the event log between this event's insert and this count.
-- When the state is present but its fence (or a counter named) is missing, the marker is
-- removed: what the state counts is unknown, and the next request rebuilds it from the log.
--
-- The caller names the fence it assumes and details only the events queued at or below it
-- (after the first call, almost always none: entries queued after a rebuild are above its
-- fence, so a batch costs no row ids and no per-event arguments). When the fence is not the
-- assumed one, nothing is done and the reply names it: the caller details the events at or
-- below it and calls again.
-- KEYS: 1 stream, 2 fence, 3 state marker, then per arm slot j (0-based): alpha, beta, pulls, rewards
-- ARGV: 1 group, 2 assumed fence ('' for none), 3 n (entry ids), 4..3+n entry ids, then per
-- detailed event: entry id, row id, arm slot, kind ('s' select | 'r' reward), reward, 1 - reward
-- Returns {1, fence} once done, {0, fence} when the assumed fence was not the state's.
local function parse(id)
  local d = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, d - 1)), tonumber(string.sub(id, d + 1))
end
local function le(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am < bm or (am == bm and as <= bs)
end
local n = tonumber(ARGV[3])
local f = ''
if redis.call('EXISTS', KEYS[3]) == 1 then
  local fence = redis.call('HMGET', KEYS[2], 'f', 'm')
  local complete = fence[1] ~= false and fence[2] ~= false
  if complete and #KEYS > 3 then complete = redis.call('EXISTS', unpack(KEYS, 4)) == #KEYS - 3 end
  if not complete then
    redis.call('DEL', KEYS[3])
  else
    f = fence[1]
    if f ~= ARGV[2] then return {0, f} end
    local m = tonumber(fence[2])
    local seen = {}
    for i = 4 + n, #ARGV, 6 do
      local row = tonumber(ARGV[i + 1])
      if row > m and not seen[row] and le(ARGV[i], f) then
        seen[row] = true
        local base = 3 + tonumber(ARGV[i + 2]) * 4
        if ARGV[i + 3] == 's' then
          redis.call('INCR', KEYS[base + 3])
        else
          redis.call('INCRBYFLOAT', KEYS[base + 1], ARGV[i + 4])
          redis.call('INCRBYFLOAT', KEYS[base + 2], ARGV[i + 5])
          redis.call('INCRBYFLOAT', KEYS[base + 4], ARGV[i + 4])
        end
      end
    end
  end
end
if n > 0 then
  local ids = {}
  for i = 4, 3 + n do ids[#ids + 1] = ARGV[i] end
  redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
  redis.call('XDEL', KEYS[1], unpack(ids))
end
return {1, f}
