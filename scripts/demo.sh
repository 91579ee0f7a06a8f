#!/usr/bin/env bash
# README's first command: the main job, end to end, on a fresh machine.
#   1. installs what is missing, starts Kafka and PostgreSQL, builds;
#   2. checks the plumbing (riskhub-selftest);
#   3. generates a synthetic month for 鄢陵县 (riskhub-gen: registry + every
#      department's list) and publishes every department's list as Avro to
#      Kafka the way a department's IT system would: dropped into a folder
#      that riskhub-produce --watch publishes from;
#   4. loads the generated household registry into PostgreSQL
#      (riskhub-registry migrate + import) and runs the join service
#      (riskhub-join) until the month is through, then prints how many
#      warnings each township received;
#   5. shows one township's warnings as its dashboard would (riskhub-alerts)
#      and the month's status table for the bureau's meeting (riskhub-status).
#   RH_DEMO_PERIOD (default 2026-10), RH_DEMO_HOUSEHOLDS (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
period=${RH_DEMO_PERIOD:-2026-10}
households=${RH_DEMO_HOUSEHOLDS:-200000}
demo=.local/demo

echo "== dependencies"
scripts/deps.sh
echo "== services (Kafka, PostgreSQL)"
scripts/services.sh start
eval "$(scripts/services.sh env --export)"
echo "== build"
scripts/build.sh release >/dev/null
echo "== plumbing check: Avro records through the real broker, a PostgreSQL round trip"
build/bin/riskhub-selftest --config config/riskhub.yaml --records 1000

echo "== a synthetic month ($period, $households households) from riskhub-gen"
rm -rf "$demo"
build/bin/riskhub-gen --config config/riskhub.yaml --out "$demo/data" --period "$period" \
    --households "$households"

echo "== every department publishes its list: files dropped into $demo/drop"
mkdir -p "$demo/drop"
for f in "$demo/data/$period"/*."$period".csv; do
    # write under a hidden name, then rename: the watcher never sees half a file
    cp "$f" "$demo/drop/.$(basename "$f").part"
    mv "$demo/drop/.$(basename "$f").part" "$demo/drop/$(basename "$f")"
done
build/bin/riskhub-produce --config config/riskhub.yaml --watch "$demo/drop" --once \
    --settle-ms 0 --log-level warn
echo
echo "published (one line a department list; details in $demo/drop/done/):"
cat "$demo/drop/done/"*.summary.txt | sed 's/^/  /'
n=$(ls "$demo/drop/done/"*.summary.txt | wc -l)
failed=$(ls "$demo/drop/failed/" 2>/dev/null | grep -c 'reason.txt$' || true)
echo "== $n lists published, $failed refused"
[ "$failed" = 0 ]

echo "== the household registry into PostgreSQL (riskhub-registry)"
build/bin/riskhub-registry --config config/riskhub.yaml migrate
build/bin/riskhub-registry --config config/riskhub.yaml import "$demo/data/registry" | tail -n 1

echo "== the join: every list against the registry, exactly once (riskhub-join)"
# --idle-exit-ms: stop once the month is through (a deployment runs it as a service)
build/bin/riskhub-join --config config/riskhub.yaml --idle-exit-ms 3000 --log-level warn \
    | sed 's/^/  /'

echo "== warnings of $period per township (PostgreSQL table warnings, as pushed to alerts.<township>)"
python3 - "$period" <<'PY'
import os, subprocess, sys, unicodedata, yaml
period = sys.argv[1]
def pad(text, width):  # Chinese characters take two columns
    w = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - w)
cfg = yaml.safe_load(open("config/riskhub.yaml"))
conninfo = os.environ.get("RH_PG_CONNINFO") or cfg["postgres"]["conninfo"]
out = subprocess.run(["psql", conninfo, "-AtF", "\t", "-c",
                      "SELECT township_code, count(*), count(DISTINCT household_id) FROM warnings "
                      f"WHERE period = '{period}' GROUP BY 1"],
                     check=True, capture_output=True, text=True).stdout
got = {l.split("\t")[0]: l.split("\t")[1:] for l in out.splitlines() if l}
total = 0
print(f"  {pad('township', 10)} {'code':<10} {'warnings':>8} {'households':>10}")
for t in cfg["townships"]:
    w, h = got.get(t["code"], ["0", "0"])
    total += int(w)
    print(f"  {pad(t['name'], 10)} {t['code']:<10} {w:>8} {h:>10}")
print(f"  {'total':<21} {total:>8}")
PY
town=${RH_DEMO_TOWNSHIP:-安陵镇}
echo "== the warnings of $town for $period, as its dashboard shows them (riskhub-alerts; first 60 lines)"
build/bin/riskhub-alerts --config config/riskhub.yaml --township "$town" --period "$period" \
    --output "$demo/$town.$period.txt" --log-level warn
head -n 60 "$demo/$town.$period.txt"
echo "  ... $(wc -l < "$demo/$town.$period.txt") lines in all: $demo/$town.$period.txt"

echo "== the month at a glance for the bureau's meeting (riskhub-status --period $period)"
# exit 1 means some list is late or missing: that is the report, not a failure
rc=0
build/bin/riskhub-status --config config/riskhub.yaml --period "$period" --log-level warn || rc=$?
[ "$rc" -le 1 ]
build/bin/riskhub-status --config config/riskhub.yaml --period "$period" --format xlsx \
    --out "$demo/status.$period.xlsx" --log-level warn >/dev/null || [ $? -le 1 ]
echo "  (also as a spreadsheet for the meeting papers: $demo/status.$period.xlsx)"
echo "== done; stop the services with: scripts/services.sh stop"
