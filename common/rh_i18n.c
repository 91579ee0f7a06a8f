/* rh_i18n: see rh_i18n.h. */
#include "rh_i18n.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "rh_paths.h"

void rh_i18n_init(void) {
  if (!setlocale(LC_MESSAGES, "")) {
    /* the locale the environment names is not installed here (a minimal
     * system without zh_CN.UTF-8): its language still chooses the catalogue,
     * through LANGUAGE (unless set), which gettext reads in any locale but C */
    const char *want = NULL;
    const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < 3 && !want; i++) {
      const char *v = getenv(vars[i]);
      if (v && *v) want = v;
    }
    char lang[32];
    size_t n = want ? strcspn(want, ".@") : 0;
    if (n > 0 && n < sizeof lang && setlocale(LC_MESSAGES, "C.UTF-8")) {
      memcpy(lang, want, n);
      lang[n] = '\0';
      setenv("LANGUAGE", lang, 0);
    }
  }
  bindtextdomain(RH_TEXTDOMAIN, rh_path_locale());
  bind_textdomain_codeset(RH_TEXTDOMAIN, "UTF-8");
}
