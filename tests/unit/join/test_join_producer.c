/* join_producer: which fatal errors let the join replace its producer, and
 * the bound on replacements (join_producer.h). No broker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "join_producer.h"

static void test_fenced_is_not_renewable(void **state) {
  (void)state;
  assert_false(join_producer_renewable(RD_KAFKA_RESP_ERR__FENCED));
  assert_false(join_producer_renewable(RD_KAFKA_RESP_ERR_PRODUCER_FENCED));
  assert_false(join_producer_renewable(RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
  assert_false(join_producer_renewable(RD_KAFKA_RESP_ERR_INVALID_TRANSACTION_TIMEOUT));
}

static void test_txn_state_is_renewable(void **state) {
  (void)state;
  /* the freeze: an abort racing AddPartitionsToTxn, a bumped epoch */
  assert_true(join_producer_renewable(RD_KAFKA_RESP_ERR_INVALID_TXN_STATE));
  assert_true(join_producer_renewable(RD_KAFKA_RESP_ERR_INVALID_PRODUCER_ID_MAPPING));
  assert_true(join_producer_renewable(RD_KAFKA_RESP_ERR__INCONSISTENT));
  /* no fatal error: a transaction that did not end */
  assert_true(join_producer_renewable(RD_KAFKA_RESP_ERR_NO_ERROR));
}

static void test_renewals_bounded_in_window(void **state) {
  (void)state;
  join_renewals_t r = {0};
  int64_t t = 1000;
  for (int i = 0; i < JOIN_PRODUCER_RENEW_MAX; i++) assert_int_equal(join_renewals_take(&r, t + i), 0);
  /* one more within the window: refused, and not counted */
  assert_int_equal(join_renewals_take(&r, t + JOIN_PRODUCER_RENEW_WINDOW_MS - 1), -1);
  assert_int_equal(r.n, JOIN_PRODUCER_RENEW_MAX);
  /* the first one left the window: one more is allowed, then refused again */
  assert_int_equal(join_renewals_take(&r, t + JOIN_PRODUCER_RENEW_WINDOW_MS), 0);
  assert_int_equal(join_renewals_take(&r, t + JOIN_PRODUCER_RENEW_WINDOW_MS), -1);
  /* much later: allowed */
  assert_int_equal(join_renewals_take(&r, t + 3 * JOIN_PRODUCER_RENEW_WINDOW_MS), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fenced_is_not_renewable),
      cmocka_unit_test(test_txn_state_is_renewable),
      cmocka_unit_test(test_renewals_bounded_in_window),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
