-- wrk: POST /dashboards with a 2 KB body of realistic tiles.
local tiles = {}
for i = 1, 10 do
  tiles[#tiles + 1] = string.format(
    '{"i":"tile-%d","x":%d,"y":%d,"w":6,"h":5,"query":"total sales by month %d",' ..
    '"title":"Sales by month %d","displayType":"column",' ..
    '"dataConfig":{"stringColumnIndex":0,"numberColumnIndices":[1]}}', i, i % 2 * 6, i, i, i)
end
wrk.method = "POST"
wrk.body = '{"project_id":"bench","user_id":"writer","name":"Bench dashboard","data":[' ..
           table.concat(tiles, ",") .. ']}'
wrk.headers["Content-Type"] = "application/json"
