#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Registry pulls against a real registry (Debian's docker-registry, TLS from a
# test CA, htpasswd Basic auth), images pushed with skopeo: pull into the store
# and run, a second pull that transfers no blob (the registry's access log),
# layers partly present, a multi-arch index and --platform, Docker schema 2, a
# zstd layer, unpack docker:// without a store, push (blob skip, cross-repo
# mount, chunked), registries.conf (search registries, short-name-mode,
# aliases, mirrors, blocked, insecure), and through a proxy the test controls:
# a connection cut mid-blob (resumed with Range), a wrong byte (digest
# mismatch), a longer blob, 429 with Retry-After, 503, a redirect to "blob
# storage" on another host (no Authorization sent there) and a cancelled pull;
# every failure leaves the store as it was.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/image-lib.sh"
. "$HERE/registry-lib.sh"
need_registry
reg_ca
reg_start A htpasswd
R=127.0.0.1:$REG_A
AUTH=$TMP/auth.json
authfile_for "$R" >"$AUTH"
# pull ARGS...: ctr-demo image pull with the CA and the credentials
pull() { img image pull -q --cert-dir "$CERTS" --authfile "$AUTH" "$@"; }

# --- images: busybox + a marker layer; a second one sharing the busybox layer; multi-arch; a big layer
mk "$TMP/bb" '{"images":[{"tag":"v1","config":{"Cmd":["/bin/cat","/which"]},"layers":['"$BB"',[{"path":"which","data":"bb\n"}]]}]}'
mk "$TMP/bbu" '{"images":[{"tag":"v1","compress":"none","config":{"Cmd":["/bin/cat","/which"]},"layers":['"$BB"',[{"path":"which","data":"bb\n"}]]}]}'
mk "$TMP/bb2" '{"images":[{"tag":"v1","config":{"Cmd":["/bin/cat","/which"]},"layers":['"$BB"',[{"path":"which","data":"bb2\n"}]]}]}'
mk "$TMP/multi" '{"index":"nested","images":[
 {"tag":"v1","platform":{"os":"linux","architecture":"arm64","variant":"v8"},"layers":[[{"path":"arch","data":"arm64\n"}]]},
 {"tag":"v1","platform":{"os":"linux","architecture":"amd64"},"layers":[[{"path":"arch","data":"amd64\n"}]]}]}'
head -c 3000000 /dev/urandom >"$TMP/big.bin"
mk "$TMP/big" '{"images":[{"tag":"v1","layers":[[{"path":"big.bin","file":"'"$TMP/big.bin"'"}],[{"path":"which","data":"big\n"}]]}]}'
skopeo_push "oci:$TMP/bb:v1" "$R/test/bb:v1" &&
	skopeo_push "oci:$TMP/bb2:v1" "$R/test/bb2:v1" &&
	skopeo_push "oci:$TMP/multi:v1" "$R/test/multi:v1" --all &&
	skopeo_push "oci:$TMP/bb:v1" "$R/test/docker:v1" --format v2s2 &&
	skopeo_push "oci:$TMP/bbu:v1" "$R/test/zstd:v1" --dest-compress --dest-compress-format zstd &&
	skopeo_push "oci:$TMP/big:v1" "$R/test/big:v1"
check "skopeo pushed the test images" [ $? = 0 ]

# --- pull, run, second pull
OUT=$(pull "docker://$R/test/bb:v1" 2>&1)
expect_eq "pull: prints the stored name" "$R/test/bb:v1" "$OUT"
OUT=$(img run --image "$R/test/bb:v1" --name "rp1$$" </dev/null 2>&1)
expect_eq "run the pulled image" "bb" "$OUT"
OUT=$(img image inspect "$R/test/bb:v1" | jget "$(cat)" 'd["source"]')
expect_eq "the record's source" "docker://$R/test/bb:v1" "$OUT"
gets=$(blob_gets A test/bb)
OUT=$(pull "docker://$R/test/bb:v1" 2>&1)
expect_eq "a second pull succeeds and transfers no blob (registry access log)" "$R/test/bb:v1 $gets" \
	"$OUT $(blob_gets A test/bb)"
