/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Libraries loaded on first use (base/dl.h): the loader's errors; that
 * commands which need none of libvirt, libxml2 and liblvm2cmd load none;
 * and that each, once loaded, works: libvirt through its in-process test
 * driver (test:///default, no libvirtd), liblvm2cmd initialised and
 * released.  The tests run in order: each checks what is loaded so far.
 */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/dl.h"
#include "lvm/lvm.h"
#include "virt/virt-int.h"
#include "../../tools/vmhop.h"

static bool loaded(const char *soname)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);

	if (h)
		dlclose(h);	/* drops only the reference NOLOAD took */
	return h != NULL;
}

struct libc_table {
	size_t (*strlen)(const char *s);
	int (*strcmp)(const char *a, const char *b);
};

static void loader_names_the_missing_library_and_package(void **state)
{
	const struct vh_dl_sym syms[] = {
		{ "strlen", "GLIBC_2.2.5", offsetof(struct libc_table, strlen) },
	};
	struct libc_table t = { 0 };
	struct vh_error e = { 0 };

	(void)state;
	assert_int_equal(vh_dl_open("libvmhop-absent.so.0", "vmhop-absent0", syms, 1, &t, NULL, &e),
			 -ENOPKG);
	assert_int_equal(e.code, -ENOPKG);
	assert_non_null(strstr(e.msg, "libvmhop-absent.so.0 is needed for this command and "
				      "cannot be loaded: "));
	assert_non_null(strstr(e.msg, "(install the package vmhop-absent0)"));
	assert_int_equal(vh_exit_code(e.code), VH_EXIT_UNSUPPORTED);	/* exit 8 */
	assert_null(t.strlen);
}

static void loader_resolves_symbols_at_their_version(void **state)
{
	const struct vh_dl_sym good[] = {
		{ "strlen", "GLIBC_2.2.5", offsetof(struct libc_table, strlen) },
		{ "strcmp", "GLIBC_2.2.5", offsetof(struct libc_table, strcmp) },
	};
	const struct vh_dl_sym newer[] = {
		{ "strlen", "GLIBC_2.2.5", offsetof(struct libc_table, strlen) },
		{ "strcmp", "GLIBC_99.1", offsetof(struct libc_table, strcmp) },
	};
	const struct vh_dl_sym absent[] = {
		{ "vmhop_no_such_function", "GLIBC_2.2.5", offsetof(struct libc_table, strcmp) },
	};
	const struct vh_dl_sym unversioned[] = {
		{ "strlen", NULL, offsetof(struct libc_table, strlen) },
		{ "vmhop_no_such_function", NULL, offsetof(struct libc_table, strcmp) },
	};
	struct libc_table t = { 0 };
	struct vh_error e = { 0 };

	(void)state;
	assert_int_equal(vh_dl_open("libc.so.6", "libc6", good, 2, &t, NULL, &e), 0);
	assert_int_equal(t.strlen("vmhop"), 5);
	assert_int_equal(t.strcmp("a", "a"), 0);

	/* A library without the version node: too old, said so. */
	assert_int_equal(vh_dl_open("libc.so.6", "libc6", newer, 2, &t, NULL, &e), -ENOPKG);
	assert_string_equal(e.msg, "libc.so.6 has no strcmp@GLIBC_99.1: it is older than 99.1 "
				   "(install a newer libc6)");
	assert_int_equal(vh_dl_open("libc.so.6", "libc6", absent, 1, &t, NULL, &e), -ENOPKG);
	assert_non_null(strstr(e.msg, "no vmhop_no_such_function@GLIBC_2.2.5"));

	/* Unversioned (dlsym), as liblvm2cmd's symbols are. */
	memset(&t, 0, sizeof(t));
	assert_int_equal(vh_dl_open("libc.so.6", "libc6", unversioned, 1, &t, NULL, &e), 0);
	assert_int_equal(t.strlen("lvm"), 3);
	assert_int_equal(vh_dl_open("libc.so.6", "libc6", unversioned, 2, &t, NULL, &e), -ENOPKG);
	assert_string_equal(e.msg, "libc.so.6 has no vmhop_no_such_function (install the package libc6)");
}

/* Runs a command family's function with stdout to /dev/null. */
static int run(int (*fn)(struct vh_ctx *, int, char **), int argc, char **argv)
{
	struct vh_ctx ctx = { .prog = "vmhop" };
	FILE *saved = stdout;
	int rc;

	stdout = fopen("/dev/null", "w");
	assert_non_null(stdout);
	rc = fn(&ctx, argc, argv);
	fclose(stdout);
	stdout = saved;
	return rc;
}

