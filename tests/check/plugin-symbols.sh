#!/bin/sh
# The plugins export their descriptor and nothing else (GStreamer loads
# gst_plugin_<name>_get_desc; gst_plugin_<name>_register is for static
# builds): every other symbol of theirs (gst_kms_*, gst_drm_*, the element
# types) is internal. And every libdrm function they call exists in the
# libdrm meson asks for, by the version Debian's symbols file gives each.
#
# usage: plugin-symbols.sh LIBDRM_REQUIREMENT PLUGIN.so...
#   LIBDRM_REQUIREMENT as in meson.build, e.g. ">= 2.4.114"
set -u

required=${1#>= }
shift
failed=0

for plugin in "$@"; do
	name=$(basename "$plugin")
	exported=$(nm -D --defined-only "$plugin" | awk '{ print $3 }')
	others=$(echo "$exported" | grep -v '^gst_plugin_' || true)
	if [ -n "$others" ]; then
		echo "FAIL: $name exports $(echo "$others" | wc -l) symbols besides gst_plugin_*:"
		echo "$others" | sed 's/^/  /'
		failed=1
	fi
	if ! echo "$exported" | grep -q '^gst_plugin_.*_get_desc$'; then
		echo "FAIL: $name exports no gst_plugin_*_get_desc"
		failed=1
	fi
	[ "$others" ] || echo "ok: $name exports only: $(echo $exported)"
done

# libdrm: Debian's symbols file names the version that added each function.
symbols=$(ls /var/lib/dpkg/info/libdrm2*.symbols 2>/dev/null | head -n 1)
if [ -z "$symbols" ]; then
	echo "SKIP: libdrm's version check: no Debian libdrm2 symbols file"
	exit $((failed ? 1 : 77))
fi
for plugin in "$@"; do
	for fn in $(nm -D --undefined-only "$plugin" | awk '$2 ~ /^drm/ { sub(/@.*/, "", $2); print $2 }'); do
		since=$(awk -v s="$fn@Base" '$1 == s { print $2 }' "$symbols" | sed 's/-.*//')
		[ -n "$since" ] || continue
		if dpkg --compare-versions "$since" gt "$required"; then
			echo "FAIL: $(basename "$plugin") calls $fn, added in libdrm $since: meson asks only libdrm >= $required"
			failed=1
		fi
	done
done
[ "$failed" = 0 ] && echo "ok: every libdrm function called exists in libdrm $required"
exit "$failed"
