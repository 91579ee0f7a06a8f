#!/usr/bin/env bash
# The messages' translations (common/rh_i18n.h, docs/conventions.md "Messages").
#
# usage: scripts/i18n.sh update    po/riskhub.pot from the sources (xgettext),
#                                  then every po/<lang>.po merged with it (msgmerge):
#                                  new messages come in untranslated, changed ones
#                                  marked fuzzy; translate them, then build
#        scripts/i18n.sh check     every message of the sources translated in every
#                                  po/<lang>.po, none fuzzy (exit 1 if not)
#
# The build compiles po/<lang>.po with msgfmt --check into
# build/share/locale/<lang>/LC_MESSAGES/riskhub.mo (installed the same way).
set -euo pipefail

RH_PROG=i18n.sh
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$RH_REPO_ROOT"

# What is translated: the clerk's program (riskhub-produce), the township's (riskhub-verify)
# and what they print from common/.
SOURCES=(producers/produce/*.c producers/verify/*.c common/rh_idnum.c common/rh_verify.c)

pot() {
    xgettext --language=C --keyword=_ --keyword=N_ --from-code=UTF-8 --package-name=riskhub \
        --no-location --sort-output -o "$1" "${SOURCES[@]}"
}

case ${1:-} in
    update)
        need_cmd xgettext "run scripts/deps.sh (gettext)"
        pot po/riskhub.pot
        for po in po/*.po; do
            msgmerge --quiet --update --backup=none --no-location "$po" po/riskhub.pot
            say "$po: $(msgfmt --check --statistics -o /dev/null "$po" 2>&1)"
        done
        ;;
    check)
        need_cmd xgettext "run scripts/deps.sh (gettext)"
        tmp=$(mktemp -d)
        trap 'rm -rf "$tmp"' EXIT
        pot "$tmp/riskhub.pot"
        rc=0
        for po in po/*.po; do
            msgmerge --quiet --no-location -o "$tmp/merged.po" "$po" "$tmp/riskhub.pot"
            stats=$(msgfmt --check --statistics -o /dev/null "$tmp/merged.po" 2>&1)
            if [[ $stats == *untranslated* || $stats == *fuzzy* ]]; then
                warn "$po: $stats (run scripts/i18n.sh update and translate)"
                rc=1
            else
                say "$po: $stats"
            fi
        done
        exit $rc
        ;;
    *)
        sed -n '4,11p' "$0" | sed 's/^# //' >&2
        exit 2
        ;;
esac
