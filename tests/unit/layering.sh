#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The module layering of ../shared/DESIGN.md, checked on the sources: spec
# depends on nothing in libctr; image, net and accel on spec and the base
# (lib/*.c: errors, context, utilities) plus lib/linux's process primitives
# (process.h, procfs.h, sigsafe.h), never on the container lifecycle; only the
# lifecycle (lib/linux) ties them together; ctr-demo's command files never call
# back into its dispatcher (tools/ctr-demo.c defines main and statics only).
# TAP output.
set -u
src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src" || exit 1
n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; sed 's/^/#   /' <<<"$2"; }

# includes of libctr's own headers ("dir/x.h") a module may use, as an ERE on the path
declare -A allowed=(
	[spec]='^(ctr/|internal\.h$|spec/)'
	[image]='^(ctr/|internal\.h$|spec/|image/)'
	[net]='^(ctr/|internal\.h$|spec/|net/|linux/(process|procfs|sigsafe)\.h$)'
	[accel]='^(ctr/|internal\.h$|spec/|accel/|linux/(process|procfs|sigsafe)\.h$)'
)
for mod in spec image net accel; do
	bad=$(grep -Hn '^#include "' lib/$mod/*.[ch] | while IFS= read -r line; do
		inc=${line#*#include \"}
		inc=${inc%%\"*}
		[[ $inc =~ ${allowed[$mod]} ]] || echo "$line"
	done)
	if [ -z "$bad" ]; then ok "lib/$mod includes only the modules below it"; else notok "lib/$mod includes only the modules below it" "$bad"; fi
done

# the lifecycle's handle and its functions (those ctr/container.h declares), outside lib/linux
lifecycle_fns=$(grep -o '\bctr_\(container\|process\)_[a-z_0-9]*(' include/ctr/container.h | sort -u | tr -d '(' | paste -sd'|')
for mod in spec image net accel; do
	bad=$(grep -HnE "\b($lifecycle_fns)\(|struct ctr_container\b|\bctr_container \*" lib/$mod/*.[ch] |
		grep -v ':[0-9]*:\s*\(/\?\*\|//\)')
	if [ -z "$bad" ]; then ok "lib/$mod does not load or use containers"; else notok "lib/$mod does not load or use containers" "$bad"; fi
done

# the base (lib/*.c) below every module except what the context owns for the lifecycle
bad=$(grep -Hn '^#include "' lib/*.c lib/*.h | grep -v '#include "\(ctr/\|internal\.h"\)')
if [ -z "$bad" ]; then ok "lib/*.c (the base) includes no module"; else notok "lib/*.c (the base) includes no module" "$bad"; fi

# tools: the dispatcher is called, never calls back
bad=$(grep -n '^[a-z][a-z_ ]*[ *]\([a-z_0-9]*\)(' tools/ctr-demo.c | grep -v '^[0-9]*:static \|^[0-9]*:int main(')
if [ -z "$bad" ]; then ok "tools/ctr-demo.c exports nothing but main"; else notok "tools/ctr-demo.c exports nothing but main" "$bad"; fi
bad=$(grep -Hn '#include "' tools/*.c | grep -v '#include "cli\.h"')
if [ -z "$bad" ]; then ok "tools include only cli.h (and so only the public API)"; else notok "tools include only cli.h (and so only the public API)" "$bad"; fi
bad=$(grep -Hn '#include' tools/cli.h | grep '"' )
if [ -z "$bad" ]; then ok "tools/cli.h includes only installed headers"; else notok "tools/cli.h includes only installed headers" "$bad"; fi

echo "1..$n"
[ "$fails" -eq 0 ]