# a blob in the store whose layer is not (removed here): extracted from the stored blob, nothing fetched
chain=$(img image inspect "$R/test/bb:v1" | jget "$(cat)" 'd["layers"][1]["chainID"].split(":")[1]')
rm -rf "$STORE/layers/sha256/$chain"
OUT=$(pull "docker://$R/test/bb:v1" 2>&1 >/dev/null; img run --image "$R/test/bb:v1" --name "rp0$$" </dev/null 2>&1)
expect_eq "a layer missing but its blob stored: extracted locally, no blob fetched" "bb $gets" "$OUT $(blob_gets A test/bb)"
check "... and the layer is back in the store" [ -d "$STORE/layers/sha256/$chain" ]
# partly present: bb2 shares the busybox layer; only its own layer and config are fetched
OUT=$(pull "docker://$R/test/bb2:v1" 2>&1 >/dev/null && img run --image "$R/test/bb2:v1" --name "rp2$$" </dev/null 2>&1)
expect_eq "pull with a layer present: runs" "bb2" "$OUT"
bb2_gets=$(grep "\"GET /v2/test/bb2/blobs/" "$TMP/reg-A/log" | awk '{print $7}' | sort -u)
layer_bb=$(img image inspect "$R/test/bb:v1" | jget "$(cat)" 'd["layers"][0]["digest"]')
expect_eq "pull with a layer present: 2 blobs fetched (config, top layer)" "2" "$(echo "$bb2_gets" | grep -c .)"
expect_nomatch "pull with a layer present: not the shared layer" "$layer_bb" "$bb2_gets"

# --- multi-arch index, platform selection
host=$(uname -m)
want=$([ "$host" = x86_64 ] && echo amd64 || ([ "$host" = aarch64 ] && echo arm64))
OUT=$(img image unpack -q --cert-dir "$CERTS" --authfile "$AUTH" "docker://$R/test/multi:v1" "$TMP/u-multi" 2>&1; cat "$TMP/u-multi/arch" 2>&1)
if [ -n "$want" ]; then expect_eq "multi-arch index: the host's platform ($host)" "$want" "$OUT"; else skip "host platform" "$host"; fi
OUT=$(pull --platform linux/arm64 "docker://$R/test/multi:v1" multi-arm 2>&1 >/dev/null && img image unpack -q multi-arm "$TMP/u-arm" && cat "$TMP/u-arm/arch")
expect_eq "multi-arch index: --platform linux/arm64" "arm64" "$OUT"
OUT=$(pull --platform linux/s390x "docker://$R/test/multi:v1" 2>&1)
expect_match "multi-arch index: no such platform" "no image for the platform linux/s390x" "$OUT"

# --- Docker schema 2, zstd
OUT=$(pull "docker://$R/test/docker:v1" 2>&1 >/dev/null && img image inspect "$R/test/docker:v1")
expect_match "Docker v2 schema 2 manifest" "application/vnd.docker.image.rootfs.diff.tar.gzip" "$OUT"
OUT=$(img run --image "$R/test/docker:v1" --name "rp3$$" </dev/null 2>&1)
expect_eq "Docker v2 schema 2: runs" "bb" "$OUT"
OUT=$(pull "docker://$R/test/zstd:v1" 2>&1 >/dev/null && img image inspect "$R/test/zstd:v1")
expect_match "zstd layers" "application/vnd.oci.image.layer.v1.tar\+zstd" "$OUT"
OUT=$(img run --image "$R/test/zstd:v1" --name "rp4$$" </dev/null 2>&1)
expect_eq "zstd layers: run" "bb" "$OUT"

# --- the terminal display: a line per layer with its phase, redrawn in place
if command -v script >/dev/null; then
	OUT=$(TERM=xterm script -qec "$CTR_DEMO --store $TMP/tty-store image pull --max-transfers 1 --cert-dir $CERTS \
		--authfile $AUTH docker://$R/test/bb2:v1" /dev/null 2>&1 | tr '\r' '\n')
	expect_match "terminal: the lines are redrawn in place (cursor up 2)" "$(printf '\033')\[2A" "$OUT"
	expect_match "terminal: layer 2 waits while layer 1 transfers (--max-transfers 1)" \
		"layer 2/2 sha256:[0-9a-f]{12} waiting +\[ {24}\]" "$OUT"
	expect_match "terminal: layer 1 downloading with bytes, or already done" \
		"layer 1/2 sha256:[0-9a-f]{12}( downloading +\[[# ]{24}\] [0-9.]+ [KM]?i?B/[0-9.]+ [KM]iB|: done: )" "$OUT"
	expect_match "terminal: both layers end done" \
		"layer 2/2 sha256:[0-9a-f]{12}: done: [0-9.]+ [KM]?i?B, [0-9.]+ [KM]?i?B unpacked, [0-9]+ entries in [0-9]+s" "$OUT"
