#!/bin/bash
# The man pages (man/nmcap.1, man/nmlist.1, man/ndisnpp.3), issue 20:
#   - each formats with `groff -ww -z -man` without a warning (and `mandoc -T lint` when installed);
#   - the OPTIONS of nmcap.1 and nmlist.1 name exactly the options of `nmcap --help` and
#     `nmlist --help` (an option added to a tool must be added to both);
#   - their EXIT STATUS lists the codes of the tools' --help (tools/exit_codes.h);
#   - ndisnpp.3's FUNCTION INDEX names exactly the functions netmon.h declares (gcc -aux-info, as
#     header_api.sh reads them), and its CONFIGURATION TAGS every NPP:Config tag the library reads
#     (KNOWN_CONFIG_TAGS in src/npp/config.rs, values from src/blob/names.rs).
# Usage: tool_man.sh SOURCE_DIR NMCAP NMLIST CC
set -u
src="$1"; nmcap="$2"; nmlist="$3"; cc="${4:-cc}"
man="$src/man"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ndisnpp-man-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
command -v groff >/dev/null 2>&1 || { echo "FAIL: groff is not installed (apt-get install groff; scripts/install-deps.sh does)"; exit 1; }

# ---- lint ------------------------------------------------------------------------------------
for page in nmcap.1 nmlist.1 ndisnpp.3; do
    f="$man/$page"
    [ -f "$f" ] || { fail "$f missing"; continue; }
    warnings=$(groff -ww -z -man "$f" 2>&1)
    rc=$?
    if [ $rc -ne 0 ] || [ -n "$warnings" ]; then
        fail "groff -ww -z -man $page: exit $rc: $warnings"
    else
        echo "ok: groff -ww -z -man $page: no warning"
    fi
    if command -v mandoc >/dev/null 2>&1; then
        lint=$(mandoc -T lint -W warning "$f" 2>&1)
        [ -z "$lint" ] || fail "mandoc -T lint $page: $lint"
    fi
done

# section NAME FILE: the lines of man page FILE's section NAME (.SH NAME up to the next .SH).
section() { awk -v s=".SH $1" '$0 == s { on = 1; next } /^\.SH / { on = 0 } on' "$2"; }
# The options a man page's OPTIONS section names: the \- words of each .TP entry's first line.
man_options() {
    section OPTIONS "$1" | awk 'tp { for (i = 2; i <= NF; i++) if ($i ~ /^\\-/) { gsub(/\\/, "", $i); print $i } } { tp = ($1 == ".TP") }' | sort -u
}
# The options --help explains: the option words starting a line "  -x ..." ("  -h, --help": both).
help_options() {
    awk '/^  -/ { print $1; if ($1 ~ /,$/) print $2 }' | sed 's/,$//' | sort -u
}

# ---- options: man page = --help --------------------------------------------------------------
for tool in nmcap nmlist; do
    bin=$([ $tool = nmcap ] && echo "$nmcap" || echo "$nmlist")
    "$bin" --help >"$tmp/$tool.help" 2>&1 || fail "$tool --help exits $?"
    help_options <"$tmp/$tool.help" >"$tmp/$tool.help.opts"
    man_options "$man/$tool.1" >"$tmp/$tool.man.opts"
    if [ "$(wc -l <"$tmp/$tool.help.opts")" -lt 3 ]; then
        fail "$tool --help: found only $(tr '\n' ' ' <"$tmp/$tool.help.opts") as options"
    elif ! cmp -s "$tmp/$tool.help.opts" "$tmp/$tool.man.opts"; then
        fail "$tool: --help and man/$tool.1 do not name the same options: only in --help: $(comm -23 "$tmp/$tool.help.opts" "$tmp/$tool.man.opts" | tr '\n' ' ')only in the man page: $(comm -13 "$tmp/$tool.help.opts" "$tmp/$tool.man.opts" | tr '\n' ' ')"
    else
        echo "ok: $tool: --help and man/$tool.1 name the same $(wc -l <"$tmp/$tool.help.opts") options: $(tr '\n' ' ' <"$tmp/$tool.help.opts")"
    fi
    # Exit status: the codes of the help's table, in the page's EXIT STATUS (.TP then .B N).
    help_codes=$(awk '/^Exit status/ { on = 1; next } on && /^  [0-9]  / { print $1 }' "$tmp/$tool.help" | sort -u | tr '\n' ' ')
    man_codes=$(section "EXIT STATUS" "$man/$tool.1" | awk 'tp && $1 == ".B" { print $2 } { tp = ($1 == ".TP") }' | sort -u | tr '\n' ' ')
    if [ -z "$help_codes" ] || [ "$help_codes" != "$man_codes" ]; then
        fail "$tool: exit codes of --help '$help_codes', of man/$tool.1 '$man_codes'"
    else
        echo "ok: $tool: the exit codes $help_codes in --help and the man page"
    fi
done

# ---- ndisnpp.3: every function, every configuration tag --------------------------------------
printf '#include <netmon.h>\n' >"$tmp/h.c"
"$cc" -std=c99 -I"$src/include" -fsyntax-only -aux-info "$tmp/aux" "$tmp/h.c"
grep '^/\* [^ ]*/netmon\.h:[0-9]*:' "$tmp/aux" | sed -E 's|^/\* [^ ]* \*/ ||; s/ \(.*//; s/.*[^A-Za-z0-9_]//' | sort -u >"$tmp/declared"
section "FUNCTION INDEX" "$man/ndisnpp.3" | awk '$1 == ".BR" || $1 == ".B" { print $2 }' | sort -u >"$tmp/indexed"
if [ "$(wc -l <"$tmp/declared")" -lt 50 ]; then
    fail "only $(wc -l <"$tmp/declared") functions found in netmon.h"
elif ! cmp -s "$tmp/declared" "$tmp/indexed"; then
    fail "ndisnpp.3 FUNCTION INDEX: missing $(comm -23 "$tmp/declared" "$tmp/indexed" | tr '\n' ' ')not in netmon.h: $(comm -13 "$tmp/declared" "$tmp/indexed" | tr '\n' ' ')"
else
    echo "ok: ndisnpp.3's function index names the $(wc -l <"$tmp/declared") functions of netmon.h"
fi
# The tag constants of KNOWN_CONFIG_TAGS, then their values.
sed -n '/^const KNOWN_CONFIG_TAGS/,/^\];/p' "$src/src/npp/config.rs" | grep -o 'TAG_[A-Z0-9_]*' | sort -u >"$tmp/tag_consts"
missing=""
n=0
while read -r c; do
    v=$(sed -n "s/^ *pub const $c: &str = \"\\(.*\\)\";/\\1/p" "$src/src/blob/names.rs" | head -1)
    [ -n "$v" ] || { fail "no value for $c in src/blob/names.rs"; continue; }
    n=$((n + 1))
    section "CONFIGURATION TAGS" "$man/ndisnpp.3" | grep -qF "NPP:Config:$v" || missing="$missing NPP:Config:$v"
done <"$tmp/tag_consts"
if [ $n -lt 20 ]; then
    fail "only $n configuration tags found in src/npp/config.rs"
elif [ -n "$missing" ]; then
    fail "ndisnpp.3 CONFIGURATION TAGS does not name:$missing"
else
    echo "ok: ndisnpp.3 names the $n NPP:Config tags the library reads"
fi

[ $failures -eq 0 ] || { echo "tool_man: $failures failure(s)"; exit 1; }
echo "tool_man: ok"
