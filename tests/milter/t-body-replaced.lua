-- A closure mail gets its body replaced with one that holds the links.
dofile(dir .. "/common.lua")
local conn = mm_connect()
mm_envelope(conn, "<servicedesk@example.com>", "<j.doe@acme.example>")
mm_closure_headers(conn, "INC-100")
if mt.eoh(conn) ~= nil then error("eoh failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then
	error("closure mail: eoh did not continue")
end
if mt.bodystring(conn, "Your printer works again.\r\n") ~= nil then
	error("body failed")
end
if mt.eom(conn) ~= nil then error("eom failed") end
if not mt.eom_check(conn, MT_BODYCHANGE) then
	error("body was not replaced")
end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("eom reply") end
mt.disconnect(conn)
