#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Registry authentication and TLS against real registries (Debian's
# docker-registry): htpasswd Basic auth (401 without credentials, --creds,
# --authfile, the default auth files, docker's config.json, the most specific
# auths key, a credential helper), a Bearer token setup (a token server that
# signs real JWTs the registry verifies: anonymous and authenticated tokens,
# one token per scope for a whole pull, identity tokens, push scopes), and TLS
# (the system CAs alone refuse the test CA, --cert-dir, certs.d/<host> in a
# private mount namespace, client certificates, --tls-verify=false).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/image-lib.sh"
. "$HERE/registry-lib.sh"
need_registry
reg_ca
token_start
reg_start B htpasswd
reg_start T token
RB=127.0.0.1:$REG_B
RT=127.0.0.1:$REG_T
mk "$TMP/bb" '{"images":[{"tag":"v1","config":{"Cmd":["/bin/cat","/which"]},"layers":['"$BB"',[{"path":"which","data":"bb\n"}]]}]}'
skopeo_push "oci:$TMP/bb:v1" "$RB/test/bb:v1" && skopeo_push "oci:$TMP/bb:v1" "$RB/test/other:v1" &&
	skopeo_push "oci:$TMP/bb:v1" "$RT/test/bb:v1" && skopeo_push "oci:$TMP/bb:v1" "$RT/public/bb:v1"
check "skopeo pushed through Basic and Bearer auth" [ $? = 0 ]
# pulls into a fresh store each time, so that every pull talks to the registry
n=0
pl() { n=$((n + 1)); "$CTR_DEMO" --root "$ROOT" --store "$TMP/s$n" image pull -q "$@"; }
b64() { printf '%s' "$1" | base64 -w0; }

# --- Basic
OUT=$(pl --cert-dir "$CERTS" "$RB/test/bb:v1" 2>&1)
expect_match "no credentials: 401, and how to log in" "HTTP 401.*wants credentials.*--creds" "$OUT"
OUT=$(pl --cert-dir "$CERTS" --creds "$REG_USER:wrong" "$RB/test/bb:v1" 2>&1)
expect_match "wrong credentials: refused, named" "HTTP 401.*refused the credentials" "$OUT"
OUT=$(pl --cert-dir "$CERTS" --creds "$REG_USER:$REG_PASS" "$RB/test/bb:v1" 2>&1)
expect_eq "--creds user:password (a password with a space)" "$RB/test/bb:v1" "$OUT"
authfile_for "$RB" >"$TMP/a.json"
OUT=$(pl --cert-dir "$CERTS" --authfile "$TMP/a.json" "$RB/test/bb:v1" 2>&1)
expect_eq "--authfile" "$RB/test/bb:v1" "$OUT"
OUT=$(pl --cert-dir "$CERTS" --authfile "$TMP/missing.json" "$RB/test/bb:v1" 2>&1)
expect_match "--authfile that does not exist: an error naming it" "missing.json" "$OUT"
mkdir -p "$XDG_RUNTIME_DIR/containers"
cp "$TMP/a.json" "$XDG_RUNTIME_DIR/containers/auth.json"
OUT=$(pl --cert-dir "$CERTS" "$RB/test/bb:v1" 2>&1)
expect_eq "\$XDG_RUNTIME_DIR/containers/auth.json" "$RB/test/bb:v1" "$OUT"
rm "$XDG_RUNTIME_DIR/containers/auth.json"
OUT=$(REGISTRY_AUTH_FILE=$TMP/a.json pl --cert-dir "$CERTS" "$RB/test/bb:v1" 2>&1)
expect_eq "\$REGISTRY_AUTH_FILE" "$RB/test/bb:v1" "$OUT"
mkdir -p "$HOME/.docker"
printf '{"auths":{"https://%s/v1/":{"auth":"%s"}}}' "$RB" "$(b64 "$REG_USER:$REG_PASS")" >"$HOME/.docker/config.json"
OUT=$(pl --cert-dir "$CERTS" "$RB/test/bb:v1" 2>&1)
expect_eq "~/.docker/config.json with a legacy https://host/v1/ key" "$RB/test/bb:v1" "$OUT"
printf '{"auths":{"%s/test/other":{"auth":"%s"},"%s":{"auth":"%s"}}}' "$RB" "$(b64 "$REG_USER:wrong")" "$RB" \
	"$(b64 "$REG_USER:$REG_PASS")" >"$TMP/spec.json"
OUT=$(pl --cert-dir "$CERTS" --authfile "$TMP/spec.json" "$RB/test/bb:v1" 2>&1;
	pl --cert-dir "$CERTS" --authfile "$TMP/spec.json" "$RB/test/other:v1" 2>&1)
