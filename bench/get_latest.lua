-- wrk script: GET /subjects/{s}/versions/{v} with s random among the lines of a file and v
-- "latest" unless given.
-- Usage: wrk ... -s bench/get_latest.lua URL -- SUBJECTS_FILE [VERSION]

local ct = "application/vnd.schemaregistry.v1+json"
local threads = 0
local requests = {}

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0))
  local headers = { ["Content-Type"] = ct, ["Accept"] = ct }
  local version = args[2] or "latest"
  for subject in io.lines(args[1]) do
    if subject ~= "" then
      requests[#requests + 1] =
        wrk.format("GET", "/subjects/" .. subject .. "/versions/" .. version, headers)
    end
  end
  assert(#requests > 0, "no subjects in " .. tostring(args[1]))
end

function request()
  return requests[math.random(#requests)]
end
