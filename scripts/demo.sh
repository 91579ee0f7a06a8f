#!/usr/bin/env bash
# README's first command: the main job, end to end, on a fresh machine.
#   1. installs what is missing, starts Kafka and PostgreSQL, builds, and gives
#      every party its own principal and only its rights on the brokers
#      (riskhub-acl; every program below runs as its own party);
#   2. checks the plumbing (riskhub-selftest);
#   3. generates a synthetic month for 鄢陵县 (riskhub-gen: registry + every
#      department's list) and lets the departments deliver their lists as
#      Avro to Kafka the way a department's IT system would: dropped into a
#      folder that riskhub-produce --watch publishes from — each on its own
#      day of the delivery month (one late on purpose, one never sent; see
#      "delivery days" below);
#   4. loads the generated household registry into PostgreSQL
#      (riskhub-registry migrate + import) and runs the join service
#      (riskhub-join) until the month is through, then the warnings ledger
#      (riskhub-ledger: the township alerts and check results as PostgreSQL
#      rows, exactly once) until it has written them all, and prints how many
#      warnings each township received, and the month's risks of large-scale
#      return to poverty (riskhub-scale: a village the generated disaster hit)
#      and public security's identity list against the registry
#      (riskhub-identity: each discrepancy to its township);
#   5. shows one township's warnings as its dashboard would (riskhub-alerts),
#      the township reporting its home visits back (riskhub-verify: the CSV it
#      filled in; the ledger applies the steps) and the month's status table for the bureau's meeting (riskhub-status),
#      now and as the monthly meeting saw it the morning after the deadline
#      (riskhub-status --as-of); the bureau's pushes of the month's applicants and
#      new monitoring objects to the departments (riskhub-push), and two
#      departments receiving theirs as files (riskhub-receive; docs/outbound.md);
#   6. archives the month as a deployment's nightly timer does (riskhub-replay
#      --archive-due into $demo/archive/<period>: Avro container files, checked
#      by a replay from them), so that status, replay and dashboards outlive the
#      broker's retention;
#   7. starts the townships' page (riskhub-web) with an account for the
#      township's official and one for the bureau, and prints its address and
#      the sign-ins (passwords in 0600 files under $demo; RH_WEB_PORT, default
#      8080, or any free port when that one is taken). It stays up, with a
#      riskhub-ledger beside it that applies the outcomes the page publishes.
#   RH_DEMO_PERIOD (default 2026-10; its delivery month must be over, so that
#   the report as of now sees every delivery), RH_DEMO_HOUSEHOLDS (default 200000)
#
# Delivery days. riskhub-status takes a list's arrival from its BatchManifest's
# finished_at: the publishing riskhub-produce's wall clock when the last record
# was acknowledged. Published today, every list of a past month is late. So the
# demo plays the delivery month: each department's producer runs with a
# simulated clock (RH_SIMULATED_NOW) set to its delivery time, in delivery
# order. The simulated clock is confined to the demo: it exists only in a
# separate build of riskhub-produce (scripts/build.sh sim -> build-sim/,
# compiled with RH_SIMULATED_CLOCK; common/rh_clock.h) that this script uses for
# this step and nothing else; build/ (scripts/build.sh release, what a
# department installs) ignores the variable, and a manifest published with it
# says so in its producer field ("riskhub-produce 0.1.0 (simulated clock)").
# Only that producer's own timestamps move (the manifest's started_at and
# finished_at, the records' produced_at); Kafka's message timestamps stay real,
# and the registry, the join and every report run on the real clock.
# Days: working days between the 2nd and the delivery day (config
# deadlines.delivery_day) of the month after the period, 08:30-17:30 local time
# (UTC+08:00); one list at 22:40 on the delivery day itself (on time: the whole
# day counts); one 3 days after it, or the Monday after that (late on purpose);
# one never (missing): market-regulation's companies, a check list, which raises
# no warning, so every township figure is the same as with all lists in (the
# month's applicants lack that department's comparison: riskhub-status shows it
# missing). Run on fresh services (on a broker that
# already holds the period's manifests, the same lists are not sent again:
# riskhub-produce moves them to done/ as "already published", and the status
# shows the first run's deliveries; the missing list shows as delivered if it
# ever was).
set -euo pipefail
cd "$(dirname "$0")/.."
period=${RH_DEMO_PERIOD:-2026-10}
households=${RH_DEMO_HOUSEHOLDS:-200000}
late_list=water/drinking-water
missing_list=market-regulation/companies
last_minute_list=tax/businesses
demo=.local/demo