expect_match "the most specific auths key wins (host for test/bb, host/test/other for test/other)" \
	"^$RB/test/bb:v1
.*refused the credentials" "$OUT"
rm -f "$HOME/.docker/config.json"
# a credential helper (docker-credential-<name> get: the server on stdin, JSON on stdout)
mkdir -p "$TMP/bin"
cat >"$TMP/bin/docker-credential-ctrtest" <<EOF
#!/bin/sh
[ "\$1" = get ] || exit 1
read -r server
echo "\$server" >>"$TMP/helper.log"
[ "\$server" = "$RB" ] || { echo "credentials not found in native keychain"; exit 1; }
printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "\$server" "$REG_USER" "$REG_PASS"
EOF
chmod +x "$TMP/bin/docker-credential-ctrtest"
printf '{"credHelpers":{"%s":"ctrtest"}}' "$RB" >"$TMP/helper.json"
OUT=$(PATH=$TMP/bin:$PATH pl --cert-dir "$CERTS" --authfile "$TMP/helper.json" "$RB/test/bb:v1" 2>&1; cat "$TMP/helper.log")
expect_eq "a credential helper (credHelpers): asked for the host, its credentials used" "$RB/test/bb:v1
$RB" "$OUT"
printf '{"credsStore":"nonexistent-helper"}' >"$TMP/store.json"
OUT=$(pl --cert-dir "$CERTS" --authfile "$TMP/store.json" "$RB/test/bb:v1" 2>&1)
expect_match "a credsStore helper that is not installed: named" "docker-credential-nonexistent-helper.*not in PATH" "$OUT"
printf '{"auths":{"%s":{"auth":"%%%%%%"}}}' "$RB" >"$TMP/bad.json"
OUT=$(pl --cert-dir "$CERTS" --authfile "$TMP/bad.json" "$RB/test/bb:v1" 2>&1)
expect_match "a damaged auth entry: the file and the key" "bad.json: auths.\"$RB\".auth: not base64" "$OUT"