else
	skip "terminal display" "no script(1)"
fi

# --- unpack docker:// streams to a directory with no store
OUT=$("$CTR_DEMO" --store "$TMP/no-store" image unpack -q --cert-dir "$CERTS" --authfile "$AUTH" \
	"docker://$R/test/bb:v1" "$TMP/u-bb" 2>&1; cat "$TMP/u-bb/which" 2>&1; [ -e "$TMP/no-store" ] && echo "store made")
expect_eq "unpack docker:// into a directory, no store" "bb" "$OUT"

# --- run --image docker:// with --pull
OUT=$("$CTR_DEMO" --root "$ROOT" --store "$TMP/run-store" run --image "docker://$R/test/bb:v1" --cert-dir "$CERTS" \
	--authfile "$AUTH" --name "rp9$$" </dev/null 2>&1)
expect_eq "run --image docker:// with an empty store: pulled (--pull missing is the default), run" "bb" "$OUT"
OUT=$(img run --image "docker://$R/test/bb:v1" --pull never --name "rp5$$" </dev/null 2>&1)
expect_eq "run --image docker:// --pull never: the stored image" "bb" "$OUT"
OUT=$(img run --image "docker://$R/test/nothere:v1" --pull never --name "rp6$$" </dev/null 2>&1)
expect_match "run --pull never: a missing image is an error" "not in the store" "$OUT"
gets=$(blob_gets A test/bb2)
OUT=$(img run --image "docker://$R/test/bb2:v1" --pull always --cert-dir "$CERTS" --authfile "$AUTH" --name "rp7$$" </dev/null 2>&1)
expect_eq "run --pull always: pulls again (the manifest), no blob" "bb2 $gets" "$OUT $(blob_gets A test/bb2)"

# --- push: blob skip, cross-repository mount, chunked upload; pulled back identical
push() { img image push -q --cert-dir "$CERTS" --authfile "$AUTH" "$@"; }
before=$(wc -l <"$TMP/reg-A/log")
OUT=$(push "$R/test/bb:v1" "docker://$R/copy/bb:v2" 2>&1)
check "push a pulled image to another repository" [ -z "$OUT" ]
log=$(tail -n +"$((before + 1))" "$TMP/reg-A/log")
expect_match "push: layers mounted from the image's repository" "POST /v2/copy/bb/blobs/uploads/\?mount=sha256:[0-9a-f]{64}&from=test/bb HTTP/[0-9.]+\" 201" "$log"
before=$(wc -l <"$TMP/reg-A/log")
OUT=$(img image push --progress plain --cert-dir "$CERTS" --authfile "$AUTH" "$R/test/bb:v1" "docker://$R/copy/bb:v2" 2>&1)
log=$(tail -n +"$((before + 1))" "$TMP/reg-A/log")
expect_nomatch "push again: every blob exists (HEAD), none uploaded" "POST /v2/copy/bb/blobs/uploads" "$log"
expect_match "push again, --progress plain: each layer ends as already in the registry (phase EXISTS)" \
	"^layer 1/[0-9]+ sha256:[0-9a-f]{64}: [0-9.]+ [KM]?i?B, already in the registry$" "$OUT"
expect_nomatch "push again, --progress plain: no layer pushed" ", pushed$" "$OUT"
img image import -q "oci:$TMP/big:v1" big-local >/dev/null 2>&1
before=$(wc -l <"$TMP/reg-A/log")
OUT=$(img image push --progress plain --cert-dir "$CERTS" --authfile "$AUTH" --chunk-size 1M big-local \
	"docker://$R/chunked/big:v1" 2>&1)
expect_match "chunked push, --progress plain: the big layer ends as pushed (phase UPLOADING)" \
	"^layer [0-9]+/[0-9]+ sha256:[0-9a-f]{64}: [0-9.]+ MiB, pushed$" "$OUT"
