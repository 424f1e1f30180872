-- wrk script: GET /schemas/ids/{id} with id uniformly random in 1..N.
-- Usage: wrk ... -s bench/get_by_id.lua URL -- N        (N defaults to 1000)

local ct = "application/vnd.schemaregistry.v1+json"
local threads = 0
local requests = {}

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  local n = tonumber(args[1]) or 1000
  math.randomseed(os.time() * 1000 + (tid or 0))
  local headers = { ["Content-Type"] = ct, ["Accept"] = ct }
  for i = 1, n do
    requests[i] = wrk.format("GET", "/schemas/ids/" .. i, headers)
  end
end

function request()
  return requests[math.random(#requests)]
end
