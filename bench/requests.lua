-- wrk script for bench/web.py: each request is drawn at random from a file of prepared
-- requests, one per line: METHOD <tab> PATH <tab> SESSION COOKIE <tab> FORM BODY.
-- Usage: wrk -s bench/requests.lua http://127.0.0.1:PORT -- FILE
local requests = {}

function init(args)
  for line in io.lines(args[1]) do
    local method, path, cookie, body = line:match("^(%u+)\t([^\t]+)\t([^\t]*)\t(.*)$")
    local headers = {}
    if cookie ~= "" then headers["Cookie"] = "session=" .. cookie end
    if body == "" then
      body = nil
    else
      headers["Content-Type"] = "application/x-www-form-urlencoded"
    end
    requests[#requests + 1] = wrk.format(method, path, headers, body)
  end
  -- A different sequence in each thread.
  math.randomseed(os.time() + tonumber(tostring(requests):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
  return requests[math.random(#requests)]
end