log=$(tail -n +"$((before + 1))" "$TMP/reg-A/log")
check "chunked push: PATCH requests of at most 1 MiB (at least 3 for the 3 MB layer)" \
	[ "$(echo "$log" | grep -c '"PATCH /v2/chunked/big/blobs/uploads/')" -ge 3 ]
OUT=$(pull "docker://$R/chunked/big:v1" 2>&1 >/dev/null && img image inspect "$R/chunked/big:v1" | jget "$(cat)" 'd["manifest"]')
expect_eq "chunked push: pulled back with the same manifest digest" "$(img image inspect big-local | jget "$(cat)" 'd["manifest"]')" "$OUT"
OUT=$(skopeo inspect --cert-dir "$CERTS" --creds "$REG_USER:$REG_PASS" "docker://$R/copy/bb:v2" 2>&1 | jget "$(cat)" 'd["Digest"]')
expect_eq "push: skopeo sees the same manifest digest" "$(img image inspect "$R/test/bb:v1" | jget "$(cat)" 'd["manifest"]')" "$OUT"

# --- failures through a proxy; each leaves the store unchanged and no temporary files
BIGL=$(skopeo inspect --raw --cert-dir "$CERTS" --creds "$REG_USER:$REG_PASS" "docker://$R/test/big:v1" | jget "$(cat)" 'd["layers"][0]["digest"]')
fresh() { rm -rf "$STORE"; img image import -q "oci:$TMP/bb:v1" seed >/dev/null; BEFORE=$(store_state); }
tmp_left() { ls -A "$STORE/tmp"; }
# ppull NAME ARGS...: pull through proxy NAME
ppull() { local p; eval "p=\$PROXY_$1"; shift; img image pull -q --cert-dir "$CERTS" --creds "$REG_USER:$REG_PASS" "docker://127.0.0.1:$p/$1" "${@:2}"; }

proxy_start cut "$REG_A" '[{"match":"GET /v2/test/big/blobs/'"$BIGL"'","cut":1000000}]'
fresh
OUT=$(ppull cut test/big:v1 big-cut 2>&1)
expect_eq "connection cut mid-blob: the pull succeeds" "big-cut" "$OUT"
expect_match "connection cut mid-blob: resumed with Range from the bytes received" "GET /v2/test/big/blobs/$BIGL range=bytes=[1-9][0-9]*- " "$(cat "$TMP/proxy-cut.log")"
OUT=$(img image unpack -q big-cut "$TMP/u-cut" && cmp "$TMP/u-cut/big.bin" "$TMP/big.bin" && echo same)
expect_eq "connection cut mid-blob: the file is intact" "same" "$OUT"

# a byte of the gzip header's MTIME: the layer still inflates, only the digest can tell
proxy_start corrupt "$REG_A" '[{"match":"GET /v2/test/big/blobs/'"$BIGL"'","corrupt":5}]'
fresh
OUT=$(ppull corrupt test/big:v1 2>&1)
expect_match "a wrong byte from the registry: digest mismatch" "digest mismatch: expected $BIGL, got sha256:" "$OUT"
expect_eq "a wrong byte: the store is unchanged, no temporary files" "$BEFORE" "$(store_state)$(tmp_left)"
# a byte of the deflate stream: refused as soon as it is inflated
proxy_start corrupt2 "$REG_A" '[{"match":"GET /v2/test/big/blobs/'"$BIGL"'","corrupt":1500000}]'
OUT=$(ppull corrupt2 test/big:v1 2>&1)
expect_match "a wrong byte in the compressed data: refused while streaming" "layer 1 \\(sha256:.*\\): gzip: " "$OUT"
expect_eq "a wrong byte in the compressed data: the store is unchanged" "$BEFORE" "$(store_state)$(tmp_left)"

proxy_start long "$REG_A" '[{"match":"GET /v2/test/big/blobs/'"$BIGL"'","append":4096}]'
fresh
OUT=$(ppull long test/big:v1 2>&1)
expect_match "a blob longer than its descriptor is refused" "more than the [0-9]+ bytes the descriptor says" "$OUT"
expect_eq "a longer blob: the store is unchanged" "$BEFORE" "$(store_state)$(tmp_left)"

proxy_start busy "$REG_A" '[{"match":"GET /v2/test/bb/manifests/v1","times":2,"status":429,"headers":{"Retry-After":"1"}},
 {"match":"GET /v2/test/bb/blobs/","times":1,"status":503}]'
