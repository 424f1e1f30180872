-- wrk script: POST a random line of a TSV file "subject<TAB>json-body" to a path template in
-- which "{s}" is replaced by the subject. Used for lookup (/subjects/{s}), re-registration
-- (/subjects/{s}/versions) and compatibility checks
-- (/compatibility/subjects/{s}/versions/latest). Requests are prebuilt in init().
-- Usage: wrk ... -s bench/post_file.lua URL -- FILE PATH_TEMPLATE

local ct = "application/vnd.schemaregistry.v1+json"
local threads = 0
local requests = {}

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  local file, template = args[1], args[2]
  assert(file and template, "usage: -- FILE PATH_TEMPLATE")
  math.randomseed(os.time() * 1000 + (tid or 0))
  local headers = { ["Content-Type"] = ct, ["Accept"] = ct }
  for line in io.lines(file) do
    local subject, body = line:match("^([^\t]+)\t(.+)$")
    if subject then
      local path = template:gsub("{s}", function() return subject end)
      requests[#requests + 1] = wrk.format("POST", path, headers, body)
    end
  end
  assert(#requests > 0, "no requests in " .. file)
end

function request()
  return requests[math.random(#requests)]
end
