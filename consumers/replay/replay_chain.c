/* replay_chain: see replay_chain.h. */
#include "replay_chain.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_array.h"
#include "rh_avro_codec.h"
#include "rh_avro_value.h"
#include "rh_chain.h"
#include "rh_err.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_kafka_read.h"
#include "rh_log.h"
#include "rh_manifest.h"

/* What the report says of a manifest beyond its link (rh_chain's tag: the
 * index here). */
typedef struct {
  char batch_id[RH_SHA256_HEXSZ];
  char why[400];                  /* not believed: why */
} entry_t;

enum { F_DEPT, F_FEED, F_BATCH, F_PREV, F_END, F_N };
static const char *const F_NAMES[F_N] = {"department", "feed", "batch_id", "prev_manifest_sha256",
                                         "finished_at"};

struct replay_chain {
  const rh_config_t *cfg;
  const rh_avro_schema_t *schema;
  rh_avro_decoder_t *dec;
  avro_value_t v;
  bool have_v;
  int idx[F_N];
  rh_manifest_keys_t *keys;
  const char *dept, *feed;
  rh_chain_t *chain;
  entry_t *e;
  size_t n, cap;
  uint64_t unreadable;
};

replay_chain_t *replay_chain_new(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                                 const char *dept, const char *feed, char *errstr,
                                 size_t errstr_size) {
  replay_chain_t *c = calloc(1, sizeof *c);
  if (!c) {
    rh_errf(errstr, errstr_size, "out of memory");
    return NULL;
  }
  c->cfg = cfg;
  c->dept = dept;
  c->feed = feed;
  c->schema = rh_avro_schemas_get(schemas, "riskhub.BatchManifest");
  if (!c->schema) {
    rh_errf(errstr, errstr_size, "the schemas lack riskhub.BatchManifest");
    goto fail;
  }
  if (rh_avro_field_indexes(c->schema->schema, F_NAMES, c->idx, F_N, errstr, errstr_size) ||
      rh_avro_schema_value_new(c->schema, &c->v, errstr, errstr_size))
    goto fail;
  c->have_v = true;
  if (!(c->dec = rh_avro_decoder_new(schemas))) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto fail;
  }
  if (!(c->keys = rh_manifest_keys_load(cfg, errstr, errstr_size))) goto fail;
  if (!(c->chain = rh_chain_new())) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto fail;
  }
  return c;
fail:
  replay_chain_free(c);
  return NULL;
}

void replay_chain_free(replay_chain_t *c) {
  if (!c) return;
  if (c->have_v) avro_value_decref(&c->v);
  rh_avro_decoder_destroy(c->dec);
  rh_manifest_keys_free(c->keys);
  rh_chain_free(c->chain);
  free(c->e);
  free(c);
}

int replay_chain_add(replay_chain_t *c, const char *carrier, const void *value, size_t len,
                     int32_t partition, int64_t offset, int64_t appended_at) {
  char why[400];
  if (!value || rh_avro_decode(c->dec, value, len, c->schema, &c->v, NULL, why, sizeof why) !=
                    RH_AVRO_OK) {
    c->unreadable++;
    return 0;
  }
  const char *d = NULL, *f = NULL, *bid = NULL, *prev = NULL;
  size_t n;
  int64_t fin = 0;
  if (rh_avro_get_str(&c->v, c->idx[F_DEPT], &d, &n) || !d ||
      rh_avro_get_str(&c->v, c->idx[F_FEED], &f, &n) || !f ||
      rh_avro_get_str(&c->v, c->idx[F_BATCH], &bid, &n) || !bid ||
      rh_avro_get_str(&c->v, c->idx[F_PREV], &prev, &n) || !prev ||
      rh_avro_get_long(&c->v, c->idx[F_END], NULL, &fin)) {
    c->unreadable++;
    return 0;
  }
  const rh_config_feed_t *cf = rh_config_feed_find(c->cfg, d, f);
  if (!cf || (c->dept && strcmp(d, c->dept) != 0) || (c->feed && strcmp(f, c->feed) != 0))
    return 0;
  if (RH_ARRAY_RESERVE(c->e, c->n + 1, c->cap, 64)) return -1;
  entry_t *e = &c->e[c->n];
  memset(e, 0, sizeof *e);
  snprintf(e->batch_id, sizeof e->batch_id, "%.64s", bid);
  rh_chain_link_t l = {.feed = cf, .partition = partition, .offset = offset,
                       .finished_at = fin, .appended_at = appended_at, .tag = c->n};
  snprintf(l.topic, sizeof l.topic, "%s", carrier ? carrier : "");
  snprintf(l.prev, sizeof l.prev, "%.64s", prev);
  int verdict = rh_manifest_check(c->keys, &c->v, carrier, e->why, sizeof e->why);
  if (verdict < 0) return -1;
  l.believed = verdict == 0;
  if (l.believed && rh_manifest_link(&c->v, l.link)) return -1;
  if (rh_chain_add(c->chain, &l)) return -1;
  c->n++;
  return 0;
}

