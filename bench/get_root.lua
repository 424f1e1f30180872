-- wrk script: GET / (answers {}), a reference for the cost of HTTP, loopback TCP and wrk.
-- Usage: wrk ... -s bench/get_root.lua URL

local ct = "application/vnd.schemaregistry.v1+json"
wrk.method = "GET"
wrk.path = "/"
wrk.headers["Content-Type"] = ct
wrk.headers["Accept"] = ct
