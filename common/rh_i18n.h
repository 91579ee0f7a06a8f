/*
 * rh_i18n: messages in the language of the person who reads them (GNU gettext).
 *
 * The message ids are English; po/zh_CN.po translates them to Chinese. A
 * program that calls rh_i18n_init() speaks its locale's language: a clerk's
 * machine with LANG=zh_CN.UTF-8 gets Chinese, a locale of C or en_* gets
 * English. Programs that never call it (the services: their logs are an
 * operator's) stay English, whatever the locale.
 *
 * Only LC_MESSAGES follows the environment (and LC_CTYPE stays "C"): numbers,
 * dates and amounts are parsed and printed the same way under every locale.
 * The catalogue is <prefix>/share/locale/<lang>/LC_MESSAGES/riskhub.mo
 * (rh_path_locale(), RH_LOCALE_DIR overrides); output is always UTF-8.
 *
 * Mark a message with _("...") where it is printed or formatted, N_("...")
 * where it is only stored (a table) and translated later with _(). A message
 * that goes into a record other programs read (a reason code) is never
 * translated: codes stay English, the text beside them follows the locale.
 */
#ifndef RH_I18N_H
#define RH_I18N_H

#include <libintl.h>

#define RH_TEXTDOMAIN "riskhub"
#define _(msgid) dgettext(RH_TEXTDOMAIN, msgid)
#define N_(msgid) (msgid)

/* setlocale(LC_MESSAGES, "") and the catalogue bound as UTF-8. Idempotent. */
void rh_i18n_init(void);

#endif
