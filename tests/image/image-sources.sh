#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Image sources and verification: OCI layouts (tags, nested indexes,
# platforms, unknown media types), OCI and docker archives, digest, size and
# DiffID mismatches (the store is left unchanged), unpack to a directory.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/image-lib.sh"

# --- OCI layout with two tags
mk "$TMP/two" '{"images":[
 {"tag":"one","layers":['"$BB"',[{"path":"which","data":"one\n"}]],"config":{"Cmd":["/bin/cat","/which"]}},
 {"tag":"two","layers":['"$BB"',[{"path":"which","data":"two\n"}]],"config":{"Cmd":["/bin/cat","/which"]}}]}'
OUT=$(img image import -q "oci:$TMP/two:two" t2 2>&1)
check "import oci:<dir>:<tag>" [ $? = 0 ]
OUT=$(img image ls -q)
expect_eq "image ls lists it" "t2" "$OUT"
OUT=$(img image unpack -q "oci:$TMP/two:one" "$TMP/u1" 2>&1; cat "$TMP/u1/which" 2>&1)
expect_eq "unpack a tag from a source, no store needed" "one" "$OUT"
# the writer threads: none, 3 and the default give the same tree (busybox is over 1 MiB: chunked)
tree() { (cd "$1" && find . -mindepth 1 -printf '%p %y %m %U:%G %s %T@ %n %l\n' | sort && find . -type f -exec md5sum {} + | sort); }
img image unpack -q --writer-threads 0 "oci:$TMP/two:one" "$TMP/u1-0" && img image unpack -q --writer-threads 3 "oci:$TMP/two:one" "$TMP/u1-3"
expect_eq "--writer-threads 0 gives the default's tree" "$(tree "$TMP/u1")" "$(tree "$TMP/u1-0")"
expect_eq "--writer-threads 3 gives the default's tree" "$(tree "$TMP/u1")" "$(tree "$TMP/u1-3")"
OUT=$(img image unpack -q --writer-threads -2 "oci:$TMP/two:one" "$TMP/u1-x" 2>&1)
expect_match "a negative --writer-threads is a usage error" "writer-threads" "$OUT"
OUT=$(img image import -q "oci:$TMP/two" 2>&1)
expect_match "no tag with two images: error names the tags" "holds 2 images.*one, two" "$OUT"
OUT=$(img image import -q "oci:$TMP/two:three" 2>&1)
expect_match "unknown tag: clear error" "no image tagged 'three'.*tags: one, two" "$OUT"

# --- unpack target rules
mkdir -p "$TMP/full" && echo x > "$TMP/full/f"
OUT=$(img image unpack -q "oci:$TMP/two:one" "$TMP/full" 2>&1)
expect_match "unpack refuses a non-empty dir" "not empty" "$OUT"
OUT=$(img image unpack -q t2 "$TMP/u2/deep" 2>&1; cat "$TMP/u2/deep/which" 2>&1)
expect_match "unpack a stored image, target created" "^two$" "$OUT"

# --- nested index, unknown media types and files
mk "$TMP/nested" '{"index":"nested","unknown":true,"images":[
 {"tag":"v1","layers":['"$BB"',[{"path":"which","data":"nested\n"}]]}]}'
OUT=$(img image unpack -q "oci:$TMP/nested:v1" "$TMP/u3" 2>&1; cat "$TMP/u3/which" 2>&1)
expect_eq "nested index, unknown media type and file tolerated" "nested" "$OUT"

# --- platform selection from a multi-platform index
mk "$TMP/multi" '{"images":[
 {"platform":{"os":"linux","architecture":"arm64","variant":"v8"},"layers":[[{"path":"arch","data":"arm64\n"}]]},
 {"platform":{"os":"linux","architecture":"amd64"},"layers":[[{"path":"arch","data":"amd64\n"}]]},
 {"platform":{"os":"linux","architecture":"arm","variant":"v7"},"layers":[[{"path":"arch","data":"armv7\n"}]]},
 {"platform":{"os":"linux","architecture":"arm","variant":"v6"},"layers":[[{"path":"arch","data":"armv6\n"}]]}]}'
host=$(uname -m)
want=$([ "$host" = x86_64 ] && echo amd64 || ([ "$host" = aarch64 ] && echo arm64))
OUT=$(img image unpack -q "oci:$TMP/multi" "$TMP/u4" 2>&1; cat "$TMP/u4/arch" 2>&1)
if [ -n "$want" ]; then expect_eq "the host's platform is picked ($host)" "$want" "$OUT"; else skip "host platform" "$host"; fi
OUT=$(img image unpack -q --platform linux/arm64 "oci:$TMP/multi" "$TMP/u5" 2>&1; cat "$TMP/u5/arch" 2>&1)
expect_eq "--platform linux/arm64" "arm64" "$OUT"
OUT=$(img image unpack -q --platform linux/arm/v7 "oci:$TMP/multi" "$TMP/u6" 2>&1; cat "$TMP/u6/arch" 2>&1)
expect_eq "arm/v7 prefers its exact variant over v6" "armv7" "$OUT"
OUT=$(img image unpack -q --platform linux/s390x "oci:$TMP/multi" "$TMP/u7" 2>&1)
expect_match "no image for the platform: clear error, no dir left" "no image for the platform linux/s390x" "$OUT$([ -e "$TMP/u7" ] && echo ' LEFT')"

