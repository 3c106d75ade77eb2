-- wrk: POST /r/TOKEN (level, csrf, via=button) over many surveys
-- (tests/bench/http/run.sh). post-tokens: "TOKEN CSRF" a line. Each pass
-- over the list moves every survey to the next level, so every POST
-- records a new rating (the old one becomes history; red queues an alert,
-- leaving red cancels it).
local threads = {}
function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

local toks, i, stride = {}, 0, 1
function init(args)
   for line in io.lines("post-tokens") do
      local tok, csrf = line:match("^(%S+) (%S+)$")
      toks[#toks + 1] = { "/r/" .. tok, csrf }
   end
   -- thread k takes surveys k, k+T, k+2T, ...: no two threads post to
   -- the same survey at once (a person does not either)
   i = id or 0
   stride = tonumber(os.getenv("WRK_THREADS") or "1")
end

-- wrk.format() takes these instead of wrk.headers: copy the -H ones in
local headers
function request()
   if not headers then
      headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
      for k, v in pairs(wrk.headers) do headers[k] = v end
   end
   local n = #toks
   local t = toks[i % n + 1]
   local level = math.floor(i / n) % 4 + 1
   i = i + stride
   return wrk.format("POST", t[1], headers,
      "level=" .. level .. "&csrf=" .. t[2] .. "&via=button")
end
