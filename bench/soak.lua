-- wrk script for scripts/soak: a mixed load of reads, writes and webhooks at a modest
-- rate (each connection waits DELAY_MS between requests), counting answers by status
-- class. done() prints one line for the soak script:
--   soak-counts <requests> <2xx> <3xx> <4xx> <5xx> <socket errors>
-- Paths of the seeded data come from the environment: NOTIFICATION_PATH, LIST_PATH,
-- FEED_PATH, SUMMARY_PATH, DASHBOARD_PATH, STATE_PATH; webhooks from WEBHOOKS_FILE.
dofile(os.getenv("BENCH_DIR") .. "/webhook.lua")
local webhook_setup = setup
local webhook_init = init
local webhook_request = request

local all_threads = {}

function setup(thread)
  webhook_setup(thread)
  table.insert(all_threads, thread)
end

local json = { ["Content-Type"] = "application/json" }

function init(args)
  webhook_init(args)
  local tiles = '[{"i":"a","x":0,"y":0,"w":6,"h":5,"query":"total sales","title":"Sales"}]'
  -- One turn of the mix: five reads, three writes, two webhooks.
  steps = {
    wrk.format("GET", os.getenv("NOTIFICATION_PATH")),
    wrk.format("GET", os.getenv("LIST_PATH")),
    wrk.format("GET", os.getenv("FEED_PATH")),
    wrk.format("GET", os.getenv("SUMMARY_PATH")),
    wrk.format("GET", os.getenv("DASHBOARD_PATH")),
    wrk.format("POST", "/dashboards", json,
      '{"project_id":"soak","user_id":"writer","name":"Soak","data":' .. tiles .. '}'),
    wrk.format("PUT", os.getenv("DASHBOARD_PATH"), json,
      '{"name":"Soak edited","data":' .. tiles .. '}'),
    wrk.format("PUT", os.getenv("STATE_PATH"), json, '{"state":"ACKNOWLEDGED"}'),
    "webhook",
    "webhook",
  }
  turn = 0
  delay_ms = tonumber(os.getenv("DELAY_MS") or "20")
  counts = { [2] = 0, [3] = 0, [4] = 0, [5] = 0 }
end

function request()
  turn = turn % #steps + 1
  if steps[turn] == "webhook" then
    return webhook_request()
  end
  return steps[turn]
end

-- Not flat out: the soak is about staying healthy over time, not throughput.
function delay()
  return delay_ms
end

function response(status, headers, body)
  local class = math.floor(status / 100)
  counts[class] = (counts[class] or 0) + 1
end

function done(summary, latency, requests)
  local totals = { [2] = 0, [3] = 0, [4] = 0, [5] = 0 }
  for _, thread in ipairs(all_threads) do
    local counted = thread:get("counts")
    for class, n in pairs(counted) do
      totals[class] = (totals[class] or 0) + n
    end
  end
  local errors = summary.errors
  local socket_errors = errors.connect + errors.read + errors.write + errors.timeout
  io.write(string.format("soak-counts %d %d %d %d %d %d\n", summary.requests, totals[2],
    totals[3], totals[4], totals[5], socket_errors))
end
