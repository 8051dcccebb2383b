-- Replays a request file (env REQUESTS), each line at most once across threads; the harness
-- runs 2 threads. When a thread runs out of lines it repeats its last request (the harness
-- makes files long enough for the run).
dofile(os.getenv("BENCH_DIR") .. "/wrk_common.lua")
local lines, i, step

local base_init = init
function init(args)
  base_init(args)
  lines = load_lines(os.getenv("REQUESTS"))
  i = id + 1
  step = 2
end

function request()
  local line = lines[math.min(i, #lines)]
  i = i + step
  return line_request(line)
end