# --- archives
tar -C "$TMP/two" -cf "$TMP/two.tar" .
OUT=$(img image import -q "oci-archive:$TMP/two.tar:one" arch1 2>&1 && img image unpack -q arch1 "$TMP/u8" && cat "$TMP/u8/which")
expect_eq "oci-archive import" "one" "$OUT"
if command -v skopeo >/dev/null; then
	skopeo copy -q "oci:$TMP/two:two" "docker-archive:$TMP/docker.tar:example/two:latest" >/dev/null 2>&1
	OUT=$(img image import -q "docker-archive:$TMP/docker.tar" 2>&1; img image ls -q)
	expect_match "docker-archive import, named after its RepoTags" "example/two:latest" "$OUT"
	OUT=$(img image unpack -q "docker-archive:$TMP/docker.tar:example/two:latest" "$TMP/u9" 2>&1; cat "$TMP/u9/which" 2>&1)
	expect_eq "docker-archive with a name:tag unpacks" "two" "$OUT"
	OUT=$(img run --image "docker-archive:$TMP/docker.tar" --name "da$$" </dev/null 2>&1)
	expect_eq "run --image docker-archive: the image's Cmd" "two" "$OUT"
else
	skip "docker-archive" "skopeo is not installed"
fi
# a newer docker save: an OCI layout whose manifest.json names blobs/sha256/... (uncompressed layers)
mk "$TMP/d25" '{"images":[{"tag":"latest","compress":"none","config":{"Cmd":["/bin/cat","/which"]},
 "layers":['"$BB"',[{"path":"which","data":"docker25\n"}]]}]}'
python3 - "$TMP/d25" <<'PY'
import json, sys, os
d = sys.argv[1]
idx = json.load(open(os.path.join(d, "index.json")))
man = json.load(open(os.path.join(d, "blobs", *idx["manifests"][0]["digest"].split(":"))))
b = lambda desc: "blobs/sha256/" + desc["digest"].split(":")[1]
json.dump([{"Config": b(man["config"]), "RepoTags": ["example/d25:latest"],
            "Layers": [b(l) for l in man["layers"]]}], open(os.path.join(d, "manifest.json"), "w"))
PY
tar -C "$TMP/d25" -cf "$TMP/d25.tar" .
OUT=$(img image unpack -q "docker-archive:$TMP/d25.tar" "$TMP/u11" 2>&1; cat "$TMP/u11/which" 2>&1)
expect_eq "docker-archive in the newer OCI-layout form" "docker25" "$OUT"
OUT=$(img image import -q "oci-archive:$TMP/nonexistent.tar" 2>&1)
expect_match "missing archive: clear error" "nonexistent.tar: No such file" "$OUT"

# --- verification: the store is left unchanged by every failure
BEFORE=$(store_state)
for what in layer config manifest; do
	for how in digest size; do
		mk "$TMP/bad-$what-$how" '{"corrupt":{"what":"'$what'","how":"'$how'"},"images":[
		 {"tag":"v1","layers":['"$BB"',[{"path":"which","data":"bad\n"}]]}]}'
		OUT=$(img image import -q "oci:$TMP/bad-$what-$how:v1" "bad" 2>&1)
		if [ $how = digest ]; then
			expect_match "$what blob digest mismatch: expected and got" "digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}" "$OUT"
		else
			expect_match "$what blob size mismatch" "size mismatch|expected [0-9]+ bytes|digest mismatch" "$OUT"
		fi
	done
done
mk "$TMP/bad-diffid" '{"images":[{"tag":"v1","bad_diffid":2,"layers":['"$BB"',[{"path":"which","data":"bad\n"}]]}]}'
OUT=$(img image import -q "oci:$TMP/bad-diffid:v1" "bad" 2>&1)
expect_match "DiffID mismatch" "(DiffID|diff_id|diffID).*expected sha256:0{64}" "$OUT"
AFTER=$(store_state)
if [ "$BEFORE" = "$AFTER" ] && [ -z "$(ls -A "$STORE/tmp")" ]; then ok "failed imports left the store unchanged"
else notok "failed imports left the store unchanged" "$(diff <(echo "$BEFORE") <(echo "$AFTER"))" "$(ls -A "$STORE/tmp")"; fi
OUT=$(img image unpack -q "oci:$TMP/bad-diffid:v1" "$TMP/u10" 2>&1; ls -A "$TMP/u10" 2>&1)
expect_match "failed unpack removes the dir it made" "mismatch.*No such file" "$(echo $OUT)"

# --- hostile documents
mk "$TMP/hostile" '{"images":[{"tag":"v1","layers":[]}]}'
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:../../etc","size":1}]}' > "$TMP/hostile/index.json"
OUT=$(img image import -q "oci:$TMP/hostile" 2>&1)
expect_match "bad digest in index.json: error names the file and JSON path" "index.json: manifests\[0\].digest" "$OUT"
printf '{"schemaVersion":2,"manifests":[' > "$TMP/hostile/index.json"
OUT=$(img image import -q "oci:$TMP/hostile" 2>&1)
expect_match "truncated index.json" "index.json: .*(ends early|invalid JSON)" "$OUT"
ln -sf /etc/shadow "$TMP/hostile/index.json"
OUT=$(img image import -q "oci:$TMP/hostile" 2>&1)
expect_match "index.json symlinked out of the layout is not followed outside" "index.json: No such file" "$OUT"

finish
