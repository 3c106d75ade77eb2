-- A mail no rule matches is accepted at end of headers: the MTA never
-- sends its body.
dofile(dir .. "/common.lua")
local conn = mm_connect()
mm_envelope(conn, "<someone@example.com>", "<j.doe@acme.example>")
mm_header(conn, "From", "someone@example.com")
mm_header(conn, "Subject", "[INC-1] resolved")
if mt.eoh(conn) ~= nil then error("eoh failed") end
if mt.getreply(conn) ~= SMFIR_ACCEPT then
	error("non-closure mail was not accepted at end of headers")
end
mt.disconnect(conn)
