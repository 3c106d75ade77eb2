-- SIGUSR1 (reload) in the middle of a connection does not drop it. This
-- script starts its own filter (mt.signal needs one started by miltertest).
dofile(dir .. "/common.lua")
mt.startfilter(milter, "-f", "-c", conf, "-p", sock2)
sock = sock2
local conn = mm_connect()
mm_envelope(conn, "<servicedesk@example.com>", "<j.doe@acme.example>")
mm_closure_headers(conn, "INC-500")
mt.signal(10) -- SIGUSR1 on Linux
mt.sleep(0.5)
if mt.eoh(conn) ~= nil then error("eoh failed") end
mt.bodystring(conn, "Body.\r\n")
if mt.eom(conn) ~= nil then error("eom failed after reload") end
if not mt.eom_check(conn, MT_BODYCHANGE) then error("not rewritten") end
mt.disconnect(conn)
