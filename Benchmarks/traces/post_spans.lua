-- wrk script: POSTs the batch template in $BATCH_FILE, stamping each request with a new
-- trace ID high part, a timestamp and a customer.id, so every request stores new traces.
-- BATCH_FORMAT is json or proto.
local format = os.getenv("BATCH_FORMAT") or "json"
local batch_file = os.getenv("BATCH_FILE")
local base_us = tonumber(os.getenv("BASE_US"))
thread_id = 0  -- set per thread by setup()
local counter = 0
local pieces = {}
local kinds = {}

local function read_all(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

local markers
if format == "json" then
  markers = { {"TRACEHIGHXXXXXXX", "trace"}, {"TRACELOWXXXXXXX", "tracelow"}, {"1234567890123456", "ts"},
              {"CUSTOMERXXXXXXXX", "customer"} }
else
  markers = { {string.char(0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8), "trace"},
              {string.char(0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7), "tracelow"},
              {string.char(0xC0, 0xBA, 0x8A, 0x3C, 0xD5, 0x62, 0x04, 0x00), "ts"},
              {"CUSTOMERXXXXXXXX", "customer"} }
end

-- Splits the template once into literal pieces and marker slots.
local function split(template)
  local position = 1
  while true do
    local best, best_kind, best_len = nil, nil, nil
    for _, m in ipairs(markers) do
      local s = string.find(template, m[1], position, true)
      if s and (not best or s < best) then best, best_kind, best_len = s, m[2], #m[1] end
    end
    if not best then
      table.insert(pieces, string.sub(template, position))
      table.insert(kinds, false)
      return
    end
    table.insert(pieces, string.sub(template, position, best - 1))
    table.insert(kinds, false)
    table.insert(pieces, "")
    table.insert(kinds, best_kind)
    position = best + best_len
  end
end

local function be64(n)
  local bytes = {}
  for i = 8, 1, -1 do
    bytes[i] = string.char(n % 256)
    n = math.floor(n / 256)
  end
  return table.concat(bytes)
end

local function le64(n)
  local bytes = {}
  for i = 1, 8 do
    bytes[i] = string.char(n % 256)
    n = math.floor(n / 256)
  end
  return table.concat(bytes)
end

local next_thread = 0
function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_id", next_thread)
end

function init(args)
  split(read_all(batch_file))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = format == "json" and "application/json" or "application/x-protobuf"
end

function request()
  counter = counter + 1
  local id = thread_id * 1000000000 + counter
  local ts = base_us + counter * 1000
  local out = {}
  for i, piece in ipairs(pieces) do
    local kind = kinds[i]
    if kind == "trace" then
      out[i] = format == "json" and string.format("%016x", id) or be64(id)
    elseif kind == "tracelow" then
      -- 60 bits of the low half: the request ID; the trace index supplies the last 4 (JSON) or 8 (proto) bits.
      out[i] = format == "json" and string.format("%015x", id) or string.sub(be64(id), 2)
    elseif kind == "ts" then
      out[i] = format == "json" and string.format("%d", ts) or le64(ts)
    elseif kind == "customer" then
      out[i] = string.format("%016x", id)
    else
      out[i] = piece
    end
  end
  return wrk.format(nil, "/api/v2/spans", nil, table.concat(out))
end

function response(status, headers, body)
  if status ~= 202 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end
