-- An abort in the middle of a message, then a fresh message on the same
-- connection: the second is handled as if the first never happened.
dofile(dir .. "/common.lua")
local conn = mm_connect()
mm_envelope(conn, "<servicedesk@example.com>", "<j.doe@acme.example>")
mm_closure_headers(conn, "INC-200")
if mt.eoh(conn) ~= nil then error("eoh failed") end
mt.bodystring(conn, "half a bo")
if mt.abort(conn) ~= nil then error("abort failed") end
mm_envelope(conn, "<servicedesk@example.com>", "<j.doe@acme.example>")
mm_closure_headers(conn, "INC-201")
if mt.eoh(conn) ~= nil then error("eoh failed") end
mt.bodystring(conn, "Second message.\r\n")
if mt.eom(conn) ~= nil then error("eom failed") end
if not mt.eom_check(conn, MT_BODYCHANGE) then
	error("second message after abort was not rewritten")
end
mt.disconnect(conn)
