"""rhtest: the one helper package of riskhub's Python tests and benchmarks.

An independent reader of what the C programs do: records are decoded with
fastavro (not riskhub's C code), Kafka is read with confluent-kafka (its own
librdkafka build), PostgreSQL with psql; batch ids, alerts and check results
expected are computed here from the department files, the registry CSVs and the
YAML.

Modules (everything public is also importable from the package itself,
``rhtest.Namespace``, ``rhtest.read_topics``, ...):

  env        paths and services: SRC, BIN, CONFIG, BOOTSTRAP, BASE_CONNINFO; run()
  privacy    mask(), scrub(), assert_no_full_id(): no full ID number in a message
  avro       decode() / encode() single-object Avro with fastavro
  config     load_config(), feed_config(), township_code(), config_with()
  feeds      department files: expected_records(), batch_id(), feed_files(), write_feed_csv(), make_id()
  kafka      consumer(), admin(), read_topics(), read_ranges(), create_topics(), produce_raw(),
             OpenTransaction (a transaction left open or hanging), ...
  pg         psql(), pg_rows(), create_database(), drop_database()
  namespace  the test namespace: reserved topic prefixes (rhtest-...), Namespace (prefix + scratch database)
  join       what riskhub-join must publish: Registry, Rules, Expect, lineage(), assert_alerts(), Join
  ledger     what riskhub-ledger must have written: assert_ledger_rows(), the audit trigger
  snapshot   the default namespace's state and the check that a test run left it alone
  cluster    Cluster: the three-broker cluster of scripts/kafka.sh cluster, node by node
  faults     a month through produce -> join while something breaks: month_steps(), run_month(), Outcome
  signing    signed lists: manifest_text(), sign_manifest() (openssl), manifest_link()
  metrics    a service's /metrics and /healthz: metrics_port(), http_get(), metric_samples()
  web        riskhub-web: add_web_user(), WebServer, WebClient, ledger_warning()
  xlsx       read_xlsx(): a workbook with the standard library only

Used by tests/integration/conftest.py (pytest fixtures) and tests/integration/test_*.py,
and by scripts/bench_*.py, which put tests/ on sys.path:

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import rhtest
"""
from .env import *          # noqa: F401,F403
from .privacy import *      # noqa: F401,F403
from .avro import *         # noqa: F401,F403
from .config import *       # noqa: F401,F403
from .feeds import *        # noqa: F401,F403
from .kafka import *        # noqa: F401,F403
from .pg import *           # noqa: F401,F403
from .namespace import *    # noqa: F401,F403
from .join import *         # noqa: F401,F403
from .ledger import *       # noqa: F401,F403
from .cluster import *      # noqa: F401,F403
from .faults import *       # noqa: F401,F403
from .parties import *      # noqa: F401,F403
from .signing import *      # noqa: F401,F403
from .metrics import *      # noqa: F401,F403
from .web import *            # noqa: F401,F403
from .xlsx import *           # noqa: F401,F403
