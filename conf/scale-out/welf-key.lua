-- welfbridge scale-out (Kafka): the message key that makes all records of
-- one Airlock session, or of one request without a session, meet in one
-- partition and so in one welf instance. The key is the record's sess_id;
-- for requests without a session ("<n/a>", "-" or none) its req_id. The
-- line stays untouched: the key goes into its own field, welf_key.
local function field(line, name)
  -- A quote inside a JSON value is escaped (\"), so this matches keys only.
  return string.match(line, '"' .. name .. '"%s*:%s*"([^"]*)"')
end

function welf_key(tag, timestamp, record)
  local line = record["log"]
  if type(line) ~= "string" then
    return 0, timestamp, record
  end
  local key = field(line, "sess_id")
  if key == nil or key == "" or key == "<n/a>" or key == "-" then
    key = field(line, "req_id")
  end
  if key == nil or key == "" then
    return 0, timestamp, record
  end
  record["welf_key"] = key
  return 2, timestamp, record
end
