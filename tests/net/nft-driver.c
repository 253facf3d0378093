/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nft-driver: the lib/net/nft.h calls from the command line, for the NAT
 * integration tests (tests/net/nat-*.sh) before the networks reach ctr-demo.
 * Acts on the network namespace it runs in (use `ip netns exec`).
 *
 *   nft-driver init | fini
 *   nft-driver net-add|net-rm NET...
 *   nft-driver port-add|port-rm OWNER PORT...
 *   nft-driver rebuild [NET...] [-- OWNER PORT...]
 *
 * NET:  name,bridge,internal(0|1)[,subnet/prefix...]   e.g. n1,br0,0,10.88.0.0/24,fd00:88::/64
 * PORT: proto/hostip|-/hostport[-end]/containerip/containerport   e.g. tcp/-/8080/10.88.0.2/80
 *
 * Prints the error message and exits 1 (or 3 for EADDRINUSE) on failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctr/ctr.h"
#include "net/nft.h"

static int usage(void)
{
	fprintf(stderr, "usage: nft-driver init|fini|net-add|net-rm|port-add|port-rm|rebuild ... (see the source)\n");
	return 2;
}

static int parse_addr(const char *s, int *family, unsigned char *addr)
{
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

static int parse_net(char *s, struct ctr_nft_net *n)
{
	memset(n, 0, sizeof(*n));
	char *save = NULL;
	n->name = strtok_r(s, ",", &save);
	n->bridge = strtok_r(NULL, ",", &save);
	char *internal = strtok_r(NULL, ",", &save);
	if (!n->name || !n->bridge || !internal)
		return -1;
	n->internal = !strcmp(internal, "1");
	for (char *sub; (sub = strtok_r(NULL, ",", &save));) {
		if (n->n_subnets == CTR_NFT_MAX_SUBNETS)
			return -1;
		char *slash = strchr(sub, '/');
		if (!slash)
			return -1;
		*slash = '\0';
		if (parse_addr(sub, &n->subnets[n->n_subnets].family, n->subnets[n->n_subnets].addr) < 0)
			return -1;
		n->subnets[n->n_subnets++].prefix = (unsigned)atoi(slash + 1);
	}
	return 0;
}

static int parse_port(char *s, const char *owner, struct ctr_nft_port *p)
{
	memset(p, 0, sizeof(*p));
	char *save = NULL;
	char *proto = strtok_r(s, "/", &save), *hip = strtok_r(NULL, "/", &save);
	char *hport = strtok_r(NULL, "/", &save), *cip = strtok_r(NULL, "/", &save);
	char *cport = strtok_r(NULL, "/", &save);
	if (!cport)
		return -1;
	p->proto = !strcmp(proto, "tcp") ? IPPROTO_TCP : !strcmp(proto, "udp") ? IPPROTO_UDP
			: !strcmp(proto, "sctp") ? IPPROTO_SCTP : (uint8_t)atoi(proto);
	if (parse_addr(cip, &p->family, p->container_ip) < 0)
		return -1;
	int fam = p->family;
	if (strcmp(hip, "-") && (parse_addr(hip, &fam, p->host_ip) < 0 || fam != p->family))
		return -1;
	p->host_port = (uint16_t)atoi(hport);
	char *dash = strchr(hport, '-');
	p->host_port_end = dash ? (uint16_t)atoi(dash + 1) : p->host_port;
	p->container_port = (uint16_t)atoi(cport);
	p->owner = owner;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	ctr_error *err = NULL;
	int ret;
	struct ctr_nft_net nets[16];
	struct ctr_nft_port ports[64];
	size_t n_nets = 0, n_ports = 0;

	if (!strcmp(cmd, "init")) {
		ret = ctr_nft_init(&err);
	} else if (!strcmp(cmd, "fini")) {
		ret = ctr_nft_fini(&err);
	} else if (!strcmp(cmd, "net-add") || !strcmp(cmd, "net-rm")) {
		ret = 0;
		for (int i = 2; i < argc && ret == 0; i++) {
			if (parse_net(argv[i], &nets[0]) < 0)
				return usage();
			ret = cmd[4] == 'a' ? ctr_nft_network_add(&nets[0], &err)
					    : ctr_nft_network_remove(&nets[0], &err);
		}
	} else if (!strcmp(cmd, "port-add") || !strcmp(cmd, "port-rm")) {
		if (argc < 4)
			return usage();
		for (int i = 3; i < argc; i++)
			if (n_ports == 64 || parse_port(argv[i], argv[2], &ports[n_ports++]) < 0)
				return usage();
		ret = cmd[5] == 'a' ? ctr_nft_ports_add(ports, n_ports, &err)
				    : ctr_nft_ports_remove(ports, n_ports, &err);
	} else if (!strcmp(cmd, "rebuild")) {
		int i = 2;
		for (; i < argc && strcmp(argv[i], "--"); i++)
			if (n_nets == 16 || parse_net(argv[i], &nets[n_nets++]) < 0)
				return usage();
		if (i < argc) {
			if (i + 1 >= argc)
				return usage();
			const char *owner = argv[i + 1];
			for (i += 2; i < argc; i++)
				if (n_ports == 64 || parse_port(argv[i], owner, &ports[n_ports++]) < 0)
					return usage();
		}
		ret = ctr_nft_rebuild(nets, n_nets, ports, n_ports, &err);
	} else {
		return usage();
	}
	if (ret < 0) {
		fprintf(stderr, "nft-driver %s: %s\n", cmd, ctr_error_message(err));
		ctr_error_free(err);
		return ret == -EADDRINUSE ? 3 : 1;
	}
	return 0;
}
