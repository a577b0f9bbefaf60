-- Order of the status machine: running 0 → concluded:<w> 1 → stopped 2 (never back).
local function rank(s)
  if s == 'stopped' then return 2 end
  if string.sub(s, 1, 10) == 'concluded:' then return 1 end
  return 0
end
