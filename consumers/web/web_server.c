/* web_server: see web_server.h. */
#include "web_server.h"

#include <jansson.h>
#include <microhttpd.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rh_file.h"
#include "rh_log.h"
#include "rh_pg.h"
#include "web_api.h"
#include "web_auth.h"
#include "web_publish.h"

#define BODY_MAX 16384
#define COOKIE "rh_session"
#define DB_WAIT_MS 3000
#define STREAM_PING_MS 15000
#define WEB_CONNECTIONS 1000

static const struct {
  const char *path, *file, *type;
} STATIC[] = {{"/", "index.html", "text/html; charset=utf-8"},
              {"/app.js", "app.js", "text/javascript; charset=utf-8"},
              {"/app.css", "app.css", "text/css; charset=utf-8"}};
#define NSTATIC (sizeof STATIC / sizeof STATIC[0])

struct web_server {
  struct MHD_Daemon *d;
  const rh_config_t *cfg;
  web_db_t *db;
  web_events_t *ev;
  web_publish_t *pub;
  web_counts_t *n;
  char *files[NSTATIC];
  size_t sizes[NSTATIC];
};

typedef struct { /* a request's upload */
  char *body;
  size_t len;
  bool too_big;
} upload_t;

static void headers(struct MHD_Response *r, const char *type, bool cache) {
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  MHD_add_response_header(r, "Content-Security-Policy",
                          "default-src 'self'; frame-ancestors 'none'; form-action 'self'");
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache ? "max-age=300" : "no-store");
}

static enum MHD_Result send_cached(struct MHD_Connection *c, unsigned code, void *body,
                                   size_t len, enum MHD_ResponseMemoryMode mode,
                                   const char *type, const char *h1, const char *v1, bool cache) {
  struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
  if (!r) {
    if (mode == MHD_RESPMEM_MUST_FREE) free(body);
    return MHD_NO;
  }
  headers(r, type, cache);
  if (h1) MHD_add_response_header(r, h1, v1);
  enum MHD_Result ok = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned code, void *body, size_t len,
                                enum MHD_ResponseMemoryMode mode, const char *type,
                                const char *h1, const char *v1) {
  return send_cached(c, code, body, len, mode, type, h1, v1, false);
}

/* {"error": msg} */
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned code, const char *msg) {
  json_t *j = json_pack("{s:s}", "error", msg);
  char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!s) return MHD_NO;
  return send_buf(c, code, s, strlen(s), MHD_RESPMEM_MUST_FREE,
                  "application/json; charset=utf-8", NULL, NULL);
}

static enum MHD_Result send_json(struct MHD_Connection *c, char *s, size_t len) {
  return send_buf(c, MHD_HTTP_OK, s, len, MHD_RESPMEM_MUST_FREE,
                  "application/json; charset=utf-8", NULL, NULL);
}

static enum MHD_Result db_away(web_server_t *s, struct MHD_Connection *c, const char *err) {
  atomic_store(&s->n->db_down, 1);
  rh_log_warn("%s", err);
  return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "数据库暂时不可用，请稍后再试");
}

/* The session's user: 1, 0 (none: 401 sent), -1 (the database: 503 sent). */
static int session_user(web_server_t *s, struct MHD_Connection *c, PGconn *pg, web_user_t *u,
                        enum MHD_Result *sent) {
  const char *tok = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE);
  char err[512];
  int found = web_session_find(pg, tok, u, err, sizeof err);
  if (found < 0) *sent = db_away(s, c, err);
  else if (found == 0) *sent = send_error(c, MHD_HTTP_UNAUTHORIZED, "请先登录");
  return found;
}

