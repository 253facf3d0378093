# Registry helpers for the registry tests (sourced after tests/integration/lib.sh and image-lib.sh).
#
# A real registry: Debian's docker-registry (distribution v2), started by the
# test itself on 127.0.0.1 with its own config, storage and a free port (never
# its systemd service), with TLS from a CA the test makes.  The tests skip only
# when the package cannot be installed; CTR_TESTS_MUST_RUN=1 or CI=true turns
# that into a failure.
#
#   reg_ca                         CA, server (127.0.0.1, localhost) and token-signing certificates in $PKI;
#                                  $CERTS holds ca.crt alone (--cert-dir, skopeo's cert dirs)
#   reg_start NAME AUTH [http]     start a registry (AUTH: none|htpasswd|token), sets REG_<NAME>=port;
#                                  its log (access log included) is $TMP/reg-NAME/log; with
#                                  REG_CLIENTCAS=FILE it wants client certificates signed by FILE
#   token_start [EXPIRES [LOG]]    a token server (registry-helper.py token), sets TOKEN_PORT (a
#                                  registry started next uses it); requests logged in $TMP/LOG.log
#   proxy_start NAME UPSTREAM RULES  the fault proxy in front of 127.0.0.1:UPSTREAM, sets PROXY_<NAME>;
#                                  its request log is $TMP/proxy-NAME.log; @PORT@ in RULES is its port
#   skopeo_push SRC DEST [ARGS]    skopeo copy to docker://DEST with the CA and alice's credentials
#   blob_gets NAME REPO            how many blob GETs the registry's access log shows for REPO
HELPER=$HERE/registry-helper.py
PKI=$TMP/pki
CERTS=$TMP/certs
REG_USER=alice
REG_PASS='s3cret pass'
TOKEN_ISSUER=ctr-test-issuer
TOKEN_SERVICE=ctr-test-registry

# no credentials, registries.conf or certificates of the machine's user: everything is the test's
export HOME=$TMP/home XDG_RUNTIME_DIR=$TMP/run XDG_CONFIG_HOME=$TMP/home/.config
unset REGISTRY_AUTH_FILE DOCKER_CONFIG https_proxy http_proxy HTTPS_PROXY HTTP_PROXY ALL_PROXY all_proxy
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$PKI" "$CERTS"
export CONTAINERS_REGISTRIES_CONF=$TMP/registries.conf
: >"$CONTAINERS_REGISTRIES_CONF"

