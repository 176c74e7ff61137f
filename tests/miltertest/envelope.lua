-- miltertest script (OpenDKIM's independent milter client): envelope decisions.
-- Run with: miltertest -D port=PORT -s tests/miltertest/envelope.lua
conn = mt.connect("inet:" .. port .. "@127.0.0.1", 20, 0.25)
if conn == nil then error("cannot connect to mailwarden") end
if mt.negotiate(conn, nil, nil, nil) ~= nil then error("negotiate failed") end

-- Message 1: a refused sender on the secure service.
mt.macro(conn, SMFIC_MAIL, "{daemon_name}", "secure-submission", "i", "MT0001")
if mt.mailfrom(conn, "<mallory@example.net>") ~= nil then error("mailfrom failed") end
if mt.getreply(conn) ~= SMFIR_REPLYCODE then error("secure sender not refused") end

-- Message 2: allowed sender, one recipient refused, one accepted, delivered.
mt.macro(conn, SMFIC_MAIL, "{daemon_name}", "secure-submission", "i", "MT0002")
if mt.mailfrom(conn, "<alice@example.org>") ~= nil then error("mailfrom failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("allowed sender refused") end
if mt.rcptto(conn, "<stranger@customer.example>") ~= nil then error("rcpt failed") end
if mt.getreply(conn) ~= SMFIR_REPLYCODE then error("unlisted recipient not refused") end
if mt.rcptto(conn, "<user@customer.example>") ~= nil then error("rcpt failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("listed recipient refused") end
if mt.data(conn) ~= nil then error("data failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("data not continued") end
if mt.eom(conn) ~= nil then error("eom failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("message not continued at eom") end

-- Message 3: aborted mid-way; the next one starts clean. (Macros persist per stage
-- until redefined, as in the protocol, so the service is named again.)
mt.macro(conn, SMFIC_MAIL, "{daemon_name}", "smtpd", "i", "MT0003")
if mt.mailfrom(conn, "<x@example.org>") ~= nil then error("mailfrom failed") end
if mt.abort(conn) ~= nil then error("abort failed") end
if mt.mailfrom(conn, "<>") ~= nil then error("mailfrom failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("null sender refused outside the secure service") end
mt.disconnect(conn)
mt.echo("miltertest: all checks passed")
