-- wrk script for the click path: rotates pre-built requests (placement code, sku, client IP),
-- counts status codes per thread, and writes a JSON summary (incl. p50/p99) on exit.
--   WRK_PATHS=paths.tsv WRK_OUT=out.json WRK_HOST=bench.localhost \
--     wrk -t2 -c64 -d30s --latency -s bench/wrk/click.lua http://127.0.0.1:PORT
-- WRK_PATHS: one "path<TAB>ip" per line. WRK_OUT: the JSON summary. WRK_HOST: the Host header.
-- (Environment, not script arguments: done() runs where the arguments are not visible.)

local threads = {}
local thread_id = 0

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  local paths_file, host = os.getenv("WRK_PATHS"), os.getenv("WRK_HOST")
  requests = {}
  for line in io.lines(paths_file) do
    local path, ip = line:match("([^\t]+)\t([^\t]+)")
    requests[#requests + 1] = wrk.format("GET", path, {
      ["Host"] = host,
      ["X-Forwarded-For"] = ip,
      ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) bench/wrk",
    })
  end
  index = (id or 0) * 7919 % #requests
  counts = {}
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests_)
  local out = io.open(os.getenv("WRK_OUT"), "w")
  local statuses = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for status, n in pairs(c) do
      statuses[status] = (statuses[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(statuses) do
    parts[#parts + 1] = string.format('"%d": %d', status, n)
  end
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "max": %d, ' ..
    '"p50": %d, "p90": %d, "p99": %d, "p999": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), table.concat(parts, ", ")))
  out:close()
end