static enum MHD_Result signin(web_server_t *s, struct MHD_Connection *c, const upload_t *up) {
  json_error_t je;
  json_t *j = json_loadb(up->body ? up->body : "", up->len, 0, &je);
  const char *user = NULL, *pw = NULL;
  if (!j || json_unpack(j, "{s:s, s:s}", "user", &user, "password", &pw)) {
    json_decref(j);
    return send_error(c, MHD_HTTP_BAD_REQUEST, "请填写用户名和密码");
  }
  web_user_t u;
  char token[WEB_TOKEN_HEX + 1], err[512];
  int retry = 0;
  web_signin_t r = web_signin(s->db, user, pw, &u, token, &retry, err, sizeof err);
  json_decref(j);
  if (r == WEB_SIGNIN_ERROR) return db_away(s, c, err);
  if (r == WEB_SIGNIN_BAD) {
    atomic_fetch_add(&s->n->signins_refused, 1);
    return send_error(c, MHD_HTTP_UNAUTHORIZED, "用户名或密码不正确");
  }
  if (r == WEB_SIGNIN_THROTTLED) {
    atomic_fetch_add(&s->n->signins_throttled, 1);
    char msg[128], ra[16];
    snprintf(msg, sizeof msg, "登录失败次数过多，请 %d 秒后再试", retry);
    snprintf(ra, sizeof ra, "%d", retry);
    json_t *e = json_pack("{s:s, s:i}", "error", msg, "retry_after", retry);
    char *b = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    if (!b) return MHD_NO;
    return send_buf(c, MHD_HTTP_TOO_MANY_REQUESTS, b, strlen(b), MHD_RESPMEM_MUST_FREE,
                    "application/json; charset=utf-8", MHD_HTTP_HEADER_RETRY_AFTER, ra);
  }
  atomic_fetch_add(&s->n->signins_ok, 1);
  rh_log_info("signed in: %s", u.username);
  char cookie[200];
  snprintf(cookie, sizeof cookie,
           COOKIE "=%s; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=%d", token,
           WEB_SESSION_HOURS * 3600);
  json_t *me = json_pack("{s:s, s:s, s:s}", "user", u.username, "township", u.township,
                         "display", u.display);
  char *b = me ? json_dumps(me, JSON_COMPACT) : NULL;
  json_decref(me);
  sodium_memzero(token, sizeof token);
  if (!b) return MHD_NO;
  enum MHD_Result ok = send_buf(c, MHD_HTTP_OK, b, strlen(b), MHD_RESPMEM_MUST_FREE,
                                "application/json; charset=utf-8", MHD_HTTP_HEADER_SET_COOKIE,
                                cookie);
  sodium_memzero(cookie, sizeof cookie);
  return ok;
}

/* The township a request may read: the user's own; the bureau names one
 * with ?township=. NULL: 400/403 sent. */
static const char *readable_township(web_server_t *s, struct MHD_Connection *c,
                                     const web_user_t *u, enum MHD_Result *sent) {
  const char *asked = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "township");
  if (u->township[0]) {
    if (asked && strcmp(asked, u->township) != 0) {
      *sent = send_error(c, MHD_HTTP_FORBIDDEN, "只能查看本乡镇的预警");
      return NULL;
    }
    return u->township;
  }
  const rh_config_township_t *t = asked ? rh_config_township_find(s->cfg, asked) : NULL;
  if (!t) {
    *sent = send_error(c, MHD_HTTP_BAD_REQUEST, "请选择乡镇");
    return NULL;
  }
  return t->code; /* a name given: its code */
}

/* Last month in Beijing time, YYYY-MM. */
static void last_month(char out[16]) {
  time_t t = time(NULL) + 8 * 3600;
  struct tm tm;
  gmtime_r(&t, &tm);
  int y = tm.tm_year + 1900, m = tm.tm_mon; /* tm_mon: 0-11, so m is last month 1-12 or 0 */
  if (m == 0) {
    y--;
    m = 12;
  }
  snprintf(out, 16, "%04d-%02d", y, m);
}

static bool period_shape(const char *p) {
  return p && strlen(p) == 7 && p[0] == '2' && p[1] == '0' && p[4] == '-' &&
         strspn(p, "0123456789") == 4 && strspn(p + 5, "0123456789") == 2 &&
         ((p[5] == '0' && p[6] >= '1' && p[6] <= '9') || (p[5] == '1' && p[6] >= '0' && p[6] <= '2'));
}

