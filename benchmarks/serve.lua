-- wrk script of benchmarks/serve.py: GET wrk.path over and over, one connection per
-- wrk thread, so that each thread is one reader with its own validator.
--
--   wrk ... -s serve.lua URL -- full|conditional identity|gzip [ETAG]
--
-- "conditional" sends If-None-Match with the ETag this reader saw last (ETAG at the
-- start): a feed changed since then answers 200 with its new ETag, then 304 again.
-- done() prints one line of JSON: requests, duration, errors, latency percentiles
-- (microseconds) and the statuses seen, summed over the threads.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

local function build_request()
   local headers = { ["Accept-Encoding"] = coding }
   if conditional and etag ~= nil and etag ~= "" then
      headers["If-None-Match"] = etag
   end
   return wrk.format("GET", wrk.path, headers)
end

function init(args)
   conditional = args[1] == "conditional"
   coding = args[2] or "identity"
   etag = args[3]
   counts = {}
   -- The request only changes with the ETag: build it then, not per request.
   prepared = build_request()
end

function request()
   return prepared
end

function response(status, headers, body)
   counts[status] = (counts[status] or 0) + 1
   local tag = headers["etag"] or headers["ETag"]
   if conditional and tag ~= nil and tag ~= etag then
      etag = tag
      prepared = build_request()
   end
end

function done(summary, latency, requests)
   local totals = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("counts")) do
         totals[status] = (totals[status] or 0) + n
      end
   end
   local statuses = {}
   for status, n in pairs(totals) do
      statuses[#statuses + 1] = string.format('"%d": %d', status, n)
   end
   local errors = summary.errors
   local percentiles = {}
   for _, p in ipairs({ 50, 90, 99, 99.9 }) do
      percentiles[#percentiles + 1] = string.format('"%s": %d', p, latency:percentile(p))
   end
   io.write(string.format(
      '{"requests": %d, "duration_us": %d, "bytes": %d, '
         .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
         .. '"latency_us": {"mean": %.1f, "max": %d, %s}, "statuses": {%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout,
      latency.mean, latency.max, table.concat(percentiles, ", "), table.concat(statuses, ", ")
   ))
end
