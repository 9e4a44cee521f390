/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Disk discovery from domain XML (tests/data/virt/) and the cache-mode check. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "support_common.h"

#include "virt/virt.h"

static char *slurp(const char *path)
{
	char *buf = tsupport_slurp(path, NULL);

	assert_non_null(buf);
	return buf;
}

static void finds_disk_by_path(void **state)
{
	char *xml = slurp("tests/data/virt/two-disks.xml");
	struct vvirt_disk d;
	struct vh_error e = { 0 };

	(void)state;
	assert_int_equal(vvirt_find_disk(xml, "/dev/vg/web-root", &d, &e), 0);
	assert_string_equal(d.target, "vda");
	assert_string_equal(d.bus, "virtio");
	assert_string_equal(d.cache, "none");
	assert_string_equal(d.io, "native");
	assert_string_equal(d.type, "block");
	assert_int_equal(vvirt_check_cache(&d, false, &e), 0);

	/* /dev/vg/LV and /dev/mapper/VG-LV name the same LV (hyphens doubled). */
	assert_int_equal(vvirt_find_disk(xml, "/dev/vg/web-data", &d, &e), 0);
	assert_string_equal(d.source, "/dev/mapper/vg-web--data");
	assert_string_equal(d.bus, "scsi");
	assert_string_equal(d.cache, "writeback");

	assert_int_equal(vvirt_find_disk(xml, "/dev/drbd7", &d, &e), 0);
	assert_string_equal(d.cache, "directsync");
	assert_int_equal(vvirt_check_cache(&d, false, &e), 0);

	assert_int_equal(vvirt_find_disk(xml, "/dev/vg/other", &d, &e), -ENOENT);
	free(xml);
}

static void only_lv_disk_or_ambiguity(void **state)
{
	char *two = slurp("tests/data/virt/two-disks.xml");
	char *one = slurp("tests/data/virt/one-lv-default-cache.xml");
	struct vvirt_disk d;
	struct vh_error e = { 0 };

	(void)state;
	/* Two LV disks (the cdrom file and /dev/drbd7 do not count). */
	assert_int_equal(vvirt_find_disk(two, NULL, &d, &e), -ENOTUNIQ);
	assert_non_null(strstr(e.msg, "2 disks"));
	/* One LV disk; the network disk does not count. */
	assert_int_equal(vvirt_find_disk(one, NULL, &d, &e), 0);
	assert_string_equal(d.source, "/dev/data-vg/db");
	assert_string_equal(d.cache, "");
	free(two);
	free(one);
}

static void unsafe_cache_refused_unless_forced(void **state)
{
	char *one = slurp("tests/data/virt/one-lv-default-cache.xml");
	struct vvirt_disk d;
	struct vh_error e = { 0 };

	(void)state;
	assert_int_equal(vvirt_find_disk(one, NULL, &d, &e), 0);
	assert_int_equal(vvirt_check_cache(&d, false, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "cache='default'"));
	assert_int_equal(vvirt_check_cache(&d, true, &e), 0);
	strcpy(d.cache, "unsafe");
	assert_int_equal(vvirt_check_cache(&d, false, &e), -EINVAL);
	strcpy(d.cache, "writethrough");
	assert_int_equal(vvirt_check_cache(&d, false, &e), -EINVAL);
	d.shareable = true;
	assert_int_equal(vvirt_check_cache(&d, false, &e), 0);
	free(one);
}

static void all_lv_disks_checked(void **state)
{
	char *two = slurp("tests/data/virt/two-disks.xml");
	struct vh_error e = { 0 };

	(void)state;
	/* vda is cache=none, but the second LV disk is writeback. */
	assert_int_equal(vvirt_check_lv_disks(two, false, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "/dev/mapper/vg-web--data"));
	assert_int_equal(vvirt_check_lv_disks(two, true, &e), 0);
	/* No LV disk at all: nothing to refuse. */
	assert_int_equal(vvirt_check_lv_disks("<domain><devices/></domain>", false, &e), 0);
	assert_int_equal(vvirt_check_lv_disks("<domain", false, &e), -EBADMSG);
	free(two);
}

static void bad_xml(void **state)
{
	struct vvirt_disk d;
	struct vh_error e = { 0 };

	(void)state;
	assert_int_equal(vvirt_find_disk("<domain><devices><disk", NULL, &d, &e), -EBADMSG);
	assert_int_equal(vvirt_find_disk("<domain/>", NULL, &d, &e), -ENOENT);
	assert_int_equal(vvirt_find_disk(NULL, NULL, &d, &e), -EINVAL);
	/* No network access, no entity expansion games. */
	assert_int_equal(vvirt_find_disk("<!DOCTYPE d SYSTEM 'http://127.0.0.1:1/x.dtd'><domain/>",
					 NULL, &d, &e), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_disk_by_path),
		cmocka_unit_test(only_lv_disk_or_ambiguity),
		cmocka_unit_test(unsafe_cache_refused_unless_forced),
		cmocka_unit_test(all_lv_disks_checked),
		cmocka_unit_test(bad_xml),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
