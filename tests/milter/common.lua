-- Shared by the t-*.lua scripts: connect to the milter under test (the
-- socket comes from -D sock=...) and send one closure-mail envelope.
function mm_connect()
	local conn = mt.connect(sock, 40, 0.25)
	if conn == nil then error("cannot connect to " .. sock) end
	if mt.conninfo(conn, "localhost", "127.0.0.1") ~= nil then
		error("conninfo failed")
	end
	if mt.getreply(conn) ~= SMFIR_CONTINUE then error("conninfo reply") end
	return conn
end

function mm_envelope(conn, from, rcpt)
	mt.macro(conn, SMFIC_MAIL, "i", "MT" .. tostring(os.time()))
	if mt.mailfrom(conn, from) ~= nil then error("mailfrom failed") end
	if mt.getreply(conn) ~= SMFIR_CONTINUE then error("mailfrom reply") end
	if mt.rcptto(conn, rcpt) ~= nil then error("rcptto failed") end
	if mt.getreply(conn) ~= SMFIR_CONTINUE then error("rcptto reply") end
end

function mm_header(conn, name, value)
	if mt.header(conn, name, value) ~= nil then error("header failed") end
	if mt.getreply(conn) ~= SMFIR_CONTINUE then
		error("header " .. name .. ": unexpected reply")
	end
end

function mm_closure_headers(conn, ticket)
	mm_header(conn, "From", "Service Desk <servicedesk@example.com>")
	mm_header(conn, "To", "j.doe@acme.example")
	mm_header(conn, "Subject", "[" .. ticket .. "] Printer fixed: resolved")
	mm_header(conn, "Content-Type", "text/plain; charset=us-ascii")
end
