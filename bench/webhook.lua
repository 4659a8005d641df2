-- wrk: signed POST /webhooks/autoql, each request a new notification_id, replayed from
-- the file that make_webhooks wrote (path in WEBHOOKS_FILE). Threads take disjoint lines.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  local n = 0
  local total = tonumber(os.getenv("WRK_THREADS") or "2")
  for line in io.lines(os.getenv("WEBHOOKS_FILE")) do
    if n % total == id then
      local timestamp, signature, body = line:match("^([^\t]+)\t([^\t]+)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", "/webhooks/autoql", {
        ["Content-Type"] = "application/json",
        ["AutoQL-Timestamp"] = timestamp,
        ["AutoQL-Signature"] = signature,
      }, body)
    end
    n = n + 1
  end
  index = 0
end

function request()
  index = index % #requests + 1
  return requests[index]
end