#define LVM2CMD "liblvm2cmd.so.2.03"

static void commands_that_need_none_load_none(void **state)
{
	char *dm_help[] = { "dm", "--help", NULL };
	char *meta_help[] = { "meta", "--help", NULL };
	char *drbd_help[] = { "drbd", "--help", NULL };
	char *lvm_help[] = { "lvm", "--help", NULL };
	char *lvm_name[] = { "lvm", "check-name", "vg/lv0", NULL };	/* names: no LVM needed */
	char *virt_help[] = { "virt", "--help", NULL };
	char *virt_bad[] = { "virt", "state", NULL };	/* usage error: nothing to open */

	(void)state;
	assert_false(loaded(VVIRT_LIBVIRT_SONAME));
	assert_int_equal(run(cmd_dm, 2, dm_help), VH_EXIT_OK);
	assert_int_equal(run(cmd_meta, 2, meta_help), VH_EXIT_OK);
	assert_int_equal(run(cmd_drbd, 2, drbd_help), VH_EXIT_OK);
	assert_int_equal(run(cmd_lvm, 2, lvm_help), VH_EXIT_OK);
	assert_int_equal(run(cmd_lvm, 3, lvm_name), VH_EXIT_OK);
	assert_int_equal(run(cmd_virt, 2, virt_help), VH_EXIT_OK);
	assert_int_equal(run(cmd_virt, 2, virt_bad), VH_EXIT_USAGE);
	assert_false(loaded(VVIRT_LIBVIRT_SONAME));
	assert_false(loaded(VVIRT_LIBXML2_SONAME));
	assert_false(loaded(LVM2CMD));
}

static void disk_parser_loads_libxml2_only(void **state)
{
	const char *xml = "<domain><devices><disk type='block' device='disk'>"
			  "<driver name='qemu' cache='none'/><source dev='/dev/vg/vm1'/>"
			  "<target dev='vda' bus='virtio'/></disk></devices></domain>";
	struct vvirt_disk d;
	struct vh_error e = { 0 };

	(void)state;
	assert_int_equal(vvirt_find_disk(xml, NULL, &d, &e), 0);
	assert_string_equal(d.source, "/dev/vg/vm1");
	assert_string_equal(d.cache, "none");
	assert_true(loaded(VVIRT_LIBXML2_SONAME));
	assert_false(loaded(VVIRT_LIBVIRT_SONAME));
}

static void libvirt_is_loaded_on_first_open(void **state)
{
	struct vvirt_conn *c;
	struct vvirt_dom *d;
	struct vh_error e = { 0 };
	char *xml = NULL;
	int st = -1;

	(void)state;
	assert_false(loaded(VVIRT_LIBVIRT_SONAME));
	assert_int_equal(vvirt_open("test:///default", 0, &c, &e), 0);
	assert_true(loaded(VVIRT_LIBVIRT_SONAME));
	assert_int_equal(vvirt_lookup(c, "test", &d, &e), 0);
	assert_int_equal(vvirt_state(d, &st, NULL, &e), 0);
	assert_string_equal(vvirt_state_name(st), "running");
	assert_int_equal(vvirt_xml(d, &xml, &e), 0);
	assert_non_null(strstr(xml, "<name>test</name>"));
	free(xml);
	vvirt_dom_free(d);

	/* libvirt's error, read back through the loaded virCopyLastError. */
	assert_int_equal(vvirt_lookup(c, "vmhop-nope", &d, &e), -ENOENT);
	assert_int_equal(e.origin_code, VIR_ERR_NO_DOMAIN);
	assert_non_null(strstr(e.msg, "domain vmhop-nope on test:///default: "));
	vvirt_close(c);
}

static void liblvm2cmd_is_loaded_on_first_open(void **state)
{
	struct vlvm *h;
	struct vh_error e = { 0 };

	(void)state;
	assert_false(loaded(LVM2CMD));
	assert_int_equal(vlvm_open(&h, &e), 0);
	assert_true(loaded(LVM2CMD));
	assert_non_null(strstr(vlvm_filter_config(h), "global_filter="));
	vlvm_close(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loader_names_the_missing_library_and_package),
		cmocka_unit_test(loader_resolves_symbols_at_their_version),
		cmocka_unit_test(commands_that_need_none_load_none),
		cmocka_unit_test(disk_parser_loads_libxml2_only),
		cmocka_unit_test(libvirt_is_loaded_on_first_open),
		cmocka_unit_test(liblvm2cmd_is_loaded_on_first_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
