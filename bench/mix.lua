-- wrk: a mix of the four scenarios in turn: read a notification, list dashboards, create a
-- dashboard, deliver a webhook. NOTIFICATION_PATH and LIST_PATH come from the environment.
dofile(os.getenv("BENCH_DIR") .. "/webhook.lua")
local webhook_request = request
local webhook_init = init

local tiles = '[{"i":"a","x":0,"y":0,"w":6,"h":5,"query":"total sales","title":"Sales"}]'
local post = wrk.format("POST", "/dashboards", {["Content-Type"] = "application/json"},
  '{"project_id":"bench","user_id":"mixer","name":"Mixed","data":' .. tiles .. '}')

function init(args)
  webhook_init(args)
  reads = {
    wrk.format("GET", os.getenv("NOTIFICATION_PATH")),
    wrk.format("GET", os.getenv("LIST_PATH")),
  }
  turn = 0
end

function request()
  turn = turn + 1
  local step = turn % 4
  if step == 0 then return reads[1] end
  if step == 1 then return reads[2] end
  if step == 2 then return post end
  return webhook_request()
end
