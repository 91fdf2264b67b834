-- The request mix for benchmarks/gateway.py: wrk drives a forward proxy.
--
--   wrk -t2 -c20 -d10s --latency -s mix.lua http://127.0.0.1:PROXY_PORT/ -- DATA_FILE SEED
--
-- DATA_FILE, written by gateway.py, has one entry a line:
--   U <base64 of user:password>   a proxy user (the Proxy-Authorization: Basic value)
--   A <host>                      an allowed host
--   B <host>                      a blocked host
--   S <share>                     the share of requests to allowed hosts (e.g. 0.8)
--   N <pool>                      requests built per thread, then sent round robin
-- Each thread builds its pool once, in init(), from its own seed: a random user and,
-- for exactly SHARE of the pool, a random allowed host, else a random blocked host;
-- the requests are in absolute form (GET http://host/ HTTP/1.1), as a browser sends
-- them to a proxy, so wrk's URL only says where the proxy is. Building the pool up
-- front keeps wrk's own cost per request to a table lookup.
-- done() prints one line, "WRKJSON {...}", that gateway.py reads.

local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local pool = {}
local size = 0
local i = 0

function init(args)
  local users, allowed, blocked = {}, {}, {}
  local share, wanted = 0.8, 20000
  for line in io.lines(args[1]) do
    local kind, value = line:match("^(%u) (%S+)$")
    if kind == "U" then table.insert(users, value)
    elseif kind == "A" then table.insert(allowed, value)
    elseif kind == "B" then table.insert(blocked, value)
    elseif kind == "S" then share = tonumber(value)
    elseif kind == "N" then wanted = tonumber(value)
    end
  end
  math.randomseed(tonumber(args[2] or "1") * 1000 + id)
  local allowed_count = math.floor(wanted * share + 0.5)
  for n = 1, wanted do
    local host
    if n <= allowed_count then
      host = allowed[math.random(#allowed)]
    else
      host = blocked[math.random(#blocked)]
    end
    local user = users[math.random(#users)]
    pool[n] = "GET http://" .. host .. "/ HTTP/1.1\r\nHost: " .. host ..
      "\r\nProxy-Authorization: Basic " .. user .. "\r\nUser-Agent: wrk\r\n\r\n"
  end
  -- Shuffle, so that allowed and blocked requests are interleaved.
  for n = wanted, 2, -1 do
    local k = math.random(n)
    pool[n], pool[k] = pool[k], pool[n]
  end
  size = wanted
  i = math.random(size) - 1
end

function request()
  i = i % size + 1
  return pool[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "p999": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max))
end
