-- wrk: GET /r/TOKEN/LEVEL over many surveys (tests/bench/http/run.sh).
-- get-tokens: one token a line; survey n always gets level n % 4 + 1, so
-- a survey never sees several levels (that would be a scanner burst).
local threads = {}
function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

local paths, i = {}, 0
function init(args)
   local n = 0
   for tok in io.lines("get-tokens") do
      paths[#paths + 1] = "/r/" .. tok .. "/" .. (n % 4 + 1)
      n = n + 1
   end
   i = (id or 0) * 7919 -- threads start at different surveys
end

function request()
   i = i + 1
   return wrk.format("GET", paths[i % #paths + 1])
end