need_registry() {
	REGBIN=$(command -v docker-registry)
	if [ -z "$REGBIN" ] && [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker-registry \
			apache2-utils >/dev/null 2>&1
		# not the package's own service: each test starts its registries
		[ -d /run/systemd/system ] && systemctl disable --now docker-registry.service >/dev/null 2>&1
		REGBIN=$(command -v docker-registry)
	fi
	local miss=
	[ -n "$REGBIN" ] || miss="docker-registry (apt-get install docker-registry)"
	command -v htpasswd >/dev/null || miss="$miss htpasswd (apt-get install apache2-utils)"
	command -v skopeo >/dev/null || miss="$miss skopeo"
	command -v openssl >/dev/null || miss="$miss openssl"
	PY=
	for p in python3 /usr/bin/python3; do
		"$p" -c 'import cryptography' 2>/dev/null && PY=$p && break
	done
	[ -n "$PY" ] || miss="$miss python3-cryptography"
	if [ -n "$miss" ]; then
		echo "1..0 # SKIP not installed: $miss"
		if [ "${CTR_TESTS_MUST_RUN:-0}" = 1 ] || [ "${CI:-}" = true ]; then
			echo "Bail out! the registry tests must run (CI): install$miss"
			exit 1
		fi
		exit 0
	fi
}

reg_ca() {
	(
		cd "$PKI" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt \
			-days 2 -subj /CN=ctr-test-ca -addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr \
			-subj /CN=127.0.0.1
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile ext
		openssl req -newkey rsa:2048 -nodes -keyout sign.key -out sign.csr -subj /CN=ctr-test-token-signer
		printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n' >sext
		openssl x509 -req -in sign.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out sign.crt -days 2 -extfile sext
	) >"$PKI/openssl.log" 2>&1 || { echo "Bail out! openssl failed: $(tail -5 "$PKI/openssl.log")"; exit 1; }
	cp "$PKI/ca.crt" "$CERTS/ca.crt"
	htpasswd -Bbn "$REG_USER" "$REG_PASS" >"$PKI/htpasswd" 2>/dev/null
}

port() { "$PY" "$HELPER" port; }

# wait_port PORT: until something listens (10 s)
wait_port() {
	local i
	for i in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

reg_start() {
	local name=$1 auth=$2 scheme=${3:-https} p d
	p=$(port)
	d=$TMP/reg-$name
	mkdir -p "$d/storage"
	{
		printf 'version: 0.1\nlog:\n  level: warn\n  formatter: text\n  accesslog:\n    disabled: false\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s/storage\n  delete:\n    enabled: true\n' "$d"
		printf '  maintenance:\n    uploadpurging:\n      enabled: false\n'
		printf 'http:\n  addr: 127.0.0.1:%s\n  secret: ctr-test-secret\n' "$p"
		[ "$scheme" = https ] && printf '  tls:\n    certificate: %s/server.crt\n    key: %s/server.key\n' "$PKI" "$PKI"
		[ "$scheme" = https ] && [ -n "${REG_CLIENTCAS:-}" ] && printf '    clientcas:\n      - %s\n' "$REG_CLIENTCAS"
		case $auth in
		htpasswd) printf 'auth:\n  htpasswd:\n    realm: ctr-test\n    path: %s/htpasswd\n' "$PKI" ;;
		token) printf 'auth:\n  token:\n    realm: https://127.0.0.1:%s/token\n    service: %s\n    issuer: %s\n    rootcertbundle: %s/ca.crt\n' \
			"$TOKEN_PORT" "$TOKEN_SERVICE" "$TOKEN_ISSUER" "$PKI" ;;
		esac
	} >"$d/config.yml"
	"$REGBIN" serve "$d/config.yml" >"$d/log" 2>&1 &
	local pid=$!
	at_cleanup "kill $pid"
	wait_port "$p" || { echo "Bail out! the registry did not start: $(tail -5 "$d/log")"; exit 1; }
	eval "REG_$name=$p"
}

token_start() {
	local log=${2:-token}
	TOKEN_PORT=$(port)
	: >"$TMP/$log.log"
	"$PY" "$HELPER" token --port "$TOKEN_PORT" --cert "$PKI/server.crt" --key "$PKI/server.key" \
		--sign-cert "$PKI/sign.crt" --sign-key "$PKI/sign.key" --issuer "$TOKEN_ISSUER" \
		--service "$TOKEN_SERVICE" --users "$REG_USER:$REG_PASS" --log "$TMP/$log.log" \
		--expires "${1:-300}" >"$TMP/$log.out" 2>&1 &
	at_cleanup "kill $!"
	wait_port "$TOKEN_PORT" || { echo "Bail out! the token server did not start: $(cat "$TMP/$log.out")"; exit 1; }
}

proxy_start() {
	local name=$1 up=$2 rules=$3 p
	p=$(port)
	rules=${rules//@PORT@/$p}
	: >"$TMP/proxy-$name.log"
	"$PY" "$HELPER" proxy --port "$p" --cert "$PKI/server.crt" --key "$PKI/server.key" \
		--upstream "127.0.0.1:$up" --ca "$PKI/ca.crt" --log "$TMP/proxy-$name.log" --rules "$rules" \
		--upstream-creds "$REG_USER:$REG_PASS" >"$TMP/proxy-$name.out" 2>&1 &
	local pid=$!
	at_cleanup "kill $pid"
	eval "PROXY_PID_$name=$pid"
	wait_port "$p" || { echo "Bail out! the proxy did not start: $(cat "$TMP/proxy-$name.out")"; exit 1; }
	eval "PROXY_$name=$p"
}

proxy_stop() { eval "kill \$PROXY_PID_$1" 2>/dev/null; }

skopeo_push() {
	local src=$1 dest=$2
	shift 2
	skopeo copy -q --dest-cert-dir "$CERTS" --dest-creds "$REG_USER:$REG_PASS" "$@" "$src" "docker://$dest" >/dev/null
}

blob_gets() { grep -c "\"GET /v2/$2/blobs/" "$TMP/reg-$1/log"; }

# an auth file with the test user's credentials for host
authfile_for() {
	printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$1" "$(printf '%s' "$REG_USER:$REG_PASS" | base64 -w0)"
}