echo "== dependencies"
scripts/deps.sh
echo "== services (Kafka, PostgreSQL)"
scripts/services.sh start
eval "$(scripts/services.sh env --export)"
echo "== build"
scripts/build.sh release >/dev/null
echo "== every party its own principal on the brokers, only its rights (riskhub-acl, as the admin)"
# the bindings from the configuration; those on transactional ids through Kafka's
# own kafka-acls, which Debian's librdkafka cannot make (docs/security.md, "Kafka")
acl_out=$(RH_KAFKA_CREDENTIALS=$RH_KAFKA_ADMIN_CREDENTIALS build/bin/riskhub-acl \
    --config config/riskhub.yaml apply --prune --log-level warn)
head -n 1 <<<"$acl_out"
n_txn=0
while read -r _ _ args; do
    # shellcheck disable=SC2086 # the arguments as riskhub-acl printed them
    scripts/kafka.sh acls --add $args >/dev/null
    n_txn=$((n_txn + 1))
done < <(grep '^  kafka-acls --add ' <<<"$acl_out")
echo "  $n_txn transactional-id bindings made with kafka-acls (scripts/kafka.sh acls)"
RH_KAFKA_CREDENTIALS=$RH_KAFKA_ADMIN_CREDENTIALS build/bin/riskhub-acl \
    --config config/riskhub.yaml check --log-level warn | grep -v '^  '
# from here on each program reads its own party's credentials (dept.<code>,
# town.<code>, svc.join, ...), never the all-powerful ones
export RH_KAFKA_CREDENTIALS="${RH_KAFKA_ADMIN_CREDENTIALS%/*}/{principal}"

echo "== plumbing check: Avro records through the real broker, a PostgreSQL round trip"
build/bin/riskhub-selftest --config config/riskhub.yaml --records 1000

echo "== a synthetic month ($period, $households households) from riskhub-gen"
rm -rf "$demo"
build/bin/riskhub-gen --config config/riskhub.yaml --out "$demo/data" --period "$period" \
    --households "$households"