typedef struct { /* an event stream's state */
  web_server_t *s;
  char township[10];
  uint64_t seen;
  bool greeted;
} stream_t;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  stream_t *st = cls;
  if (!st->greeted) {
    st->greeted = true;
    return snprintf(buf, max, "retry: 3000\n: riskhub\n\n");
  }
  int w = web_events_wait(st->s->ev, st->township, &st->seen, STREAM_PING_MS);
  if (w < 0) return MHD_CONTENT_READER_END_OF_STREAM;
  if (w == 0) return snprintf(buf, max, ": ping\n\n");
  return snprintf(buf, max, "event: warnings\ndata: %llu\n\n", (unsigned long long)st->seen);
}

static void stream_end(void *cls) {
  stream_t *st = cls;
  atomic_fetch_sub(&st->s->n->streams, 1);
  free(st);
}

static enum MHD_Result events(web_server_t *s, struct MHD_Connection *c, const web_user_t *u) {
  stream_t *st = calloc(1, sizeof *st);
  if (!st) return MHD_NO;
  st->s = s;
  snprintf(st->township, sizeof st->township, "%s", u->township);
  st->seen = web_events_count(s->ev, st->township);
  atomic_fetch_add(&s->n->streams, 1);
  struct MHD_Response *r =
      MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, stream_read, st, stream_end);
  if (!r) {
    stream_end(st);
    return MHD_NO;
  }
  headers(r, "text/event-stream; charset=utf-8", false);
  enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result api(web_server_t *s, struct MHD_Connection *c, const char *url,
                           bool post, const upload_t *up) {
  char err[512];
  if (post && strcmp(url, "/api/signin") == 0) return signin(s, c, up);
  PGconn *pg = web_db_take(s->db, DB_WAIT_MS, err, sizeof err);
  if (!pg) return db_away(s, c, err);
  atomic_store(&s->n->db_down, 0);
  enum MHD_Result sent = MHD_NO;
  web_user_t u;
  if (session_user(s, c, pg, &u, &sent) == 1) {
    const char *tw;
    size_t len = 0;
    char *b;
    if (post && strcmp(url, "/api/signout") == 0) {
      char *ok = NULL;
      if (web_session_end(pg, MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE), err,
                          sizeof err))
        sent = db_away(s, c, err); /* the session is not ended: not said to be */
      else if (!(ok = strdup("{}")))
        sent = MHD_NO;
      else
        sent = ok ? send_buf(c, MHD_HTTP_OK, ok, 2, MHD_RESPMEM_MUST_FREE,
                           "application/json; charset=utf-8", MHD_HTTP_HEADER_SET_COOKIE,
                           COOKIE "=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
                : MHD_NO;
    } else if (post && strcmp(url, "/api/outcome") == 0) {
      char msg[300];
      unsigned code = web_api_outcome(pg, s->cfg, s->pub, &u, up->body ? up->body : "",
                                      up->len, msg, sizeof msg);
      if (code == MHD_HTTP_OK) atomic_fetch_add(&s->n->outcomes, 1);
      sent = code == MHD_HTTP_OK ? send_json(c, strdup("{\"ok\":true}"), 11)
                                 : send_error(c, code, msg);
    } else if (post) {
      sent = send_error(c, MHD_HTTP_NOT_FOUND, "没有这个功能");
    } else if (strcmp(url, "/api/me") == 0) {
      const rh_config_township_t *own = rh_config_township_find(s->cfg, u.township);
      const char *name = own ? own->name : NULL;
      json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "user", u.username, "township",
                            u.township, "township_name", name ? name : "", "display", u.display,
                            "county", s->cfg->county_name);
      json_t *towns = json_array();
      for (size_t i = 0; !u.township[0] && i < s->cfg->township_count; i++)
        json_array_append_new(towns, json_pack("{s:s, s:s}", "code", s->cfg->townships[i].code,
                                               "name", s->cfg->townships[i].name));
      json_object_set_new(j, "townships", towns);
      json_object_set_new(j, "reasons", web_api_reasons(s->cfg));
      b = j ? json_dumps(j, JSON_COMPACT) : NULL;
      json_decref(j);
      sent = b ? send_json(c, b, strlen(b)) : MHD_NO;
    } else if (strcmp(url, "/api/warnings") == 0) {
      if ((tw = readable_township(s, c, &u, &sent))) {
        b = web_api_warnings(pg, s->cfg, tw, &len, err, sizeof err);
        sent = b ? send_json(c, b, len) : db_away(s, c, err);
      }
    } else if (strcmp(url, "/api/warnings.csv") == 0) {
      if ((tw = readable_township(s, c, &u, &sent))) {
        b = web_api_warnings_csv(pg, tw, &len, err, sizeof err);
        char disp[96];
        snprintf(disp, sizeof disp, "attachment; filename=\"warnings-%s.csv\"", tw);
        sent = b ? send_buf(c, MHD_HTTP_OK, b, len, MHD_RESPMEM_MUST_FREE,
                            "text/csv; charset=utf-8", MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp)
                 : db_away(s, c, err);
      }
    } else if (strcmp(url, "/api/warnings.xlsx") == 0) {
      if ((tw = readable_township(s, c, &u, &sent))) {
        b = web_api_warnings_xlsx(pg, s->cfg, tw, &len, err, sizeof err);
        char disp[96];
        snprintf(disp, sizeof disp, "attachment; filename=\"warnings-%s.xlsx\"", tw);
        if (b)
          sent = send_buf(c, MHD_HTTP_OK, b, len, MHD_RESPMEM_MUST_FREE,
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp);
        else if (rh_pg_connection_lost(pg) || strstr(err, "PostgreSQL"))
          sent = db_away(s, c, err);
        else {
          rh_log_error("the spreadsheet: %s", err);
          sent = send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "表格生成失败，请下载 CSV");
        }
      }
    } else if (strcmp(url, "/api/summary") == 0) {
      const char *period = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "period");
      char lm[16];
      if (!period) {
        last_month(lm);
        period = lm;
      }
      if (u.township[0]) {
        sent = send_error(c, MHD_HTTP_FORBIDDEN, "全县汇总只对县乡村振兴局开放");
      } else if (!period_shape(period)) {
        sent = send_error(c, MHD_HTTP_BAD_REQUEST, "月份应为 YYYY-MM");
      } else {
        b = web_api_summary(pg, s->cfg, period, &len, err, sizeof err);
        sent = b ? send_json(c, b, len) : db_away(s, c, err);
      }
    } else if (strcmp(url, "/api/events") == 0) {
      web_db_give(s->db, pg); /* the stream holds no connection */
      return events(s, c, &u);
    } else {
      sent = send_error(c, MHD_HTTP_NOT_FOUND, "没有这个功能");
    }
  }
  web_db_give(s->db, pg);
  return sent;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *data_size, void **state) {
  (void)version;
  web_server_t *s = cls;
  bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
  bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
  if (post) { /* collect the body first: this function is called again for each part */
    upload_t *up = *state;
    if (!up) {
      if (!(up = calloc(1, sizeof *up))) return MHD_NO;
      *state = up;
      return MHD_YES;
    }
    if (*data_size) {
      if (up->len + *data_size > BODY_MAX) {
        if (up->too_big) return MHD_NO; /* still sending: close the connection */
        up->too_big = true;
      } else {
        char *nb = realloc(up->body, up->len + *data_size + 1);
        if (!nb) return MHD_NO;
        memcpy(nb + up->len, data, *data_size);
        up->body = nb;
        up->len += *data_size;
        nb[up->len] = '\0';
      }
      *data_size = 0;
      return MHD_YES;
    }
  }
  atomic_fetch_add(&s->n->requests, 1);
  if (!get && !post)
    return send_buf(c, MHD_HTTP_METHOD_NOT_ALLOWED, "", 0, MHD_RESPMEM_PERSISTENT,
                    "text/plain", MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST");
  if (get && strcmp(url, "/healthz") == 0) {
    const char *why = atomic_load(&s->n->db_down) ? "PostgreSQL unavailable\n"
                      : !web_events_listening(s->ev) ? "waiting for PostgreSQL (LISTEN)\n"
                                                    : NULL;
    return send_buf(c, why ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, (void *)(why ? why : "ok\n"),
                    strlen(why ? why : "ok\n"), MHD_RESPMEM_PERSISTENT,
                    "text/plain; charset=utf-8", NULL, NULL);
  }
  if (get) {
    for (size_t i = 0; i < NSTATIC; i++)
      if (strcmp(url, STATIC[i].path) == 0 || (i == 0 && strcmp(url, "/index.html") == 0))
        return send_cached(c, MHD_HTTP_OK, s->files[i], s->sizes[i], MHD_RESPMEM_PERSISTENT,
                           STATIC[i].type, NULL, NULL, true);
  }
  if (strncmp(url, "/api/", 5) != 0) return send_error(c, MHD_HTTP_NOT_FOUND, "没有这个页面");
  const upload_t *up = *state;
  if (post) {
    const char *mark = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Riskhub");
    if (!mark || strcmp(mark, "1") != 0)
      return send_error(c, MHD_HTTP_FORBIDDEN, "请求缺少 X-Riskhub 标记");
    if (up->too_big) return send_error(c, 413 /* content too large */, "请求过大");
  }
  return api(s, c, url, post, up);
}

static void completed(void *cls, struct MHD_Connection *c, void **state,
                      enum MHD_RequestTerminationCode why) {
  (void)cls;
  (void)c;
  (void)why;
  upload_t *up = *state;
  if (up) {
    if (up->body) sodium_memzero(up->body, up->len); /* a password, maybe */
    free(up->body);
    free(up);
    *state = NULL;
  }
}

web_server_t *web_server_start(const rh_listener_t *l, const char *static_dir,
                               const rh_config_t *cfg, web_db_t *db, web_events_t *ev,
                               web_publish_t *pub, web_counts_t *counts, char *err,
                               size_t errsz) {
  web_server_t *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errsz, "out of memory");
    return NULL;
  }
  s->cfg = cfg;
  s->db = db;
  s->ev = ev;
  s->pub = pub;
  s->n = counts;
  for (size_t i = 0; i < NSTATIC; i++) {
    char path[4096], e[512];
    snprintf(path, sizeof path, "%s/%s", static_dir, STATIC[i].file);
    if (rh_file_read_all(path, &s->files[i], &s->sizes[i], e, sizeof e)) {
      snprintf(err, errsz, "the page's files: %s (RH_WEB_DIR names another place)", e);
      goto fail;
    }
  }
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
  if (l->family == AF_INET6) flags |= MHD_USE_IPv6;
  s->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, s, MHD_OPTION_LISTEN_SOCKET, l->fd,
                          MHD_OPTION_NOTIFY_COMPLETED, completed, s,
                          /* every open page holds one event stream, and behind the
                           * county's proxy every page comes from one address: no
                           * limit by address, a thread each with a small stack */
                          MHD_OPTION_CONNECTION_LIMIT, (unsigned)WEB_CONNECTIONS,
                          MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 * 1024),
                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
  if (s->d) return s;
  snprintf(err, errsz, "cannot start the HTTP server on port %d", l->port);
  l = NULL; /* MHD closed the socket on its failure path */
fail:
  if (l) close(l->fd);
  for (size_t i = 0; i < NSTATIC; i++) free(s->files[i]);
  free(s);
  return NULL;
}

void web_server_stop(web_server_t *s) {
  if (!s) return;
  web_events_quit(s->ev); /* the streams end, so their threads can be joined */
  MHD_stop_daemon(s->d);
  web_events_stop(s->ev);
  for (size_t i = 0; i < NSTATIC; i++) free(s->files[i]);
  free(s);
}