static void when(int64_t ms, char *out, size_t size) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  if (!gmtime_r(&t, &tm) || !strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(out, size, "%" PRId64 " ms", ms);
}

typedef struct {
  const rh_config_feed_t *feed;
  size_t manifests, signed_links, forged, forks, broken;
  const rh_chain_link_t *first_broken;
  char broken_why[200];
  const rh_chain_link_t *forged_list[8];
} feed_result_t;

/* Walks one feed's entries [lo, hi) of the sorted chain. */
static void walk(const rh_chain_t *ch, size_t lo, size_t hi, feed_result_t *r) {
  memset(r, 0, sizeof *r);
  r->feed = rh_chain_at(ch, lo)->feed;
  for (size_t i = lo; i < hi; i++) {
    const rh_chain_link_t *x = rh_chain_at(ch, i);
    rh_chain_verdict_t v = rh_chain_verdict(ch, i, NULL);
    r->manifests++;
    if (v == RH_CHAIN_UNSIGNED) {
      if (r->forged < sizeof r->forged_list / sizeof *r->forged_list) r->forged_list[r->forged] = x;
      r->forged++;
      continue;
    }
    r->forks += v == RH_CHAIN_FORK; /* lists published at once (rh_chain) */
    if (!rh_chain_in_chain(v) && !r->broken++) {
      r->first_broken = x;
      snprintf(r->broken_why, sizeof r->broken_why, "%s", rh_chain_explain(v));
    }
    r->signed_links++;
  }
}

static json_t *entry_json(const replay_chain_t *c, const rh_chain_link_t *x, const char *why) {
  char t[40];
  when(x->finished_at, t, sizeof t);
  json_t *o = json_object();
  json_object_set_new(o, "batch_id", json_string(c->e[x->tag].batch_id));
  json_object_set_new(o, "partition", json_integer(x->partition));
  json_object_set_new(o, "offset", json_integer((json_int_t)x->offset));
  json_object_set_new(o, "finished_at", json_string(t));
  json_object_set_new(o, "reason", json_string(why));
  return o;
}