echo "== the departments deliver their lists on their days: files dropped into $demo/drop"
echo "   (riskhub-produce of build-sim/, its clock set to each delivery time: see the top of this script)"
scripts/build.sh sim riskhub-produce >/dev/null
# one line a list, in delivery order: UTC instant, local time, file; the first
# line is the monthly meeting's moment (the morning after the deadline)
schedule=$(python3 - "$period" "$late_list" "$missing_list" "$last_minute_list" <<'PY'
import datetime as dt, sys, yaml
period, late, missing, last_minute = sys.argv[1:]
cfg = yaml.safe_load(open("config/riskhub.yaml"))
due = int(cfg["deadlines"]["delivery_day"])
y, m = map(int, period.split("-"))
y, m = (y + 1, 1) if m == 12 else (y, m + 1)          # the delivery month
cst = dt.timezone(dt.timedelta(hours=8))
feeds = [f"{d['code']}/{f['code']}" for d in cfg["departments"] for f in d["feeds"]]
out = []
for i, feed in enumerate(feeds):
    name = f"{feed.replace('/', '.')}.{period}.csv"
    if feed == missing:
        out.append(("~", "never", name))
        continue
    day, minute = 2 + (i * 4) % (due - 1), 8 * 60 + 30 + (i * 53) % 540
    if feed == late:
        day, minute = due + 3, 10 * 60 + 20
    elif feed == last_minute:
        day, minute = due, 22 * 60 + 40
    wd = dt.date(y, m, day).weekday()
    if wd >= 5:                                  # no deliveries at weekends:
        if feed == late or day - (wd - 4) < 2:
            day += 7 - wd                        # the Monday after,
        else:
            day -= wd - 4                        # else the Friday before
    t = dt.datetime(y, m, day, minute // 60, minute % 60, tzinfo=cst)
    out.append((t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                t.strftime("%Y-%m-%d %H:%M"), name))
print(f"{y:04d}-{m:02d}-{due + 1:02d} 09:00")
for utc, local, name in sorted(out):
    print(f"{utc}\t{local}\t{name}")
PY
)
meeting=$(head -n 1 <<<"$schedule")
mkdir -p "$demo/drop"
while IFS=$'\t' read -r utc local name; do
    if [ "$utc" = "~" ]; then
        echo "  never sent:       $name"
        continue
    fi
    echo "  $local  $name"
    # write under a hidden name, then rename: the watcher never sees half a file
    cp "$demo/data/$period/$name" "$demo/drop/.$name.part"
    mv "$demo/drop/.$name.part" "$demo/drop/$name"
    RH_SIMULATED_NOW=$utc build-sim/bin/riskhub-produce --config config/riskhub.yaml \
        --watch "$demo/drop" --once --settle-ms 0 --log-level warn
done < <(tail -n +2 <<<"$schedule")
echo
echo "published (one line a department list; details in $demo/drop/done/):"
cat "$demo/drop/done/"*.summary.txt | sed 's/^/  /'
n=$(ls "$demo/drop/done/"*.summary.txt | wc -l)
again=$(cat "$demo/drop/done/"*.summary.txt | grep -c 'already published, nothing sent' || true)
failed=$(ls "$demo/drop/failed/" 2>/dev/null | grep -c 'reason.txt$' || true)
if [ "$again" -gt 0 ]; then
    echo "== $((n - again)) lists published, $again already published before (not sent again), $failed refused"
else
    echo "== $n lists published, $failed refused"
fi
[ "$failed" = 0 ]

echo "== the household registry into PostgreSQL (riskhub-registry)"
build/bin/riskhub-registry --config config/riskhub.yaml migrate
build/bin/riskhub-registry --config config/riskhub.yaml import "$demo/data/registry" | tail -n 1

echo "== the join: every list against the registry, exactly once (riskhub-join)"
# --idle-exit-ms: stop once the month is through (a deployment runs it as a service)
build/bin/riskhub-join --config config/riskhub.yaml --idle-exit-ms 3000 --log-level warn \
    | sed 's/^/  /'

echo "== the warnings ledger: township alerts and check results into PostgreSQL, exactly once (riskhub-ledger)"
# a service too; here it stops once every row of the month is written
build/bin/riskhub-ledger --config config/riskhub.yaml --idle-exit-ms 3000 --log-level warn \
    | sed 's/^/  /'

echo "== warnings of $period per township (PostgreSQL table warnings, written by riskhub-ledger from alerts.<township>)"
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
echo "== risks of large-scale return to poverty in $period: the warnings per village and township"
echo "   against config/riskhub.yaml's scale_risks, to the county topic riskhub.scale-risks (riskhub-scale;"
echo "   docs/scale.md; the generated disaster list hits one village on purpose)"
build/bin/riskhub-scale --config config/riskhub.yaml --period "$period" --log-level warn \
    | sed 's/^/  /'
echo "== public security's identity list against the registry: each discrepancy to its township's"
echo "   topic identity.<township> (riskhub-identity; docs/identity.md; the generated list names a"
echo "   few persons otherwise than the registry on purpose)"
build/bin/riskhub-identity --config config/riskhub.yaml --period "$period" --log-level warn \
    | sed 's/^/  /'
town=${RH_DEMO_TOWNSHIP:-安陵镇}
echo "== the warnings of $town for $period, as its dashboard shows them (riskhub-alerts; first 60 lines)"
build/bin/riskhub-alerts --config config/riskhub.yaml --township "$town" --period "$period" \
    --output "$demo/$town.$period.txt" --log-level warn
head -n 60 "$demo/$town.$period.txt"
echo "  ... $(wc -l < "$demo/$town.$period.txt") lines in all: $demo/$town.$period.txt"

echo "== $town verifies at the household and reports back (riskhub-verify; docs/verify.md)"
# the township's official exports its warnings as CSV, fills in the outcome columns
# after the home visits (here: the first 12 households, as a demo), gives the file
# back; riskhub-verify checks each row against the ledger and publishes the steps
# to verifications.<township> in one transaction; the ledger applies them
build/bin/riskhub-alerts --config config/riskhub.yaml --township "$town" --period "$period" \
    --format csv --output "$demo/visits.$period.csv" --log-level warn
python3 - "$demo/visits.$period.csv" <<'PY'
import csv, datetime, os, subprocess, sys, yaml
path = sys.argv[1]
with open(path, encoding="utf-8-sig", newline="") as f:
    rows = list(csv.DictReader(f))
    header = list(rows[0]) if rows else []
# the warnings still waiting for a visit (a demo run again finds the earlier outcomes)
cfg = yaml.safe_load(open("config/riskhub.yaml"))
conninfo = os.environ.get("RH_PG_CONNINFO") or cfg["postgres"]["conninfo"]
open_ids = set(subprocess.run(["psql", conninfo, "-Atc", "SELECT alert_id FROM warnings WHERE state = 'PUSHED'"],
                              check=True, capture_output=True, text=True).stdout.split())
rows_open = [r for r in rows if r["alert_id"] in open_ids]
visited = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
outcomes = [("纳入监测", ""), ("不纳入", "收入高于监测范围"), ("已是监测对象", ""), ("无法联系", ""),
            ("不纳入", "风险已消除"), ("核实中", "")]
households = []
for r in rows_open:
    if r["household_id"] not in households:
        households.append(r["household_id"])
    i = households.index(r["household_id"])
    if i < 12:  # every warning of a household visited gets the visit's outcome
        r["outcome"], r["not_included_reason"] = outcomes[i % len(outcomes)]
        r["visited_on"], r["recorded_by"] = visited, "演示核实员"
with open(path, "w", encoding="utf-8-sig", newline="") as f:
    w = csv.DictWriter(f, fieldnames=header)
    w.writeheader()
    w.writerows(rows)
PY
chmod 600 "$demo/visits.$period.csv"
rc=0
build/bin/riskhub-verify --config config/riskhub.yaml --township "$town" --log-level warn \
    "$demo/visits.$period.csv" | sed 's/^/  /' || rc=$?
[ "$rc" -le 1 ]
build/bin/riskhub-ledger --config config/riskhub.yaml --idle-exit-ms 3000 --log-level warn \
    | sed 's/^/  /'

# a week on (the county's day, UTC+08:00): the visits not reported by then are overdue
# (config deadlines.home_visit_days); riskhub-alerts lists them from the ledger
ahead=$(date -u -d "+8 hours +7 days" +%F)
echo "== what $town will have overdue on $ahead if nobody reports (riskhub-alerts --overdue-on; first 24 lines)"
build/bin/riskhub-alerts --config config/riskhub.yaml --township "$town" --overdue-on "$ahead" \
    --output "$demo/$town.overdue.txt" --log-level warn
head -n 24 "$demo/$town.overdue.txt"
echo "  ... $(grep -c '已逾期' "$demo/$town.overdue.txt") warnings overdue on $ahead: $demo/$town.overdue.txt"

echo "== the bureau pushes to the departments (riskhub-push; docs/outbound.md)"
# the applicants of $period to the departments with a check feed, and the households
# the ledger included this month (the county's month, UTC+08:00: the steps above)
# to every department; each push one transaction with its manifest, never twice
this_month=$(date -u -d "+8 hours" +%Y-%m)
for m in $(printf '%s\n' "$period" "$this_month" | sort -u); do
    build/bin/riskhub-push --config config/riskhub.yaml --period "$m" --log-level warn \
        | grep -E ' (tax|health) ' | sed 's/^/  /'
done
echo "   (the same again sends nothing:" \
    "$(build/bin/riskhub-push --config config/riskhub.yaml --period "$this_month" --log-level warn \
        | grep -c 'on the topic already') pushes on their topics already)"
echo "== two departments receive their pushes, each as its own party (riskhub-receive)"
# what docker/riskhub-receive-watch@.service runs with --watch: one CSV file a push,
# 0600, in the department's inbox; tax (a check department) in GBK for its Windows system
for dept in tax health; do
    inbox=$demo/inbox/$dept
    mkdir -p "$inbox" && chmod 700 "$inbox"
    enc=()
    [[ $dept == tax ]] && enc=(--encoding gbk)
    build/bin/riskhub-receive --config config/riskhub.yaml --department "$dept" --dir "$inbox" \
        "${enc[@]}" --log-level warn | tail -n 1 | sed 's/^/  /'
    for f in "$inbox"/*.csv; do
        [[ -e $f ]] && echo "    $(basename "$f"): $(($(wc -l < "$f") - 1)) persons"
    done
done

echo "== the month at a glance for the bureau's meeting (riskhub-status --period $period;"
echo "   lists, townships' warnings, verification at the household per township and department)"
# exit 1 means some list is late or missing: that is the report, not a failure
rc=0
build/bin/riskhub-status --config config/riskhub.yaml --period "$period" --log-level warn || rc=$?
[ "$rc" -le 1 ]
build/bin/riskhub-status --config config/riskhub.yaml --period "$period" --format xlsx \
    --out "$demo/status.$period.xlsx" --log-level warn >/dev/null || [ $? -le 1 ]
echo "  (also as a spreadsheet for the meeting papers: $demo/status.$period.xlsx)"
echo "== the lists as the monthly meeting saw them on $meeting (riskhub-status --as-of; the notes)"
# what had arrived by then; the late list came after the meeting
{ build/bin/riskhub-status --config config/riskhub.yaml --period "$period" --as-of "$meeting" \
    --table lists --log-level warn || [ $? -le 1 ]; } | sed -n '/^[0-9]* lists: /,$p'
echo "== the monthly archive: $period kept for the audit after the broker forgets it (riskhub-replay --archive-due)"
# what a deployment's timer runs every night (docker/riskhub-archive.timer): every month of
# the ledger past its deadline and archive.grace, replayed into archive.dir/YYYY-MM,
# verified by a second replay from the files, then kept; here archive.dir is $demo/archive
RH_ARCHIVE_DIR="$demo/archive" build/bin/riskhub-replay --config config/riskhub.yaml \
    --archive-due --log-level warn | sed 's/^/  /'
echo "  $(cd "$demo/archive/$period" && sha256sum -c --quiet SHA256SUMS && echo "sums hold:") $(ls "$demo/archive/$period" | tr '\n' ' ')"
echo "== the townships' page (riskhub-web): $town's warnings in a browser"
# an account for $town's official and one for the bureau, each its own password
# (0600 files beside the demo; never printed); the server stays up after the demo
web_pid=$demo/riskhub-web.pid ledger_pid=$demo/riskhub-ledger.pid
for pid in "$web_pid" "$ledger_pid"; do
    if [[ -f $pid ]]; then kill "$(cat "$pid")" 2>/dev/null || true; rm -f "$pid"; sleep 1; fi
done
# the page publishes an outcome as the township's Verification (its own party's
# credentials file: RH_KAFKA_CREDENTIALS above, its transactional id riskhub-web.<code>
# in the plan applied above); the ledger beside it applies the steps, and the page
# shows the state the ledger leaves (docs/web.md, "Recording a visit")
setsid nohup build/bin/riskhub-ledger --config config/riskhub.yaml --log-level info \
    > "$demo/riskhub-ledger.log" 2>&1 < /dev/null &
echo $! > "$ledger_pid"
town_code=$(python3 - config/riskhub.yaml "$town" <<'PY'
import sys, yaml
print(next(t["code"] for t in yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["townships"]
           if sys.argv[2] in (t["code"], t["name"])))
PY
)
for who in "town-$town_code --township $town_code" "bureau --bureau"; do
    read -r user role <<<"$who"
    pwfile=$demo/web-password.$user
    (umask 077; printf 'demo-%s-1\n' "$(openssl rand -hex 8)" > "$pwfile")
    # shellcheck disable=SC2086 # role: two words
    build/bin/riskhub-web --config config/riskhub.yaml user add "$user" $role --display 演示 \
        < "$pwfile" >/dev/null 2>&1 ||
        build/bin/riskhub-web --config config/riskhub.yaml user password "$user" < "$pwfile" >/dev/null
done
web_listen=127.0.0.1:${RH_WEB_PORT:-8080}
for try in 1 2; do
    setsid nohup build/bin/riskhub-web --config config/riskhub.yaml --listen "$web_listen" \
        --log-level info > "$demo/riskhub-web.log" 2>&1 < /dev/null &
    echo $! > "$web_pid"
    for _ in $(seq 100); do
        grep -q "serving on" "$demo/riskhub-web.log" && break
        kill -0 "$(cat "$web_pid")" 2>/dev/null || break
        sleep 0.1
    done
    grep -q "serving on" "$demo/riskhub-web.log" && break
    # the port is someone else's (exit 69): any free one
    [[ $try == 1 ]] && grep -q "Address already in use" "$demo/riskhub-web.log" || {
        cat "$demo/riskhub-web.log" >&2; exit 1; }
    web_listen=127.0.0.1:0
done
web_url=$(sed -n 's/.*serving on \(http[^ ]*\).*/\1/p' "$demo/riskhub-web.log" | head -n 1)
echo "  open $web_url"
echo "  $town: user town-$town_code, password in $demo/web-password.town-$town_code"
echo "  the bureau: user bureau, password in $demo/web-password.bureau"
echo "  (its log: $demo/riskhub-web.log, the ledger beside it: $demo/riskhub-ledger.log;"
echo "   scripts/services.sh stop stops both)"
echo "== done; stop the services with: scripts/services.sh stop"
