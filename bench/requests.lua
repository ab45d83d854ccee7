-- wrk script for bench/web.py: each request is drawn at random from a file of prepared
-- requests, one per line: METHOD <tab> PATH <tab> SESSION COOKIE <tab> FORM BODY.
-- Usage: wrk -s bench/requests.lua http://127.0.0.1:PORT -- FILE COOKIE_NAME
-- A body's "__N__" becomes a number that grows with every request, so a form sent again
-- (an answer edited) really changes what is stored rather than being a no-op.
local requests = {}
local counter = 0

function init(args)
  local cookie_name = args[2] or "aktorskab_session"
  for line in io.lines(args[1]) do
    local method, path, cookie, body = line:match("^(%u+)\t([^\t]+)\t([^\t]*)\t(.*)$")
    local headers = {}
    if cookie ~= "" then headers["Cookie"] = cookie_name .. "=" .. cookie end
    if body == "" then
      body = nil
    else
      headers["Content-Type"] = "application/x-www-form-urlencoded"
    end
    if body ~= nil and body:find("__N__", 1, true) then
      requests[#requests + 1] = {method = method, path = path, headers = headers, body = body}
    else
      requests[#requests + 1] = wrk.format(method, path, headers, body)
    end
  end
  -- A different sequence in each thread (and different numbers for "__N__").
  local seed = os.time() + tonumber(tostring(requests):match("0x(%x+)") or "0", 16) % 100000
  math.randomseed(seed)
  counter = seed * 1000
end

function request()
  local r = requests[math.random(#requests)]
  if type(r) == "string" then return r end
  counter = counter + 1
  return wrk.format(r.method, r.path, r.headers, (r.body:gsub("__N__", tostring(counter))))
end
