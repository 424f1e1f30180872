-- wrk script: POST /subjects/{s}/versions with a schema never seen before on every request.
-- The record name embeds a per-run tag, the wrk thread number and a per-thread counter, so
-- every body is a distinct schema (a new id). Subjects rotate over "new-<tag>-<t>-<k>",
-- k in 0..SUBJECTS-1 per thread, so each subject gets a new version every SUBJECTS requests.
-- Needs compatibility NONE (or the records would be incompatible with each other: 409).
-- Usage: wrk ... -s bench/register_new.lua URL -- [TAG] [SUBJECTS]

local ct = "application/vnd.schemaregistry.v1+json"
local threads = 0
local headers = { ["Content-Type"] = ct, ["Accept"] = ct }
local counter = 0
local tag, nsubjects

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  tag = args[1] or tostring(os.time())
  nsubjects = tonumber(args[2]) or 100
end

function request()
  counter = counter + 1
  local name = "New_" .. tag .. "_t" .. tid .. "_n" .. counter
  -- The schema is a JSON string inside the JSON body, hence the escaped quotes.
  local body = '{"schema":"{\\"type\\":\\"record\\",\\"name\\":\\"' .. name ..
    '\\",\\"namespace\\":\\"bench.fresh\\",\\"fields\\":[' ..
    '{\\"name\\":\\"id\\",\\"type\\":\\"long\\"},' ..
    '{\\"name\\":\\"name\\",\\"type\\":\\"string\\"},' ..
    '{\\"name\\":\\"note\\",\\"type\\":[\\"null\\",\\"string\\"],\\"default\\":null}]}"}'
  local subject = "new-" .. tag .. "-" .. tid .. "-" .. (counter % nsubjects)
  return wrk.format("POST", "/subjects/" .. subject .. "/versions", headers, body)
end
