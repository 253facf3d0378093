#!/bin/bash
# 50 containers attached to one network at once (50 parallel `ctr-demo create`,
# each its own process taking the IPAM lock) get 50 distinct addresses, each
# configured on its eth0; 50 parallel deletes leave no veth and no lease.
# Everything runs in a network namespace made here.
. "$(dirname "$0")/../integration/lib.sh"

NS=ctrt$$-conc
NETS=$TMP/nets
N=${CTR_NET_CONCURRENT:-50}
at_cleanup "ip netns pids $NS 2>/dev/null | xargs -r kill -9; ip netns del $NS"
ip netns add "$NS" || { echo "Bail out! ip netns add $NS"; exit 1; }
nctr() { timeout 120 ip netns exec "$NS" "$CTR_DEMO" --root "$ROOT" --net-dir "$NETS" "$@"; }

nctr network create --subnet 10.78.0.0/24 n1 >/dev/null 2>&1
check "network create" test $? = 0
B=$(mkb bundle)
args "$B" 'sleep 300'

start=$(date +%s.%N)
pids=()
for i in $(seq "$N"); do
	nctr create -b "$B" --network n1 "c$i" </dev/null >"$TMP/create.$i" 2>&1 &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
t=$(echo "$(date +%s.%N) - $start" | bc)
echo "# $N parallel creates with a network: ${t}s"
expect_eq "$N parallel creates succeed" 0 "$fails"
[ "$fails" = 0 ] || cat "$TMP"/create.* | head -5 | sed 's/^/# /'

INS=$(nctr network inspect n1)
expect_eq "$N leases" "$N" "$(jget "$INS" 'len(d["containers"])')"
expect_eq "$N distinct addresses" "$N" "$(jget "$INS" 'len(set(c["ipv4"] for c in d["containers"]))')"
expect_eq "every address is in 10.78.0.0/24 and not the gateway" "$N" \
	"$(jget "$INS" 'len([c for c in d["containers"] if c["ipv4"].startswith("10.78.0.") and c["ipv4"] != "10.78.0.1"])')"
BR=$(jget "$INS" 'd["bridge"]')
expect_eq "$N veths on the bridge" "$N" "$(ip -n "$NS" -o link show master "$BR" | wc -l)"
# each container's eth0 holds the address its lease names
bad=0
while read -r id pid ip; do
	nsenter -t "$pid" -n ip -o -4 addr show dev eth0 2>/dev/null | grep -q "inet $ip/24" || { bad=$((bad + 1)); echo "# $id: no $ip on eth0"; }
done < <(python3 -c 'import json, sys
for c in json.loads(sys.argv[1])["containers"]:
    st = json.load(open(sys.argv[2] + "/" + c["id"] + "/state.json"))
    print(c["id"], st["pid"], c["ipv4"])' "$INS" "$ROOT")
expect_eq "every container's eth0 has its leased address" 0 "$bad"

pids=()
for i in $(seq "$N"); do
	nctr delete -f "c$i" >/dev/null 2>&1 &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
expect_eq "$N parallel deletes succeed" 0 "$fails"
expect_eq "no lease left" 0 "$(jget "$(nctr network inspect n1)" 'len(d["containers"])')"
expect_eq "no veth left" 0 "$(ip -n "$NS" -o link show master "$BR" | wc -l)"
nctr network rm n1 >/dev/null 2>&1
check "network rm" test $? = 0
finish
