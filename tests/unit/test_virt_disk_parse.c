/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Domain XML attributes longer than struct vvirt_disk holds are refused, not
 * cut short (found while writing tests/fuzz/fuzz_virt_disk.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "virt/virt.h"

static char *domain(const char *type, const char *device, const char *attr, const char *path)
{
	char *xml = NULL;

	assert_true(asprintf(&xml, "<domain><devices><disk type='%s' device='%s'>"
			     "<driver name='qemu' type='raw' cache='none'/>"
			     "<source %s='%s'/><target dev='vda' bus='virtio'/>"
			     "</disk></devices></domain>", type, device, attr, path) > 0);
	return xml;
}

/* A source of 300 bytes used to be cut to its first 255, which then matched
 * a device of that (other) name. */
static void long_source_is_not_cut_short(void **state)
{
	struct vvirt_disk d;
	struct vh_error e = { 0 };
	char path[301], prefix[256];
	char *xml;

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	memcpy(path, "/dev/mapper/vg-", 15);
	path[300] = '\0';
	memcpy(prefix, path, 255);
	prefix[255] = '\0';
	xml = domain("block", "disk", "dev", path);
	assert_int_equal(vvirt_find_disk(xml, prefix, &d, &e), -ENAMETOOLONG);
	assert_non_null(strstr(e.msg, "longer than"));
	assert_int_equal(vvirt_find_disk(xml, NULL, &d, &e), -ENAMETOOLONG);
	assert_int_equal(vvirt_check_lv_disks(xml, true, &e), -ENAMETOOLONG);
	free(xml);
	/* a file disk (a cdrom image) too */
	path[1] = 'v';
	xml = domain("file", "cdrom", "file", path);
	assert_int_equal(vvirt_check_lv_disks(xml, false, &e), -ENAMETOOLONG);
	free(xml);
	/* what fits is taken whole */
	path[200] = '\0';
	xml = domain("block", "disk", "dev", path);
	assert_int_equal(vvirt_find_disk(xml, path, &d, &e), 0);
	assert_string_equal(d.source, path);
	free(xml);
}

static void long_cache_mode_is_refused(void **state)
{
	struct vvirt_disk d;
	struct vh_error e = { 0 };
	const char *xml = "<domain><devices><disk type='block' device='disk'>"
			  "<driver name='qemu' type='raw' cache='none-and-something-else'/>"
			  "<source dev='/dev/vg/lv0'/></disk></devices></domain>";

	(void)state;
	assert_int_equal(vvirt_find_disk(xml, "/dev/vg/lv0", &d, &e), -ENAMETOOLONG);
}

/* The host networks a domain's NICs use: what S asks D for (issue 22). */
static void interfaces_listed(void **state)
{
	struct vvirt_iface f[5];
	struct vh_error e = { 0 };
	size_t n = 99;
	char name[80], *xml;
	const char *x = "<domain><devices>"
		"<interface type='network'><mac address='52:54:00:00:00:01'/>"
		"<source network='default'/></interface>"
		"<interface type='bridge'><source bridge='br0'/></interface>"
		"<interface type='direct'><source dev='eth1' mode='bridge'/></interface>"
		"<interface type='user'/>"
		"<interface type='bridge'><source network='prod' portid='1' bridge='virbr1'/>"
		"</interface></devices></domain>";

	(void)state;
	assert_int_equal(vvirt_list_ifaces(x, f, 5, &n, &e), 0);
	assert_int_equal(n, 5);
	assert_int_equal(f[0].kind, VVIRT_NET_NETWORK);
	assert_string_equal(f[0].name, "default");
	assert_string_equal(f[0].mac, "52:54:00:00:00:01");
	assert_int_equal(f[1].kind, VVIRT_NET_BRIDGE);
	assert_string_equal(f[1].name, "br0");
	assert_string_equal(f[1].mac, "");
	assert_int_equal(f[2].kind, VVIRT_NET_DIRECT);
	assert_string_equal(f[2].name, "eth1");
	assert_int_equal(f[3].kind, VVIRT_NET_OTHER);
	/* a running domain's NIC on a network, shown by its bridge: the network */
	assert_int_equal(f[4].kind, VVIRT_NET_NETWORK);
	assert_string_equal(f[4].name, "prod");
	assert_string_equal(vvirt_net_kind_name(f[1].kind), "bridge");
	/* more than the caller holds */
	assert_int_equal(vvirt_list_ifaces(x, f, 4, &n, &e), -E2BIG);
	assert_non_null(strstr(e.msg, "more than 4 interfaces"));
	/* none */
	assert_int_equal(vvirt_list_ifaces("<domain><devices/></domain>", f, 4, &n, &e), 0);
	assert_int_equal(n, 0);
	/* a bridge without a name asks nothing of the host */
	assert_int_equal(vvirt_list_ifaces("<domain><devices><interface type='bridge'/></devices>"
					   "</domain>", f, 4, &n, &e), 0);
	assert_int_equal(f[0].kind, VVIRT_NET_OTHER);
	/* a name longer than it holds is refused, not cut short */
	memset(name, 'b', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_true(asprintf(&xml, "<domain><devices><interface type='bridge'><source bridge='%s'/>"
			     "</interface></devices></domain>", name) > 0);
	assert_int_equal(vvirt_list_ifaces(xml, f, 4, &n, &e), -ENAMETOOLONG);
	free(xml);
	assert_int_equal(vvirt_list_ifaces("<domain", f, 4, &n, &e), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(interfaces_listed),
		cmocka_unit_test(long_source_is_not_cut_short),
		cmocka_unit_test(long_cache_mode_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
