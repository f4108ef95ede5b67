-- wrk script: one chat turn per request, each in a new session.
wrk.method = "POST"
wrk.body = '{"message":"Where do you live?","session_id":null}'
wrk.headers["Content-Type"] = "application/json"
-- THINK_MS=N: each connection waits N ms after each reply before its next request, so every
-- server is offered about the same load instead of as much as it can take.
local think = tonumber(os.getenv("THINK_MS") or "")
if think then
  function delay() return think end
end
