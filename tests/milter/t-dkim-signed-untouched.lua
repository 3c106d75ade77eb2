-- A closure mail that already carries a DKIM signature passes unchanged:
-- changing it would break the signature.
dofile(dir .. "/common.lua")
local conn = mm_connect()
mm_envelope(conn, "<servicedesk@example.com>", "<j.doe@acme.example>")
mm_header(conn, "DKIM-Signature", "v=1; a=rsa-sha256; d=example.com; s=s1; b=abc")
mm_closure_headers(conn, "INC-400")
if mt.eoh(conn) ~= nil then error("eoh failed") end
mt.bodystring(conn, "Signed body.\r\n")
if mt.eom(conn) ~= nil then error("eom failed") end
if mt.eom_check(conn, MT_BODYCHANGE) then
	error("a DKIM-signed mail was changed")
end
mt.disconnect(conn)