# --- TLS
OUT=$(pl --creds "$REG_USER:$REG_PASS" "$RB/test/bb:v1" 2>&1)
expect_match "the system CAs do not know the test CA: a TLS error and the way out" "TLS.*certificate" "$OUT"
OUT=$(pl --tls-verify=false --creds "$REG_USER:$REG_PASS" "$RB/test/bb:v1" 2>&1)
expect_eq "--tls-verify=false" "$RB/test/bb:v1" "$OUT"
if command -v unshare >/dev/null; then
	OUT=$(unshare -m --propagation private sh -c '
		mount -t tmpfs tmpfs /etc/containers && mkdir -p "/etc/containers/certs.d/$1" &&
		cp "$2" "/etc/containers/certs.d/$1/ca.crt" && shift 2 && exec "$@"' sh "$RB" "$PKI/ca.crt" \
		"$CTR_DEMO" --store "$TMP/s-certsd" image pull -q --creds "$REG_USER:$REG_PASS" "$RB/test/bb:v1" 2>&1)
	expect_eq "/etc/containers/certs.d/<host:port>/ca.crt (private mount namespace)" "$RB/test/bb:v1" "$OUT"
else
	skip "certs.d" "no unshare"
fi
# client certificates: a registry that wants one (tls.clientcas)
(
	cd "$PKI" &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout client.key -out client.csr \
			-subj /CN=ctr-test-client &&
		printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >cext &&
		openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2 -extfile cext
) >/dev/null 2>&1
REG_CLIENTCAS=$PKI/ca.crt reg_start C none
mkdir -p "$TMP/client-certs"
cp "$PKI/ca.crt" "$TMP/client-certs/ca.crt"
cp "$PKI/client.crt" "$TMP/client-certs/client.cert"
cp "$PKI/client.key" "$TMP/client-certs/client.key"
skopeo copy -q --dest-cert-dir "$TMP/client-certs" "oci:$TMP/bb:v1" "docker://127.0.0.1:$REG_C/test/bb:v1" >/dev/null 2>&1
OUT=$(pl --cert-dir "$CERTS" "127.0.0.1:$REG_C/test/bb:v1" 2>&1)
# (TLS 1.3: the refusal comes after the client's handshake, as a TLS alert on its read or a reset
# connection on its write; either way the error says what the registry wants)
expect_match "a registry that wants a client certificate refuses us without one, and the error says so" \
	"registry 127.0.0.1:$REG_C \(a registry that requires a TLS client certificate .*<name>.cert and <name>.key in certs.d/127.0.0.1:$REG_C or the --cert-dir directory\): https://" "$OUT"
OUT=$(pl --cert-dir "$TMP/client-certs" "127.0.0.1:$REG_C/test/bb:v1" 2>&1)
expect_eq "a client certificate (<name>.cert + <name>.key in the cert dir)" "127.0.0.1:$REG_C/test/bb:v1" "$OUT"
rm "$TMP/client-certs/client.key"
OUT=$(pl --cert-dir "$TMP/client-certs" "127.0.0.1:$REG_C/test/bb:v1" 2>&1)
expect_match "a client certificate without its key: named" "client.cert: client certificate without its key" "$OUT"

# --- Bearer tokens
: >"$TMP/token.log"
OUT=$(pl --cert-dir "$CERTS" --creds "$REG_USER:$REG_PASS" "$RT/test/bb:v1" 2>&1)
expect_eq "Bearer: pull with credentials" "$RT/test/bb:v1" "$OUT"
expect_eq "Bearer: one token for the whole pull (manifest, config, 2 layers), with the user and the pull scope" \
	"GET /token user=$REG_USER scopes=repository:test/bb:pull" "$(cat "$TMP/token.log")"
OUT=$(pl --cert-dir "$CERTS" "$RT/public/bb:v1" 2>&1)
expect_eq "Bearer: an anonymous token for a public repository" "$RT/public/bb:v1" "$OUT"
OUT=$(pl --cert-dir "$CERTS" "$RT/test/bb:v1" 2>&1)
expect_match "Bearer: anonymous on a private repository: 401 and how to log in" "HTTP 401.*wants credentials" "$OUT"
OUT=$(pl --cert-dir "$CERTS" --creds "$REG_USER:wrong" "$RT/test/bb:v1" 2>&1)
expect_match "Bearer: the token server refuses wrong credentials" "token server .* refused the credentials from --creds" "$OUT"
printf '{"auths":{"%s":{"identitytoken":"refresh-%s"}}}' "$RT" "$REG_USER" >"$TMP/ident.json"
: >"$TMP/token.log"
OUT=$(pl --cert-dir "$CERTS" --authfile "$TMP/ident.json" "$RT/test/bb:v1" 2>&1)
expect_eq "Bearer: an identity token (OAuth2 refresh_token grant)" "$RT/test/bb:v1 POST /token grant=refresh_token" \
	"$OUT $(cat "$TMP/token.log")"
: >"$TMP/token.log"
"$CTR_DEMO" --root "$ROOT" --store "$TMP/s1" image push -q --cert-dir "$CERTS" --creds "$REG_USER:$REG_PASS" \
	"$RB/test/bb:v1" "$RT/pushed/bb:v1" >"$TMP/push.out" 2>&1
expect_eq "Bearer: push (scope pull,push)" "0 GET /token user=$REG_USER scopes=repository:pushed/bb:pull,push" \
	"$? $(sort -u "$TMP/token.log")"
OUT=$(pl --cert-dir "$CERTS" --creds "$REG_USER:$REG_PASS" "$RT/pushed/bb:v1" 2>&1 &&
	"$CTR_DEMO" --root "$ROOT" --store "$TMP/s$n" run --image "$RT/pushed/bb:v1" --name "ra$$" </dev/null 2>&1)
expect_eq "Bearer: the pushed image pulls back and runs" "$RT/pushed/bb:v1
bb" "$OUT"

# --- a token is reused until it expires, then fetched again
token_start 2 token2
reg_start E token
head -c 2000000 /dev/urandom >"$TMP/big.bin"
mk "$TMP/big" '{"images":[{"tag":"v1","layers":[[{"path":"big.bin","file":"'"$TMP/big.bin"'"}],[{"path":"which","data":"x\n"}]]}]}'
skopeo_push "oci:$TMP/big:v1" "127.0.0.1:$REG_E/test/big:v1"
BIGL=$(skopeo inspect --raw --cert-dir "$CERTS" --creds "$REG_USER:$REG_PASS" "docker://127.0.0.1:$REG_E/test/big:v1" |
	jget "$(cat)" 'd["layers"][0]["digest"]')
# the first layer takes ~4 s through the proxy, more than the token's 2 s
proxy_start slow "$REG_E" '[{"match":"GET /v2/test/big/blobs/'"$BIGL"'","rate":500000}]'
: >"$TMP/token2.log"
OUT=$(pl --cert-dir "$CERTS" --creds "$REG_USER:$REG_PASS" --max-transfers 1 "127.0.0.1:$PROXY_slow/test/big:v1" 2>&1)
expect_eq "Bearer: a token of 2 s is fetched again for the layer after a 4 s one" \
	"127.0.0.1:$PROXY_slow/test/big:v1 2" "$OUT $(grep -c 'GET /token' "$TMP/token2.log")"

finish
