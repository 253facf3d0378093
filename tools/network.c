/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr-demo network create|ls|inspect|rm, and the --network/-p/--ip/--alias
 * flags of create and run (cli_net_request), through <ctr/network.h>.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *net_dir(struct cli *cli)
{
	if (cli->net_dir)
		return cli->net_dir;
	const char *e = getenv("CTR_NET_DIR");
	return e && *e ? e : NULL;
}

int cli_net_request(struct cli *cli, const struct net_args *a, ctr_net_request **out)
{
	*out = NULL;
	if (!a->network) {
		if (a->publish.n || a->ip || a->ip6 || a->aliases.n) {
			cli_error(cli, "--publish, --ip, --ip6 and --alias need --network <name>");
			return -1;
		}
		return 0;
	}
	ctr_net_options o;
	ctr_net_options_init(&o);
	o.net_dir = net_dir(cli);
	o.ipv4 = a->ip;
	o.ipv6 = a->ip6;
	o.aliases = a->aliases.v;
	o.publish = a->publish.v;
	ctr_error *err = NULL;
	if (ctr_net_request_new(out, a->network, &o, &err) < 0) {
		cli_error_ctr(cli, err, "--network");
		return -1;
	}
	return 0;
}

/*
 * Parse a subcommand's flags and check that it got min..max positional
 * arguments (max < 0: no limit); *ctx receives the context.  Returns -1 when
 * the caller goes on, else the exit code (help printed, or an error).
 */
static int net_parse(struct cli *cli, const struct cmd_desc *d, struct opt *opts, int argc, char **argv, int min,
		     int max, const char *usage, char ***pos, int *npos, ctr_context **ctx)
{
	*pos = NULL;
	int rc = cli_parse(cli, d, opts, argc, argv, pos, npos);
	if (rc)
		rc = rc < 0 ? 1 : 0;
	else if (*npos < min || (max >= 0 && *npos > max))
		rc = cli_usage_error(cli, usage);
	else if (!(*ctx = cli_context(cli)))
		rc = 1;
	else
		return -1;
	free(*pos);
	*pos = NULL;
	return rc;
}

