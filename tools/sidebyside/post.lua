-- wrk script: one chat turn per request, each in a new session.
wrk.method = "POST"
wrk.body = '{"message":"Where do you live?","session_id":null}'
wrk.headers["Content-Type"] = "application/json"
