-- wrk script for bench/serve.ts: POSTs real emails, rotating through every body of $BENCH_BODIES
-- (one JSON body per line), with the bearer credential, and prints a JSON summary on one line.
-- Requests are formatted once in init(), so the per-request Lua cost is a table lookup.
-- No response() callback: defining one makes wrk hand every response to Lua; non-2xx answers are
-- counted by wrk itself (summary.errors.status counts status > 399; the server sends no 3xx here).
local bodies_file = os.getenv("BENCH_BODIES")
local token = os.getenv("BENCH_TOKEN")
local path = os.getenv("BENCH_PATH") or "/v1/models/spam-filter/predict"
local prepared = {}
local i = 0

function init(args)
  local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
  for line in io.lines(bodies_file) do
    if #line > 0 then prepared[#prepared + 1] = wrk.format("POST", path, headers, line) end
  end
  i = math.random(#prepared)
end

function request()
  i = i % #prepared + 1
  return prepared[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