fresh
s=$(date +%s%N)
OUT=$(ppull busy test/bb:v1 2>&1)
e=$(date +%s%N)
expect_eq "429 with Retry-After and a 503: retried, the pull succeeds" "127.0.0.1:$PROXY_busy/test/bb:v1" "$OUT"
check "429 Retry-After: 1 was honoured twice (>= 2 s)" [ $(((e - s) / 1000000)) -ge 2000 ]
expect_eq "429: three manifest requests" "3" "$(grep -c 'GET /v2/test/bb/manifests/v1' "$TMP/proxy-busy.log")"
proxy_start huge "$REG_A" '[{"match":"GET /v2/test/bb/manifests/v1","append":5000000}]'
fresh
OUT=$(ppull huge test/bb:v1 2>&1)
expect_match "a manifest larger than 4 MiB is refused" "manifests/v1: the response is larger than 4194304 bytes" "$OUT"
expect_eq "a huge manifest: the store is unchanged" "$BEFORE" "$(store_state)$(tmp_left)"
proxy_start busy2 "$REG_A" '[{"match":"GET /v2/test/bb/manifests/v1","times":1,"status":429,"headers":{"Retry-After":"3600"}}]'
OUT=$(ppull busy2 test/bb:v1 2>&1)
expect_match "429 with a long Retry-After: a clear error" "Retry-After 3600 s" "$OUT"

proxy_start redir "$REG_A" '[{"match":"GET /v2/test/big/blobs/'"$BIGL"'","redirect":"https://localhost:@PORT@"}]'
p=$PROXY_redir
fresh
OUT=$(ppull redir test/big:v1 2>&1)
expect_eq "a redirect to blob storage on another host: followed" "127.0.0.1:$p/test/big:v1" "$OUT"
expect_match "the redirect target gets no Authorization header" "GET /_storage/v2/test/big/blobs/$BIGL\?signature=test range=- noauth" "$(cat "$TMP/proxy-redir.log")"

proxy_start slow "$REG_A" '[{"match":"GET /v2/test/big/blobs/'"$BIGL"'","rate":300000}]'
fresh
"$CTR_DEMO" --root "$ROOT" --store "$STORE" image pull --cert-dir "$CERTS" --creds "$REG_USER:$REG_PASS" \
	"docker://127.0.0.1:$PROXY_slow/test/big:v1" >"$TMP/cancel.out" 2>&1 &
pid=$!
for i in $(seq 100); do grep -q "GET /v2/test/big/blobs/$BIGL" "$TMP/proxy-slow.log" && break; sleep 0.1; done
sleep 0.5
left_tmp=$(ls -A "$STORE/tmp" | wc -l)
kill -INT $pid
wait $pid
rc=$?
expect_match "a cancelled pull (SIGINT mid-download): exit 1, cancelled" "^1 .*cancelled" "$rc $(tail -1 "$TMP/cancel.out")"
check "a cancelled pull had work in progress under tmp/" [ "$left_tmp" -ge 1 ]
expect_eq "a cancelled pull: the store is unchanged, no temporary files" "$BEFORE" "$(store_state)$(tmp_left)"

# kill -9 during a pull: the next use of the store removes what it left
proxy_start slow2 "$REG_A" '[{"match":"GET /v2/test/big/blobs/'"$BIGL"'","rate":300000}]'
fresh
"$CTR_DEMO" --root "$ROOT" --store "$STORE" image pull -q --cert-dir "$CERTS" --creds "$REG_USER:$REG_PASS" \
	"docker://127.0.0.1:$PROXY_slow2/test/big:v1" >/dev/null 2>&1 &
pid=$!
for i in $(seq 100); do grep -q "GET /v2/test/big/blobs/$BIGL" "$TMP/proxy-slow2.log" && break; sleep 0.1; done
sleep 0.5
left_tmp=$(ls -A "$STORE/tmp" | wc -l)
kill -9 $pid
wait $pid 2>/dev/null
check "kill -9 mid-pull: it had work in progress under tmp/" [ "$left_tmp" -ge 1 ]
img image ls -q >/dev/null
expect_eq "kill -9 mid-pull: the next store use removes its temporary files; nothing else changed" "$BEFORE" \
	"$(store_state)$(tmp_left)"

# two pulls of the same image into one store at once: both succeed, one extraction per layer
fresh
pids=
for i in 1 2; do
	"$CTR_DEMO" --root "$ROOT" --store "$STORE" image pull -q --cert-dir "$CERTS" --authfile "$AUTH" \
		"docker://$R/test/big:v1" "twin$i" >"$TMP/twin$i.out" 2>&1 &
	pids="$pids $!"
