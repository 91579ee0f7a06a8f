/* join_checkstate: the state of a period's check lists at a time and the ids
 * of its results (issue 11). The expected ids were computed apart, with
 * Python's hashlib over the NUL-terminated parts (tests/rhtest/join.py's rule). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "join_checkstate.h"

#define NONE JOIN_CHECKSTATE_NONE
static const char MEMBER[] = "11010519491231002X";
static int fa, fb; /* two check feeds' identities (distinct objects) */

/* tax/vehicles: a1 (t 100), corrected by a2 (t 300); finance/public-servants:
 * b1 (t 200) and a copy out of its chain (t 150); a list of another period. */
static const join_checklist_t LISTS[] = {
    {&fa, "tax", "vehicles", "2026-10", "a1", 100, 0, true},
    {&fb, "finance", "public-servants", "2026-10", "b1", 200, 5, true},
    {&fa, "tax", "vehicles", "2026-10", "a2", 300, 1, true},
    {&fa, "tax", "vehicles", "2026-09", "x", 50, 2, true},
    {&fb, "finance", "public-servants", "2026-10", "bc", 150, 4, false},
};
#define N (sizeof LISTS / sizeof LISTS[0])
static const void *const FEEDS[2] = {&fa, &fb};

static void test_state(void **state) {
  (void)state;
  size_t sel[2];
  join_checkstate_at(LISTS, N, FEEDS, 2, "2026-10", 99, sel);
  assert_true(sel[0] == NONE && sel[1] == NONE);
  join_checkstate_at(LISTS, N, FEEDS, 2, "2026-10", 100, sel);
  assert_true(sel[0] == 0 && sel[1] == NONE);
  join_checkstate_at(LISTS, N, FEEDS, 2, "2026-10", 150, sel); /* the copy is no list */
  assert_true(sel[0] == 0 && sel[1] == NONE);
  join_checkstate_at(LISTS, N, FEEDS, 2, "2026-10", 250, sel);
  assert_true(sel[0] == 0 && sel[1] == 1);
  join_checkstate_at(LISTS, N, FEEDS, 2, "2026-10", 300, sel); /* the correction */
  assert_true(sel[0] == 2 && sel[1] == 1);
  join_checkstate_at(LISTS, N, FEEDS, 2, "2026-09", 300, sel);
  assert_true(sel[0] == 3 && sel[1] == NONE);
  int64_t b = 0;
  assert_false(join_checkstate_before(LISTS, N, "2026-10", 100, &b));
  assert_true(join_checkstate_before(LISTS, N, "2026-10", 200, &b));
  assert_int_equal(b, 100);
  assert_true(join_checkstate_before(LISTS, N, "2026-10", 300, &b));
  assert_int_equal(b, 200);
  assert_true(join_checkstate_first(LISTS, N, 0));
  assert_false(join_checkstate_first(LISTS, N, 2));
  assert_true(join_checkstate_first(LISTS, N, 3)); /* its own period */
}

static void id_at(int64_t t, size_t k, char out[RH_SHA256_HEXSZ]) {
  size_t sel[2];
  join_checkstate_at(LISTS, N, FEEDS, 2, "2026-10", t, sel);
  assert_int_equal(join_checkstate_id(LISTS, N, sel, 2, t, k, MEMBER, out), 0);
}