static int net_create(struct cli *cli, int argc, char **argv)
{
	static const struct cmd_desc d = {
		"network create", "create a bridge network", "[--subnet CIDR]... [--gateway IP] [--mtu N] [--internal] <name>",
		"Creates the network's bridge (over rtnetlink), its firewall entries (nftables) and its\n"
		"definition under the network directory (--net-dir, $CTR_NET_DIR, default " CTR_NETWORK_DIR_DEFAULT ").",
		true};
	struct strv subnets = {0};
	const char *gw = NULL, *gw6 = NULL;
	int mtu = 0;
	bool internal = false;
	struct opt opts[] = {
		{"subnet", 0, OPT_STRV, &subnets, "a subnet in CIDR form, repeatable (one IPv4, one IPv6)", "10.89.0.0/24", false},
		{"gateway", 0, OPT_STRING, &gw, "the IPv4 gateway (the bridge's address)", "first address", false},
		{"gateway6", 0, OPT_STRING, &gw6, "the IPv6 gateway", "first address", false},
		{"mtu", 0, OPT_INT, &mtu, "MTU of the bridge and the containers' interfaces", "1500", false},
		{"internal", 0, OPT_BOOL, &internal, "no outbound traffic (no masquerade, no forwarding out)", NULL, false},
		{0},
	};
	char **pos;
	int npos;
	ctr_context *ctx = NULL;
	int rc = net_parse(cli, &d, opts, argc, argv, 1, 1, "needs exactly one network name", &pos,
			   &npos, &ctx);
	if (rc >= 0) {
		free(subnets.v);
		return rc;
	}
	ctr_network_options o;
	ctr_network_options_init(&o);
	o.subnets = subnets.v;
	/* --gateway with an IPv6 address means the IPv6 gateway */
	if (gw && strchr(gw, ':') && !gw6) {
		gw6 = gw;
		gw = NULL;
	}
	o.gateway = gw;
	o.gateway6 = gw6;
	o.mtu = (unsigned)mtu;
	o.internal = internal;
	ctr_error *err = NULL;
	rc = 0;
	if (ctr_network_create(ctx, net_dir(cli), NULL, pos[0], &o, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		rc = 1;
	} else
		printf("%s\n", pos[0]);
	free(pos);
	free(subnets.v);
	return rc;
}

static int net_ls(struct cli *cli, int argc, char **argv)
{
	static const struct cmd_desc d = {"network ls", "list the networks", "[command options]", NULL, true};
	bool quiet = false;
	const char *format = "table";
	struct opt opts[] = {
		{"quiet", 'q', OPT_BOOL, &quiet, "print the names only", NULL, false},
		{"format", 'f', OPT_STRING, &format, "table or json", "table", false},
		{0},
	};
	char **pos, **names = NULL;
	int npos;
	ctr_context *ctx = NULL;
	int rc = net_parse(cli, &d, opts, argc, argv, 0, 0, "takes no arguments", &pos, &npos, &ctx);
	if (rc >= 0)
		return rc;
	free(pos);
	bool json = !strcmp(format, "json");
	if (!json && strcmp(format, "table")) {
		cli_error(cli, "invalid --format '%s' for 'network ls': use table or json", format);
		return 1;
	}
	rc = 0;
	ctr_error *err = NULL;
	if (ctr_network_list(ctx, net_dir(cli), &names, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		return 1;
	}
	struct table t = {.ncols = 4};
	static const char *const hdr[] = {"NAME", "BRIDGE", "SUBNETS", "CONTAINERS"};
	table_row(&t, hdr);
	json_object *arr = json_object_new_array();
	for (size_t i = 0; names[i]; i++) {
		if (quiet) {
			printf("%s\n", names[i]);
			continue;
		}
		ctr_network *n = NULL;
		char *js = NULL;
		if (ctr_network_open(ctx, net_dir(cli), &n, names[i], &err) < 0 ||
		    ctr_network_inspect_json(n, &js, &err) < 0) {
			cli_error_ctr(cli, err, names[i]);
			err = NULL;
			rc = 1;
		} else {
			json_object *doc = json_tokener_parse(js), *subs, *ctrs, *v;
			json_object *list = json_object_new_array();
			struct buf b = {0};
			size_t nc = 0;
			if (doc && json_object_object_get_ex(doc, "subnets", &subs))
				for (size_t k = 0; k < json_object_array_length(subs); k++)
					if (json_object_object_get_ex(json_object_array_get_idx(subs, k), "subnet", &v)) {
						buf_printf(&b, "%s%s", b.len ? "," : "", json_object_get_string(v));
						json_object_array_add(list, json_object_get(v));
					}
			if (doc && json_object_object_get_ex(doc, "containers", &ctrs))
				nc = json_object_array_length(ctrs);
			if (json) {
				json_object *o = json_object_new_object();
				json_object_object_add(o, "name", json_object_new_string(names[i]));
				json_object_object_add(o, "bridge", json_object_new_string(ctr_network_bridge(n)));
				json_object_object_add(o, "subnets", list);
				json_object_object_add(o, "containers", json_object_new_int64((int64_t)nc));
				json_object_array_add(arr, o);
			} else {
				char cnt[32];
				snprintf(cnt, sizeof(cnt), "%zu", nc);
				const char *row[] = {names[i], ctr_network_bridge(n), b.s ? b.s : "", cnt};
				table_row(&t, row);
				json_object_put(list);
			}
			buf_free(&b);
			json_object_put(doc);
		}
		ctr_free(js);
		ctr_network_free(n);
	}
	if (quiet) {
		table_free(&t);
		json_object_put(arr);
	} else if (cli_print_listing(cli, json, arr, &t))
		rc = 1;
	ctr_strv_free(names);
	return rc;
}

/* inspect and rm: open each named network and print its JSON or delete it. */
static int net_each(struct cli *cli, int argc, char **argv, bool rm)
{
	static const struct cmd_desc di = {"network inspect", "print a network as JSON", "<name>...", NULL, true};
	static const struct cmd_desc dr = {"network rm", "delete networks", "<name>...",
					   "Refused while containers use the network.", true};
	struct opt opts[] = {{0}};
	char **pos;
	int npos;
	ctr_context *ctx = NULL;
	int rc = net_parse(cli, rm ? &dr : &di, opts, argc, argv, 1, -1,
			   "needs at least one network name", &pos, &npos,
			   &ctx);
	if (rc >= 0)
		return rc;
	rc = 0;
	for (int i = 0; i < npos; i++) {
		ctr_network *n = NULL;
		char *js = NULL;
		ctr_error *err = NULL;
		if (ctr_network_open(ctx, net_dir(cli), &n, pos[i], &err) < 0 ||
		    (rm ? ctr_network_delete(n, &err) : ctr_network_inspect_json(n, &js, &err)) < 0) {
			cli_error_ctr(cli, err, NULL);
			rc = 1;
		} else
			printf("%s\n", rm ? pos[i] : js);
		ctr_free(js);
		ctr_network_free(n);
	}
	free(pos);
	return rc;
}

static int net_inspect(struct cli *cli, int argc, char **argv)
{
	return net_each(cli, argc, argv, false);
}

static int net_rm(struct cli *cli, int argc, char **argv)
{
	return net_each(cli, argc, argv, true);
}

static int net_reload(struct cli *cli, int argc, char **argv)
{
	static const struct cmd_desc d = {"network reload", "rebuild the firewall of every network", "",
					  "Rebuilds libctr's nftables table from the networks and their leases, in one "
					  "batch:\nrun it after `nft flush ruleset` or a firewall reload.", true};
	struct opt opts[] = {{0}};
	char **pos;
	int npos;
	ctr_context *ctx = NULL;
	int rc = net_parse(cli, &d, opts, argc, argv, 0, 0, "takes no arguments", &pos, &npos, &ctx);
	if (rc >= 0)
		return rc;
	free(pos);
	ctr_error *err = NULL;
	if (ctr_network_reload(ctx, net_dir(cli), &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		return 1;
	}
	return 0;
}

/* connect/disconnect: an existing container (created without a bridge network). */
static int net_connect(struct cli *cli, int argc, char **argv, bool dis)
{
	static const struct cmd_desc dc = {"network connect", "attach an existing container to a network",
					   "[--ip A] [--ip6 A] [--alias N]... [-p SPEC]... <network> <container>", NULL, true};
	static const struct cmd_desc dd = {"network disconnect", "detach a container from a network",
					   "<network> <container>", NULL, true};
	struct net_args a = {0};
	struct opt opts[] = {
		{"publish", 'p', OPT_STRV, &a.publish, "publish a port, repeatable", NULL, false},
		{"ip", 0, OPT_STRING, &a.ip, "a static IPv4 address", NULL, false},
		{"ip6", 0, OPT_STRING, &a.ip6, "a static IPv6 address", NULL, false},
		{"alias", 0, OPT_STRV, &a.aliases, "another name in the network, repeatable", NULL, false},
		{0},
	};
	char **pos;
	int npos;
	ctr_context *ctx = NULL;
	int rc = net_parse(cli, dis ? &dd : &dc, dis ? opts + 4 : opts, argc, argv, 2, 2,
			   "needs a network and a container", &pos, &npos, &ctx);
	if (rc < 0) {
		ctr_network *n = NULL;
		ctr_container *c = NULL;
		ctr_error *err = NULL;
		ctr_net_options o;
		ctr_net_options_init(&o);
		o.ipv4 = a.ip;
		o.ipv6 = a.ip6;
		o.aliases = a.aliases.v;
		o.publish = a.publish.v;
		rc = 0;
		if (ctr_network_open(ctx, net_dir(cli), &n, pos[0], &err) < 0 ||
		    ctr_container_load(ctx, &c, pos[1], &err) < 0 ||
		    (dis ? ctr_network_detach_container(n, c, &err) : ctr_network_attach_container(n, c, &o, &err)) < 0) {
			cli_error_ctr(cli, err, NULL);
			rc = 1;
		}
		ctr_container_free(c);
		ctr_network_free(n);
		free(pos);
	}
	free(a.publish.v);
	free(a.aliases.v);
	return rc;
}

static int net_connect_cmd(struct cli *cli, int argc, char **argv)
{
	return net_connect(cli, argc, argv, false);
}

static int net_disconnect_cmd(struct cli *cli, int argc, char **argv)
{
	return net_connect(cli, argc, argv, true);
}

int cmd_network(struct cli *cli, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct cli *, int, char **);
	} sub[] = {
		{"create", net_create}, {"ls", net_ls}, {"list", net_ls}, {"inspect", net_inspect},
		{"rm", net_rm}, {"remove", net_rm}, {"reload", net_reload},
		{"connect", net_connect_cmd}, {"disconnect", net_disconnect_cmd},
	};
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("USAGE:\n   " CLI_NAME " network create|ls|inspect|rm|reload|connect|disconnect [options] [arguments...]\n\n"
		       "   create [--subnet CIDR]... [--gateway IP] [--mtu N] [--internal] <name>\n"
		       "   ls [-q]\n   inspect <name>...\n   rm <name>...\n   reload\n"
		       "   connect [--ip A] [--ip6 A] [--alias N]... [-p SPEC]... <network> <container>\n"
		       "   disconnect <network> <container>\n\n"
		       "The network directory is --net-dir, else $CTR_NET_DIR, else " CTR_NETWORK_DIR_DEFAULT ".\n");
		return argc < 2 ? 1 : 0;
	}
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (!strcmp(argv[1], sub[i].name))
			return sub[i].fn(cli, argc - 1, argv + 1);
	cli_error(cli, "unknown network command '%s': use create, ls, inspect, rm, reload, connect or disconnect", argv[1]);
	return 1;
}