size_t replay_chain_report(replay_chain_t *c, FILE *out, bool json) {
  rh_chain_sort(c->chain);
  size_t findings = 0, feeds = 0, n = rh_chain_len(c->chain);
  json_t *root = json ? json_object() : NULL, *arr = json ? json_array() : NULL;
  for (size_t lo = 0; lo < n;) {
    size_t hi = lo + 1;
    while (hi < n && rh_chain_at(c->chain, hi)->feed == rh_chain_at(c->chain, lo)->feed) hi++;
    feed_result_t r;
    walk(c->chain, lo, hi, &r);
    feeds++;
    findings += (r.broken > 0) + r.forged;
    const char *d = r.feed->department->code, *f = r.feed->code;
    if (json) {
      json_t *o = json_object();
      json_object_set_new(o, "department", json_string(d));
      json_object_set_new(o, "feed", json_string(f));
      json_object_set_new(o, "manifests", json_integer((json_int_t)r.manifests));
      json_object_set_new(o, "signed", json_integer((json_int_t)r.signed_links));
      json_object_set_new(o, "intact", json_boolean(!r.broken));
      json_object_set_new(o, "broken_links", json_integer((json_int_t)r.broken));
      json_object_set_new(o, "forks", json_integer((json_int_t)r.forks));
      json_object_set_new(o, "first_broken", r.first_broken
                                                 ? entry_json(c, r.first_broken, r.broken_why)
                                                 : json_null());
      json_t *fg = json_array();
      for (size_t i = 0; i < r.forged && i < sizeof r.forged_list / sizeof *r.forged_list; i++)
        json_array_append_new(fg, entry_json(c, r.forged_list[i], c->e[r.forged_list[i]->tag].why));
      json_object_set_new(o, "forged", fg);
      json_object_set_new(o, "forged_count", json_integer((json_int_t)r.forged));
      json_array_append_new(arr, o);
    } else {
      fprintf(out, "%s/%s: %zu manifest(s), %zu signed: chain %s", d, f, r.manifests,
              r.signed_links, r.broken ? "BROKEN" : "intact (链完整)");
      if (r.forks) fprintf(out, ", %zu fork(s) (lists published at once)", r.forks);
      fputc('\n', out);
      if (r.first_broken) {
        char t[40];
        const rh_chain_link_t *x = r.first_broken;
        when(x->finished_at, t, sizeof t);
        fprintf(out, "  first broken link: batch %.12s, %s [%d] offset %" PRId64 ", finished %s: %s\n",
                c->e[x->tag].batch_id, x->topic, (int)x->partition, x->offset, t, r.broken_why);
        if (r.broken > 1) fprintf(out, "  and %zu more broken link(s) after it\n", r.broken - 1);
      }
      for (size_t i = 0; i < r.forged && i < sizeof r.forged_list / sizeof *r.forged_list; i++) {
        const rh_chain_link_t *x = r.forged_list[i];
        fprintf(out, "  FORGED: batch %.12s, %s [%d] offset %" PRId64 ": %s\n",
                c->e[x->tag].batch_id, x->topic, (int)x->partition, x->offset, c->e[x->tag].why);
      }
      if (r.forged > sizeof r.forged_list / sizeof *r.forged_list)
        fprintf(out, "  ... %zu forged in all\n", r.forged);
    }
    lo = hi;
  }
  if (json) {
    json_object_set_new(root, "feeds", arr);
    json_object_set_new(root, "findings", json_integer((json_int_t)findings));
    json_object_set_new(root, "unreadable", json_integer((json_int_t)c->unreadable));
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    if (s) fprintf(out, "%s\n", s);
    free(s);
    json_decref(root);
  } else {
    fprintf(out, "%zu feed(s) with manifests; %zu finding(s)%s\n", feeds, findings,
            findings ? "" : " (无异常)");
    if (c->unreadable)
      fprintf(out, "%" PRIu64 " message(s) of the manifests topics could not be read\n",
              c->unreadable);
  }
  return findings;
}

static int on_message(void *arg, const rd_kafka_message_t *m) {
  return replay_chain_add(arg, rd_kafka_topic_name(m->rkt), m->payload, m->len, m->partition,
                          m->offset, rd_kafka_message_timestamp(m, NULL));
}

int replay_chain_run(const rh_config_t *cfg, const char *schemas_dir, const char *dept,
                     const char *feed, bool json, FILE *out) {
  char err[1024];
  rh_avro_schemas_t *schemas = rh_avro_schemas_new();
  if (!schemas || rh_avro_schemas_load_dir(schemas, schemas_dir, err, sizeof err)) {
    rh_log_error("schemas: %s", schemas ? err : "out of memory");
    rh_avro_schemas_destroy(schemas);
    return RH_EXIT_CONFIG;
  }
  int rc = RH_EXIT_CONFIG;
  replay_chain_t *c = replay_chain_new(cfg, schemas, dept, feed, err, sizeof err);
  if (!c) {
    rh_log_error("%s", err);
    goto out;
  }
  rc = RH_EXIT_UNAVAILABLE;
  rd_kafka_conf_t *conf = rh_kafka_conf_from_config(cfg, err, sizeof err);
  if (!conf) {
    rh_log_error("%s", err);
    rc = RH_EXIT_CONFIG;
    goto out;
  }
  /* the selected department's manifests topic, or every department's (not the
   * shared one of before 2026-12: each feed's chain began again on its own
   * department's topic, its first list there naming none) */
  const char **topics = calloc(cfg->department_count + 1, sizeof *topics);
  size_t nt = 0;
  if (!topics) {
    rd_kafka_conf_destroy(conf);
    rh_log_error("out of memory");
    rc = RH_EXIT_SOFTWARE;
    goto out;
  }
  for (size_t i = 0; i < cfg->department_count; i++)
    if (!dept || strcmp(dept, cfg->departments[i].code) == 0)
      topics[nt++] = cfg->departments[i].manifests_topic;
  int r = rh_kafka_read_topics(conf, topics, nt, NULL, on_message, c, NULL, err, sizeof err);
  free(topics);
  if (r) {
    rh_log_error("reading the manifests topics: %s", err);
    goto out;
  }
  rc = replay_chain_report(c, out, json) ? RH_EXIT_SOFTWARE : RH_EXIT_OK;
out:
  replay_chain_free(c);
  rh_avro_schemas_destroy(schemas);
  return rc;
}