static void test_ids(void **state) {
  (void)state;
  char id[RH_SHA256_HEXSZ];
  /* a first list's first issue: the v1 id of before issue 11 */
  id_at(100, 0, id);
  assert_string_equal(id, "86b854f77980c3935bf5c409f13c2277f1b0ebf69d99d3f48b8ba9201fac25dc");
  /* issued again when b1 arrived: v2 over a1 and the arrived lists, sorted */
  id_at(200, 0, id);
  assert_string_equal(id, "0d07772140a9044523a5013242e7b5c9cbc7865debbc9e6b3f99211306d1014b");
  id_at(200, 1, id);
  assert_string_equal(id, "78849d1aab0e0ee86e2bec576047fbbfe94b99796dcbeb3a83e3cadf0ce38658");
  /* the correction: facts of a2; b1 issued again */
  id_at(300, 0, id);
  assert_string_equal(id, "1b74b5971f67031ae9aff7b066965d57b6e7326e19362bb721dfffafa92a4230");
  id_at(300, 1, id);
  assert_string_equal(id, "6f009b8210c131eeb00cd974cea494c960ac2ce307dfdc7b854ed32d88a45490");
  /* the same state at another time between two lists: the same ids (a re-run) */
  char again[RH_SHA256_HEXSZ];
  id_at(250, 0, again);
  id_at(200, 0, id);
  assert_string_equal(id, again);
  /* the order of the lists in the array does not matter */
  join_checklist_t rev[N];
  for (size_t i = 0; i < N; i++) rev[i] = LISTS[N - 1 - i];
  size_t sel[2];
  join_checkstate_at(rev, N, FEEDS, 2, "2026-10", 300, sel);
  assert_int_equal(join_checkstate_id(rev, N, sel, 2, 300, 0, MEMBER, again), 0);
  assert_string_equal(again, "1b74b5971f67031ae9aff7b066965d57b6e7326e19362bb721dfffafa92a4230");
}

/* Both lists of LISTS' state at 200 sent again (--republish: the same batch
 * ids, linked after them in their chains): a1 at 400, b1 at 500; then a2, a
 * correction, at 600 and a1 once more at 700. */
static const join_checklist_t REP[] = {
    {&fa, "tax", "vehicles", "2026-10", "a1", 100, 0, true},
    {&fb, "finance", "public-servants", "2026-10", "b1", 200, 5, true},
    {&fa, "tax", "vehicles", "2026-10", "a1", 400, 1, true},
    {&fb, "finance", "public-servants", "2026-10", "b1", 500, 6, true},
    {&fa, "tax", "vehicles", "2026-10", "a2", 600, 2, true},
    {&fa, "tax", "vehicles", "2026-10", "a1", 700, 3, true},
};
#define NREP (sizeof REP / sizeof REP[0])

static void rep_id(int64_t t, size_t k, char out[RH_SHA256_HEXSZ]) {
  size_t sel[2];
  join_checkstate_at(REP, NREP, FEEDS, 2, "2026-10", t, sel);
  assert_int_equal(join_checkstate_id(REP, NREP, sel, 2, t, k, MEMBER, out), 0);
}

static void test_republished(void **state) {
  (void)state;
  assert_int_equal(join_checkstate_origin(REP, NREP, 0), 0);
  assert_int_equal(join_checkstate_origin(REP, NREP, 2), 0);
  assert_int_equal(join_checkstate_origin(REP, NREP, 3), 1);
  assert_int_equal(join_checkstate_origin(REP, NREP, 4), 4);
  assert_int_equal(join_checkstate_origin(REP, NREP, 5), 5); /* after a2: a new state */
  char id[RH_SHA256_HEXSZ];
  /* the state restated: the ids of the state at 200, b1's v1 among them */
  for (int64_t t = 400; t <= 500; t += 100) {
    rep_id(t, 0, id);
    assert_string_equal(id, "0d07772140a9044523a5013242e7b5c9cbc7865debbc9e6b3f99211306d1014b");
    rep_id(t, 1, id);
    assert_string_equal(id, "78849d1aab0e0ee86e2bec576047fbbfe94b99796dcbeb3a83e3cadf0ce38658");
  }
  /* the correction as in LISTS */
  rep_id(600, 0, id);
  assert_string_equal(id, "1b74b5971f67031ae9aff7b066965d57b6e7326e19362bb721dfffafa92a4230");
  rep_id(600, 1, id);
  assert_string_equal(id, "6f009b8210c131eeb00cd974cea494c960ac2ce307dfdc7b854ed32d88a45490");
  /* a1 again after a2 corrects it: a new state, v2 (the state of 200 again) */
  rep_id(700, 0, id);
  assert_string_equal(id, "0d07772140a9044523a5013242e7b5c9cbc7865debbc9e6b3f99211306d1014b");
  rep_id(700, 1, id);
  assert_string_not_equal(id, "78849d1aab0e0ee86e2bec576047fbbfe94b99796dcbeb3a83e3cadf0ce38658");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_state),
      cmocka_unit_test(test_ids),
      cmocka_unit_test(test_republished),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