done
wait $pids
OUT=$(cat "$TMP/twin1.out" "$TMP/twin2.out"; img image unpack -q twin2 "$TMP/u-twin" && cmp "$TMP/u-twin/big.bin" "$TMP/big.bin" && echo same)
expect_eq "two concurrent pulls into one store" "twin1
twin2
same" "$OUT"
expect_eq "two concurrent pulls: 2 + 2 layer dirs (the seed's and big's, once), no temporary files" "4 " \
	"$(ls "$STORE/layers/sha256" | wc -l) $(tmp_left)"

# import docker:// is a pull
OUT=$(img image import -q --cert-dir "$CERTS" --authfile "$AUTH" "docker://$R/test/bb:v1" imported-bb 2>&1 &&
	img run --image imported-bb --name "rp10$$" </dev/null 2>&1)
expect_eq "image import docker://... pulls" "bb" "$OUT"

# --- registries.conf
reg_start H none http
cat >"$CONTAINERS_REGISTRIES_CONF" <<EOF
unqualified-search-registries = ["$R"]
short-name-mode = "enforcing"
[aliases]
"mybb" = "$R/test/bb"
EOF
OUT=$(pull test/bb2:v1 2>&1)
expect_eq "a short name through unqualified-search-registries" "$R/test/bb2:v1" "$OUT"
OUT=$(pull mybb:v1 2>&1)
expect_eq "a short name through an alias" "$R/test/bb:v1" "$OUT"
cat >"$CONTAINERS_REGISTRIES_CONF" <<EOF
unqualified-search-registries = ["$R", "quay.io"]
short-name-mode = "enforcing"
EOF
OUT=$(pull test/bb2:v1 2>&1)
expect_match "short-name-mode enforcing with two registries: ambiguous" "short name and 2 registries could serve it.*enforcing" "$OUT"
mkdir -p "$CONTAINERS_REGISTRIES_CONF.d"
cat >"$CONTAINERS_REGISTRIES_CONF.d/50-test.conf" <<EOF
unqualified-search-registries = ["$R"]
[[registry]]
prefix = "mirror.invalid/test"
location = "unreachable.invalid/test"
[[registry.mirror]]
location = "$R/test"
[[registry]]
prefix = "$R/test/blocked"
blocked = true
[[registry]]
location = "127.0.0.1:$REG_H"
insecure = true
EOF
OUT=$(pull test/bb2:v1 2>&1)
expect_eq "registries.conf.d: a drop-in replaces the search list" "$R/test/bb2:v1" "$OUT"
OUT=$(pull mirror.invalid/test/bb:v1 2>&1; img run --image mirror.invalid/test/bb:v1 --name "rp8$$" </dev/null 2>&1)
expect_eq "a mirror serves a name whose own location is unreachable" "mirror.invalid/test/bb:v1
bb" "$OUT"
OUT=$(pull "$R/test/blocked/x:v1" 2>&1)
expect_match "a blocked registry prefix" "registries.conf blocks it.*prefix \"$R/test/blocked\"" "$OUT"
skopeo copy -q --dest-tls-verify=false "oci:$TMP/bb:v1" "docker://127.0.0.1:$REG_H/plain/bb:v1" >/dev/null 2>&1
OUT=$(img image pull -q "127.0.0.1:$REG_H/plain/bb:v1" 2>"$TMP/plain.err"; cat "$TMP/plain.err")
expect_match "an insecure registry over plain http (registries.conf), with a warning" \
	"^127.0.0.1:$REG_H/plain/bb:v1.*using plain http" "$(echo $OUT)"
: >"$CONTAINERS_REGISTRIES_CONF"
rm -rf "$CONTAINERS_REGISTRIES_CONF.d"
OUT=$(img image pull -q "127.0.0.1:$REG_H/plain/bb:v1" 2>&1)
expect_match "plain http without insecure: refused" "TLS|http" "$OUT"
OUT=$(img image pull -q --tls-verify=false "127.0.0.1:$REG_H/plain/bb:v1" plain2 2>/dev/null)
expect_eq "plain http with --tls-verify=false" "plain2" "$OUT"
printf 'unqualified-search-registries = [\n' >"$CONTAINERS_REGISTRIES_CONF"
OUT=$(pull test/bb:v1 2>&1)
expect_match "a broken registries.conf: the file and line" "registries.conf:2: unterminated array" "$OUT"
: >"$CONTAINERS_REGISTRIES_CONF"

finish
