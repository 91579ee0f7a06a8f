/*
 * StreamsJoin: the Kafka Streams peer of riskhub-join in scripts/bench_join.py
 * (issue #10: "a Kafka Streams exactly_once_v2 application doing the same
 * lookup"). Not part of the hub; a benchmark only.
 *
 * What it does, as riskhub-join does for a signal feed whose rule has no
 * condition (health/major-disease in the benchmark):
 *   - loads the registry (households, members) from PostgreSQL into a HashMap
 *     keyed by ID number, before the topology starts (riskhub-join: rh_regmap,
 *     loaded with COPY);
 *   - reads the feed topic (single-object encoded riskhub.FeedRecord), looks the
 *     person up, and writes a riskhub.Alert (single-object encoded, the schemas
 *     of schemas/) to <out>alerts.<township> keyed by household id, or to
 *     <out>alerts.unmatched keyed by ID number; the alert id is riskhub's
 *     (rh_alert_id: SHA-256 over "riskhub-alert-v1", ID number, department,
 *     feed, period, rule id, each ended by a NUL), the lineage the record's
 *     topic/partition/offset/batch id;
 *   - processing.guarantee=exactly_once_v2: the alerts and the input offsets
 *     commit in one transaction (every commit.interval.ms, 100 ms by default);
 *   - with --dedup, also what riskhub-join does to publish each alert id once:
 *     a persistent key-value store (RocksDB, with its changelog topic) of the
 *     published ids, 16 hex digits each as riskhub's changelog keys; an id
 *     already there gives no alert.
 * It does not evaluate rule conditions (the one rule is given: --rule,
 * --severity, --risk), checks, manifests, identity feeds or the DLQ.
 *
 * Timing, as riskhub-join's summary: busy_s runs from the first record
 * processed to the moment the group's committed offsets (read back with the
 * admin client every 10 ms) cover every record processed: the last
 * transaction committed. Prints one line on stdout:
 *   streams: records=N alerts=A unmatched=U duplicates=D busy_s=S registry_load_s=L persons=P
 * Exit: 0 done, 64 usage, 69 registry or broker unavailable, 70 the topology failed
 * or --timeout-s passed.
 *
 * Personal data: nothing of a record is logged.
 */

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

public final class StreamsJoin {
  static final String UNMATCHED_RULE = "unmatched";
  static final String UNMATCHED_REASON = "not in the household registry";
  static final String STORE = "published-ids";

  record Household(String id, String township, String village, String type, String category,
                   boolean eliminated) {}

  record Person(Household household, String name, String relation) {}

  /** What the processor hands the sink: the topic is chosen per alert. */
  record Out(String topic, byte[] value) {}

  static final class Options {
    String bootstrap, input, outPrefix, appId, jdbc, schemas, stateDir;
    String rule = "illness-major-disease", severity = "medium", risk = "ILLNESS", reason;
    long expect = -1, timeoutS = 900;
    int threads = 1;
    boolean dedup;
    final Properties extra = new Properties();
  }

  static final AtomicLong processed = new AtomicLong();
  static final AtomicLong alerts = new AtomicLong();
  static final AtomicLong unmatched = new AtomicLong();
  static final AtomicLong duplicates = new AtomicLong();
  static final AtomicLong firstNs = new AtomicLong();
  /** the highest offset processed, by input partition */
  static final Map<TopicPartition, Long> lastOffset = new ConcurrentHashMap<>();

