#!/usr/bin/env bash
# Instructions per `/start`, counted by callgrind: a figure that does not drift with the machine
# (the load bench's wall-clock figures move by 10-20% between runs on a shared VM).
#
#   benches/load/callgrind.sh            # builds a release binary with symbols, prints Ir/update
#
# It runs `cargo bench --bench load` with the bot under `valgrind --tool=callgrind` (collection
# off), switches collection on 8 s into the `/start` scenario for 8 s, and divides the
# instructions of the whole bot process (user space; the kernel is not counted) by the calls
# of `views::render::summary`, which runs once per `/start`. Needs valgrind (Debian package).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }

target=target/callgrind
CARGO_TARGET_DIR=$target CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
  cargo build --release --bin erpnext-bot
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# vgdb (behind callgrind_control) names its pipes after USER and HOST: the same on both sides.
export USER="${USER:-$(id -un)}" HOST="${HOST:-$(hostname)}"
cat > "$work/bot" <<WRAP
#!/usr/bin/env bash
export USER="$USER" HOST="$HOST"
exec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$work/cg.%p.out $PWD/$target/release/erpnext-bot "\$@"
WRAP
chmod +x "$work/bot"

LOAD_BOT_BIN="$work/bot" LOAD_SECS=25 LOAD_WARMUP_SECS=1 cargo bench --bench load > "$work/bench.txt" 2>&1 &
bench=$!
pid=""
for _ in $(seq 1 1200); do
  pid=$(grep -o 'pid [0-9]*' "$work/bench.txt" 2>/dev/null | head -1 | cut -d' ' -f2 || true)
  [ -n "$pid" ] && break
  sleep 0.5
done
[ -n "$pid" ] || { cat "$work/bench.txt" >&2; exit 1; }
sleep 8
callgrind_control -i on "$pid" >/dev/null 2>&1
sleep 8
callgrind_control -i off "$pid" >/dev/null 2>&1
callgrind_control -d "$pid" >/dev/null 2>&1
wait "$bench" || true

python3 - "$work"/cg.*.out.1 <<'PY'
import re, sys
path = sys.argv[1]
names, total, calls, cfn = {}, 0, 0, None
for line in open(path, errors="replace"):
    if line.startswith(("summary:", "totals:")):
        total = int(line.split()[1])
    m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line)
    if m:
        kind, key, name = m.groups()
        if name:
            names[key] = name.strip()
        if kind == "cfn":
            cfn = names.get(key)
        continue
    if line.startswith("calls=") and cfn and cfn.endswith("views::render::summary"):
        calls += int(line.split("=")[1].split()[0])
if not calls:
    sys.exit("no /start was handled while collecting")
print(f"/start updates collected: {calls}; instructions: {total:,}; per update: {total // calls:,}")
PY
