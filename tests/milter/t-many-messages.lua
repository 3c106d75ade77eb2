-- Many messages on one connection, closure and not, alternating.
dofile(dir .. "/common.lua")
local conn = mm_connect()
for i = 1, 50 do
	if i % 2 == 0 then
		mm_envelope(conn, "<servicedesk@example.com>", "<j.doe@acme.example>")
		mm_closure_headers(conn, "INC-" .. (300 + i))
		if mt.eoh(conn) ~= nil then error("eoh failed") end
		mt.bodystring(conn, "Message " .. i .. "\r\n")
		if mt.eom(conn) ~= nil then error("eom failed") end
		if not mt.eom_check(conn, MT_BODYCHANGE) then
			error("message " .. i .. " not rewritten")
		end
	else
		mm_envelope(conn, "<other@example.com>", "<j.doe@acme.example>")
		mm_header(conn, "From", "other@example.com")
		mm_header(conn, "Subject", "hello " .. i)
		if mt.eoh(conn) ~= nil then error("eoh failed") end
		if mt.getreply(conn) ~= SMFIR_ACCEPT then
			error("message " .. i .. " not accepted at eoh")
		end
	end
end
mt.disconnect(conn)