  public static void main(String[] argv) throws Exception {
    Options o = parse(argv);
    Schema.Parser parser = new Schema.Parser();
    Schema feedSchema = parser.parse(new java.io.File(o.schemas, "FeedRecord.avsc"));
    Schema alertSchema = new Schema.Parser().parse(new java.io.File(o.schemas, "Alert.avsc"));

    long t0 = System.nanoTime();
    Map<String, Person> registry;
    try {
      registry = loadRegistry(o.jdbc);
    } catch (SQLException e) {
      System.err.println("StreamsJoin: the registry could not be read: " + e.getMessage());
      System.exit(69);
      return;
    }
    double loadS = (System.nanoTime() - t0) / 1e9;

    Topology topology = new Topology();
    topology.addSource("feed", new ByteArrayDeserializer(), new ByteArrayDeserializer(), o.input);
    topology.addProcessor("join", () -> new Join(o, registry, feedSchema, alertSchema), "feed");
    if (o.dedup) {
      topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE),
                                                         Serdes.String(), Serdes.ByteArray()),
                             "join");
    }
    Serializer<Out> outSer = (topic, out) -> out.value();
    topology.addSink("alerts", (key, value, ctx) -> value.topic(), new StringSerializer(),
                     outSer, "join");

    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, o.appId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, o.threads);
    p.put(StreamsConfig.STATE_DIR_CONFIG, o.stateDir);
    p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    p.putAll(o.extra);

    AtomicReference<Throwable> failed = new AtomicReference<>();
    KafkaStreams streams = new KafkaStreams(topology, p);
    streams.setUncaughtExceptionHandler(e -> {
      failed.compareAndSet(null, e);
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
          .SHUTDOWN_CLIENT;
    });
    streams.start();

    int rc = 0;
    long deadline = System.nanoTime() + o.timeoutS * 1_000_000_000L;
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap))) {
      while (processed.get() < o.expect && failed.get() == null && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      long endNs = 0;
      while (failed.get() == null && System.nanoTime() < deadline) {
        if (committedCoverAll(admin, o.appId)) {
          endNs = System.nanoTime();
          break;
        }
        Thread.sleep(10);
      }
      if (endNs == 0) {
        Throwable f = failed.get();
        System.err.println("StreamsJoin: " + (f != null ? "the topology failed: " + f
                                                        : "not done within --timeout-s " + o.timeoutS)
                           + "; " + processed.get() + " of " + o.expect + " records processed");
        rc = 70;
      } else {
        System.out.printf("streams: records=%d alerts=%d unmatched=%d duplicates=%d busy_s=%.3f "
                          + "registry_load_s=%.3f persons=%d threads=%d dedup=%d%n",
                          processed.get(), alerts.get(), unmatched.get(), duplicates.get(),
                          (endNs - firstNs.get()) / 1e9, loadS, registry.size(), o.threads,
                          o.dedup ? 1 : 0);
        System.out.flush();
      }
    }
    streams.close(Duration.ofSeconds(60));
    System.exit(rc);
  }

  /** Do the group's committed offsets reach past every record processed? */
  static boolean committedCoverAll(Admin admin, String group) throws InterruptedException {
    Map<TopicPartition, OffsetAndMetadata> c;
    try {
      c = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    } catch (java.util.concurrent.ExecutionException e) {
      return false; // coordinator loading or moving: ask again
    }
    for (Map.Entry<TopicPartition, Long> e : lastOffset.entrySet()) {
      OffsetAndMetadata om = c.get(e.getKey());
      if (om == null || om.offset() <= e.getValue()) return false;
    }
    return !lastOffset.isEmpty();
  }

  static Map<String, Person> loadRegistry(String jdbc) throws SQLException {
    Map<String, String> interned = new HashMap<>();
    Map<String, Household> households = new HashMap<>();
    Map<String, Person> persons = new HashMap<>(1 << 20);
    try (Connection conn = DriverManager.getConnection(jdbc)) {
      conn.setAutoCommit(false); // a cursor: rows arrive fetchSize at a time
      try (Statement st = conn.createStatement()) {
        st.setFetchSize(20000);
        try (ResultSet rs = st.executeQuery(
                 "SELECT household_id, township_code, village, household_type, "
                 + "monitoring_category, risk_eliminated FROM households")) {
          while (rs.next()) {
            Household h = new Household(rs.getString(1), intern(interned, rs.getString(2)),
                                        intern(interned, rs.getString(3)),
                                        intern(interned, rs.getString(4)),
                                        intern(interned, rs.getString(5)), rs.getBoolean(6));
            households.put(h.id(), h);
          }
        }
        try (ResultSet rs = st.executeQuery(
                 "SELECT id_number, household_id, name, relation FROM members")) {
          while (rs.next()) {
            Household h = households.get(rs.getString(2));
            if (h != null) {
              persons.put(rs.getString(1), new Person(h, rs.getString(3),
                                                      intern(interned, rs.getString(4))));
            }
          }
        }
      }
      conn.commit();
    }
    return persons;
  }

  static String intern(Map<String, String> pool, String s) {
    if (s == null) return null;
    String have = pool.putIfAbsent(s, s);
    return have != null ? have : s;
  }

  /** One per stream task. */
  static final class Join implements Processor<byte[], byte[], String, Out> {
    final Options o;
    final Map<String, Person> registry;
    final Schema alertSchema, lineageSchema;
    final BinaryMessageDecoder<GenericRecord> decoder;
    final BinaryMessageEncoder<GenericRecord> encoder;
    final MessageDigest sha;
    final Map<String, String> topics = new HashMap<>();
    ProcessorContext<String, Out> ctx;
    KeyValueStore<String, byte[]> ids;
    GenericRecord in;

    Join(Options o, Map<String, Person> registry, Schema feedSchema, Schema alertSchema) {
      this.o = o;
      this.registry = registry;
      this.alertSchema = alertSchema;
      this.lineageSchema = alertSchema.getField("source").schema();
      this.decoder = new BinaryMessageDecoder<>(GenericData.get(), feedSchema);
      this.encoder = new BinaryMessageEncoder<>(GenericData.get(), alertSchema);
      try {
        this.sha = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void init(ProcessorContext<String, Out> context) {
      this.ctx = context;
      if (o.dedup) this.ids = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<byte[], byte[]> rec) {
      firstNs.compareAndSet(0, System.nanoTime());
      RecordMetadata md = ctx.recordMetadata().orElseThrow();
      try {
        in = decoder.decode(rec.value(), in);
      } catch (java.io.IOException e) {
        throw new IllegalStateException("not a FeedRecord at " + md.topic() + "/" + md.partition()
                                        + "@" + md.offset());
      }
      String idNumber = in.get("id_number").toString();
      String department = in.get("department").toString();
      String feed = in.get("feed").toString();
      String period = in.get("period").toString();
      Person person = registry.get(idNumber);
      String ruleId = person == null ? UNMATCHED_RULE : o.rule;
      String alertId = alertId(idNumber, department, feed, period, ruleId);
      boolean fresh = true;
      if (ids != null) {
        String key = alertId.substring(0, 16);
        if (ids.get(key) != null) fresh = false;
        else ids.put(key, (md.topic() + "/" + md.partition()).getBytes(StandardCharsets.UTF_8));
      }
      if (fresh) {
        GenericRecord a = new GenericData.Record(alertSchema);
        a.put("alert_id", alertId);
        a.put("person_id_number", idNumber);
        a.put("risk_subtype", str(in.get("risk_subtype")));
        a.put("department", department);
        a.put("feed", feed);
        a.put("period", period);
        a.put("amount_fen", in.get("amount_fen"));
        a.put("event_date", in.get("event_date"));
        a.put("facts", in.get("facts"));
        GenericRecord src = new GenericData.Record(lineageSchema);
        src.put("topic", md.topic());
        src.put("partition", md.partition());
        src.put("offset", md.offset());
        src.put("batch_id", in.get("batch_id").toString());
        a.put("source", src);
        a.put("created_at", System.currentTimeMillis());
        String key, topic;
        if (person == null) {
          Object risk = in.get("risk");
          a.put("situation", "UNMATCHED");
          a.put("person_name", str(in.get("name")));
          a.put("risk", risk != null ? risk.toString() : o.risk);
          a.put("severity", "low");
          a.put("rule_id", UNMATCHED_RULE);
          a.put("reason", UNMATCHED_REASON);
          a.put("risk_eliminated", false);
          key = idNumber;
          topic = topic("unmatched");
          unmatched.incrementAndGet();
        } else {
          Household h = person.household();
          a.put("situation", h.eliminated() ? "RISK_MAY_HAVE_RETURNED"
                             : "ordinary".equals(h.type()) ? "MAY_NEED_MONITORING" : "AT_NEW_RISK");
          a.put("township_code", h.township());
          a.put("village", h.village());
          a.put("household_id", h.id());
          a.put("household_type", h.type());
          a.put("monitoring_category", h.category());
          a.put("risk_eliminated", h.eliminated());
          a.put("person_name", person.name());
          a.put("relation_to_head", person.relation());
          a.put("risk", o.risk);
          a.put("severity", o.severity);
          a.put("rule_id", o.rule);
          a.put("reason", o.reason);
          key = h.id();
          topic = topic(h.township());
          alerts.incrementAndGet();
        }
        byte[] value;
        try {
          value = encoder.encode(a).array();
        } catch (java.io.IOException e) {
          throw new IllegalStateException("an Alert could not be encoded: " + e.getMessage());
        }
        ctx.forward(new Record<>(key, new Out(topic, value), rec.timestamp()));
      } else {
        duplicates.incrementAndGet();
      }
      lastOffset.merge(new TopicPartition(md.topic(), md.partition()), md.offset(), Math::max);
      processed.incrementAndGet();
    }

    String topic(String township) {
      return topics.computeIfAbsent(township, t -> o.outPrefix + "alerts." + t);
    }

    static String str(Object v) {
      return v == null ? null : v.toString();
    }

    /** rh_alert_id: "riskhub-alert-v1" and the parts, each ended by a NUL */
    String alertId(String... partsAfterVersion) {
      sha.reset();
      sha.update("riskhub-alert-v1".getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      for (String s : partsAfterVersion) {
        sha.update(s.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
      }
      return hex(sha.digest());
    }

    static String hex(byte[] b) {
      char[] out = new char[b.length * 2];
      final char[] digits = "0123456789abcdef".toCharArray();
      for (int i = 0; i < b.length; i++) {
        out[2 * i] = digits[(b[i] >> 4) & 15];
        out[2 * i + 1] = digits[b[i] & 15];
      }
      return new String(out);
    }
  }

  static Options parse(String[] a) {
    Options o = new Options();
    List<String> missing = new ArrayList<>();
    for (int i = 0; i < a.length; i++) {
      String k = a[i];
      if (k.equals("--dedup")) {
        o.dedup = true;
        continue;
      }
      if (i + 1 >= a.length) usage(k + " needs a value");
      String v = a[++i];
      switch (k) {
        case "--bootstrap" -> o.bootstrap = v;
        case "--input" -> o.input = v;
        case "--out-prefix" -> o.outPrefix = v;
        case "--application-id" -> o.appId = v;
        case "--jdbc" -> o.jdbc = v;
        case "--schemas" -> o.schemas = v;
        case "--state-dir" -> o.stateDir = v;
        case "--rule" -> o.rule = v;
        case "--severity" -> o.severity = v;
        case "--risk" -> o.risk = v;
        case "--reason" -> o.reason = v;
        case "--expect" -> o.expect = Long.parseLong(v);
        case "--timeout-s" -> o.timeoutS = Long.parseLong(v);
        case "--threads" -> o.threads = Integer.parseInt(v);
        case "--prop" -> {
          int eq = v.indexOf('=');
          if (eq <= 0) usage("--prop wants key=value, not " + v);
          o.extra.put(v.substring(0, eq), v.substring(eq + 1));
        }
        default -> usage("unknown option " + k);
      }
    }
    if (o.bootstrap == null) missing.add("--bootstrap");
    if (o.input == null) missing.add("--input");
    if (o.outPrefix == null) missing.add("--out-prefix");
    if (o.appId == null) missing.add("--application-id");
    if (o.jdbc == null) missing.add("--jdbc");
    if (o.schemas == null) missing.add("--schemas");
    if (o.stateDir == null) missing.add("--state-dir");
    if (o.expect < 0) missing.add("--expect");
    if (!missing.isEmpty()) usage("missing " + String.join(", ", missing));
    return o;
  }

  static void usage(String why) {
    System.err.println("StreamsJoin: " + why + "\nusage: StreamsJoin --bootstrap HOST:PORT --input TOPIC "
                       + "--out-prefix PREFIX --application-id ID --jdbc URL --schemas DIR "
                       + "--state-dir DIR --expect N [--dedup] [--threads N] [--rule ID] "
                       + "[--severity S] [--risk R] [--reason TEXT] [--timeout-s S] [--prop k=v]...");
    System.exit(64);
  }
}
