/*
 * rh_exit: the exit codes every riskhub program uses, so that a script (or an
 * operator on call) can act on them. Values follow BSD sysexits.h where one fits.
 */
#ifndef RH_EXIT_H
#define RH_EXIT_H

enum {
  RH_EXIT_OK = 0,          /* everything done */
  RH_EXIT_ROWS_REJECTED = 1, /* done, but some input rows were rejected (see the rejects) */
  RH_EXIT_UNHEALTHY = 2,   /* riskhub-health: the hub needs attention (a hanging
                              transaction, or a lag above --max-lag) */
  RH_EXIT_ALREADY_DONE = 3, /* nothing done: it had been done before (riskhub-produce: the
                               list was already published, nothing sent) */
  RH_EXIT_USAGE = 64,      /* wrong command line */
  RH_EXIT_REFUSED = 65,    /* input refused as a whole (bad file, header, period, ...) */
  RH_EXIT_UNAVAILABLE = 69,/* broker or database away, or not everything was delivered */
  RH_EXIT_SOFTWARE = 70,   /* an internal error or a check that found a difference */
  RH_EXIT_IOERR = 74,      /* a file could not be read or written */
  RH_EXIT_TEMPFAIL = 75,   /* busy: another run holds what this one needs (riskhub-receive:
                              another receiver of the department's folder); try later */
  RH_EXIT_NOPERM = 77,     /* the brokers (or the database) refused this principal the
                              operation: another party's credentials are needed */
  RH_EXIT_CONFIG = 78      /* the configuration file (or the schemas) is wrong */
};

#endif
