#!/bin/sh
# A mapped CSV import of N limit readings into a fresh SQLite file, timed (a script, not a test).
#   sh bench/imports.sh 2000 20000        (from the repository root; prints one line per N)
# Each N: a new database, one facility, a limits mapping, a CSV of N readings a minute apart,
# then `loanwatch import` timed by the shell; the database and CSV go in a temporary folder.
set -eu
LW="${LOANWATCH:-.venv/bin/loanwatch}"
for n in "$@"; do
    dir=$(mktemp -d)
    db="sqlite:///$dir/bench.db"
    "$LW" --database-url "$db" db upgrade >/dev/null
    "$LW" --database-url "$db" facility add bench --platform jiebei --limit 300,000 \
        --daily-rate 0.04% >/dev/null
    "$LW" --database-url "$db" mapping add lim --kind limits \
        --columns "observed_at=时间,limit=额度,available=可用" >/dev/null
    python3 -c "
import datetime as d, sys
n = int(sys.argv[1]); t = d.datetime(2020, 1, 1)
print('时间,额度,可用')
for i in range(n):
    print(f\"{(t + d.timedelta(minutes=i)):%Y-%m-%d %H:%M},300000,250000\")
" "$n" >"$dir/r.csv"
    start=$(date +%s.%N)
    "$LW" --database-url "$db" import "$dir/r.csv" --facility bench --mapping lim | tail -1
    end=$(date +%s.%N)
    echo "$n rows: $(echo "$end - $start" | bc) s"
    rm -rf "$dir"
done
