#!/bin/sh
#   check_layers.sh - the runtime in lib/ must not depend on acker/
#
#   lib/ knows the acker only through sq_system_task.h (doc/runtime.md);
#   acker/ and local/ may use lib/, never the other way round. Fails when a
#   file in lib/ includes a header of acker/, or when an object built from a
#   lib/ source refers to a symbol that an acker/ object defines. Run by
#   make check after the build, with top_srcdir and top_builddir set.
set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
status=0

for header in "$srcdir"/acker/*.h; do
    name=$(basename "$header")
    if grep -n "#include *\"$name\"" "$srcdir"/lib/*.c "$srcdir"/lib/*.h; then
        echo "check_layers: the lines above in lib/ include acker/$name" >&2
        status=1
    fi
done

#   Objects of the sources in lib/ today (libtool's .libs/ copies, plain
#   ones, per-target renamed ones), so that a stale object of a file that
#   moved away does not count.
work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT
find "$builddir/acker" -name '*.o' >"$work/acker_objects"
for source in "$srcdir"/lib/*.c; do
    base=$(basename "$source" .c)
    find "$builddir/lib" \( -name "$base.o" -o -name "*-$base.o" \) >>"$work/lib_objects"
done
if [ ! -s "$work/acker_objects" ] || [ ! -s "$work/lib_objects" ]; then
    echo "check_layers: no objects under $builddir/lib or $builddir/acker; build first" >&2
    exit 99
fi
xargs nm -g --defined-only <"$work/acker_objects" | awk 'NF == 3 {print $3}' | sort -u \
    >"$work/acker_symbols"
while read -r object; do
    nm -u "$object" | awk '{print $NF}' | grep -Fx -f "$work/acker_symbols" >"$work/used" || true
    if [ -s "$work/used" ]; then
        echo "check_layers: $object refers to acker/ symbols:" $(cat "$work/used") >&2
        status=1
    fi
done <"$work/lib_objects"
exit $status
