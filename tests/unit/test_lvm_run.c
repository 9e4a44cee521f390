/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lvm2_run seam: a fake LVM (vlvm_set_run_hook) that answers from
 * recorded reports under tests/data/lvm/ and LVM's own messages.  It checks
 * every command line it is given: the device filter is there, and nothing a
 * caller passed splits into extra words.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "support_common.h"

#include <lvm2cmd.h>

#include "lvm/lvm.h"

/* One scripted answer: the command must start with @cmd (after the filter
 * is taken out); LVM "prints" @out (a file under tests/data/lvm or literal
 * text) and @err, and returns @rc. */
struct step {
	const char *cmd;
	int rc;
	const char *out_file;	/* a report (file, or the text itself if it starts with '{'),
				 * emitted as libdm's report code does */
	const char *out;	/* emitted as the command's own code does */
	const char *err;
};

struct fake {
	const struct step *steps;
	size_t n, next;
	const char *host_filter;	/* what lvmconfig writes, NULL = not set */
	const char *warn;		/* a warning emitted in the middle of each report */
	char last[1024];		/* last command, filter removed */
};

static char *slurp(const char *path)
{
	char *buf = tsupport_slurp(path, NULL);

	assert_non_null(buf);
	return buf;
}

static void emit(int level, const char *file, const char *text, const char *warn)
{
	char *copy = strdup(text), *save = NULL;
	int n = 0;

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		vlvm_log_sink(level, file, 1, 0, l);
		if (warn && ++n == 2)
			vlvm_log_sink(LVM2_LOG_PRINT, "metadata/metadata.c", 1, 0, warn);
	}
	free(copy);
}

static int fake_run(const char *cmdline, void *ud)
{
	struct fake *f = ud;
	const char *cfg = strstr(cmdline, " --config ");
	const struct step *s;
	char word[1024];
	int fd;

	if (!strncmp(cmdline, "lvmconfig --file /proc/self/fd/", 31)) {
		/* Reading the host's filter: runs before ours exists. */
		assert_null(cfg);
		if (!f->host_filter) {
			vlvm_log_sink(LVM2_LOG_ERROR, "fake.c", 1, 0,
				      "Configuration node devices/global_filter not found");
			return LVM2_PROCESSING_FAILED;
		}
		fd = atoi(cmdline + 31);
		assert_true(fd > 2);
		assert_int_equal(pwrite(fd, f->host_filter, strlen(f->host_filter), 0),
				 (ssize_t)strlen(f->host_filter));
		return LVM2_COMMAND_SUCCEEDED;
	}
	/* Every other command carries the filter as its second word, in one word. */
	assert_non_null(cfg);
	assert_int_equal(sscanf(cfg + 10, "%1023s", word), 1);
	assert_non_null(strstr(word, "\"r|^/dev/drbd[0-9]|\""));
	assert_non_null(strstr(word, "\"r|[.]copy$|\""));
	assert_true(strlen(word) == strcspn(cfg + 10, " "));
	snprintf(f->last, sizeof(f->last), "%.*s%s", (int)(cfg - cmdline), cmdline,
		 cfg + 10 + strlen(word));
	assert_true(f->next < f->n);
	s = &f->steps[f->next++];
	if (strncmp(f->last, s->cmd, strlen(s->cmd)))
		fail_msg("expected '%s...', got '%s'", s->cmd, f->last);
	if (s->out_file) {
		char *t = s->out_file[0] == '{' ? strdup(s->out_file) : slurp(s->out_file);

		emit(LVM2_LOG_PRINT, "device_mapper/libdm-report.c", t, f->warn);
		free(t);
	}
	if (s->out)
		emit(LVM2_LOG_PRINT, "lvcreate.c", s->out, NULL);
	if (s->err)
		emit(LVM2_LOG_ERROR, "toollib.c", s->err, NULL);
	return s->rc;
}

static struct vlvm *open_fake(struct fake *f)
{
	struct vlvm *h = NULL;
	struct vh_error e = { 0 };

	vlvm_set_run_hook(fake_run, f);
	assert_int_equal(vlvm_open(&h, &e), 0);
	return h;
}

static void done(struct vlvm *h, struct fake *f)
{
	assert_int_equal(f->next, f->n);	/* every scripted command ran */
	vlvm_close(h);
	vlvm_set_run_hook(NULL, NULL);
}

#define FAKE(...) \
	static const struct step steps_[] = { __VA_ARGS__ }; \
	struct fake f = { .steps = steps_, .n = sizeof(steps_) / sizeof(steps_[0]) }

static void host_filter_is_kept_after_ours(void **state)
{
	struct fake f = { .host_filter = "global_filter=[\"a|^/dev/vda$|\",\"r|.*|\"]\n" };
	struct vlvm *h;
	const char *cfg;

	(void)state;
	h = open_fake(&f);
	cfg = vlvm_filter_config(h);
	assert_string_equal(cfg, "devices{global_filter=[\"r|^/dev/drbd[0-9]|\",\"r|^/dev/block/147:|\","
				 "\"r|^/dev/drbd/|\",\"r|[.]copy$|\",\"a|^/dev/vda$|\",\"r|.*|\"]}");
	done(h, &f);
}

static void host_filter_with_space_is_refused(void **state)
{
	struct fake f = { .host_filter = "global_filter=\"a|/dev/my disk|\"\n" };
	struct vlvm *h = NULL;
	struct vh_error e = { 0 };

	(void)state;
	vlvm_set_run_hook(fake_run, &f);
	assert_int_equal(vlvm_open(&h, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "white space"));
	vlvm_set_run_hook(NULL, NULL);
}

static void vg_info_parses_report(void **state)
{
	FAKE({ "vgs --reportformat json --units b --nosuffix --binary -o ", 1, "tests/data/lvm/vgs-vg.json", NULL, NULL });
	struct vlvm_vg_info vi;
	struct vh_error e = { 0 };
	struct vlvm *h;

	(void)state;
	h = open_fake(&f);
	assert_int_equal(vlvm_vg_info(h, "vg", &vi, &e), 0);
	assert_string_equal(vi.name, "vg");
	assert_int_equal(vi.extent_size, 4194304);
	assert_int_equal(vi.free_count, 508);
	assert_int_equal(vi.free, 2130706432ULL);
	assert_int_equal(vi.extent_count, 511);
	assert_non_null(strstr(f.last, " vg"));
	done(h, &f);
}

static void lv_info_skips_warning_and_reads_facts(void **state)
{
	FAKE({ "lvs --reportformat json", 1, "tests/data/lvm/lvs-lv0.json", NULL, NULL });
	struct vlvm_lv_info li;
	struct vh_error e = { 0 };
	struct vlvm *h;

	(void)state;
	/* LVM prints warnings at the report's level, possibly mid-report. */
	f.warn = "  WARNING: Device /dev/vdb has size of 62914560 sectors which is smaller than "
		 "corresponding PV size of 62916608 sectors. Was device resized?";
	h = open_fake(&f);
	assert_int_equal(vlvm_lv_info(h, "vg", "lv0", &li, &e), 0);
	assert_int_equal(li.size, 12582912);
	assert_string_equal(li.dm_name, "vg-lv0");
	assert_string_equal(li.path, "/dev/vg/lv0");
	assert_true(li.active);
	assert_false(li.open);
	assert_int_equal(li.major, 254);
	assert_int_equal(li.minor, 0);
	assert_string_equal(li.uuid, "7MrCE6-Lady-1PqK-yGTu-CRAS-OmmP-NovUoL");
	assert_true(strstr(f.last, " vg/lv0") != NULL);
	done(h, &f);
}

static void missing_vg_is_enoent(void **state)
{
	FAKE({ "vgs ", LVM2_PROCESSING_FAILED, "tests/data/lvm/lvs-empty.json", NULL,
	       "Volume group \"nope\" not found\nCannot process volume group nope" });
	struct vlvm_vg_info vi;
	struct vh_error e = { 0 };
	struct vlvm *h;

	(void)state;
	h = open_fake(&f);
	assert_int_equal(vlvm_vg_info(h, "nope", &vi, &e), -ENOENT);
	assert_int_equal(e.code, -ENOENT);
	done(h, &f);
}

static void bad_name_never_reaches_lvm(void **state)
{
	struct fake f = { 0 };	/* no steps: any command fails the test */
	struct vlvm_create_result res;
	struct vh_error e = { 0 };
	struct vlvm *h;

	(void)state;
	h = open_fake(&f);
	assert_int_equal(vlvm_lv_create(h, "vg", "lv --config devices{}", 4096, &res, &e), -EINVAL);
	assert_int_equal(vlvm_lv_remove(h, "vg", "..", &e), -EINVAL);
	assert_int_equal(vlvm_lv_remove(h, "-vg", "x", &e), -EINVAL);
	assert_int_equal(vlvm_lv_create(h, "vg", "x\"y", 4096, &res, &e), -EINVAL);
	done(h, &f);
}

static void create_rounds_up_to_extents(void **state)
{
	/* 10 MiB + 1 byte on 4 MiB extents: 3 extents = 12 MiB (what lvs-lv0 reports). */
	FAKE({ "vgs ", 1, "tests/data/lvm/vgs-vg.json", NULL, NULL },
	     { "lvcreate --yes --activate y -l 3 -n lv0 vg", 1, NULL,
	       "Logical volume \"lv0\" created.", NULL },
	     { "lvs ", 1, "tests/data/lvm/lvs-lv0.json", NULL, NULL });
	struct vlvm_create_result res;
	struct vh_error e = { 0 };
	struct vlvm *h;

	(void)state;
	h = open_fake(&f);
	assert_int_equal(vlvm_lv_create(h, "vg", "lv0", 10 * 1048576 + 1, &res, &e), 0);
	assert_int_equal(res.extents, 3);
	assert_int_equal(res.size, 12582912);
	assert_true(res.rounded);
	assert_int_equal(res.requested, 10 * 1048576 + 1);
	done(h, &f);
}

/* lvcreate alone: no report before or after.  With the VG's extent size:
 * exactly that many extents, their size returned; without: bytes (whole
 * sectors), LVM rounds, the size unknown; LVM's refusals mapped. */
static void lvcreate_alone_asks_no_report(void **state)
{
	FAKE({ "lvcreate --yes --activate y -l 3 -n lv0 vg", 1, NULL,
	       "Logical volume \"lv0\" created.", NULL },
	     { "lvcreate --yes --activate y -L 135266816b -n lv0.vhmd vg", 1, NULL,
	       "Rounding up size to full physical extent 132.00 MiB", NULL },
	     { "lvcreate --yes --activate y -l 1 -n lv1 vg", LVM2_PROCESSING_FAILED, NULL, NULL,
	       "Logical Volume \"lv1\" already exists in volume group \"vg\"" },
	     { "lvcreate --yes --activate y -l 600 -n lv2 vg", LVM2_PROCESSING_FAILED, NULL, NULL,
	       "Volume group \"vg\" has insufficient free space (508 extents): 600 required." });
	struct vh_error e = { 0 };
	uint64_t size = 1;
	struct vlvm *h;

	(void)state;
	h = open_fake(&f);
	assert_int_equal(vlvm_lvcreate(h, "vg", "lv0", 10 * 1048576 + 1, 4194304, &size, &e), 0);
	assert_int_equal(size, 12582912);
	assert_int_equal(vlvm_lvcreate(h, "vg", "lv0.vhmd", 135266305, 0, &size, &e), 0);
	assert_int_equal(size, 0);
	assert_int_equal(vlvm_lvcreate(h, "vg", "lv1", 4096, 4194304, &size, &e), -EEXIST);
	assert_non_null(strstr(e.msg, "vg/lv1 already exists"));
	assert_int_equal(vlvm_lvcreate(h, "vg", "lv2", 600ULL * 4194304, 4194304, NULL, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "insufficient free space"));
	assert_int_equal(vlvm_lvcreate(h, "vg", "lv3", 0, 0, NULL, &e), -EINVAL);
	assert_int_equal(vlvm_lvcreate(h, "vg", "lv 3", 4096, 0, NULL, &e), -EINVAL);
	done(h, &f);
}

/* The move's LVs carry its tag; a tag LVM would refuse is refused first. */
static void lvcreate_tagged_marks_the_lv(void **state)
{
	FAKE({ "lvcreate --yes --activate y --addtag vmhop_vh-1a2b3c4d -l 3 -n lv0 vg", 1, NULL,
	       "Logical volume \"lv0\" created.", NULL });
	struct vh_error e = { 0 };
	uint64_t size = 0;
	struct vlvm *h;

	(void)state;
	h = open_fake(&f);
	assert_int_equal(vlvm_lvcreate_tagged(h, "vg", "lv0", 12582912, 4194304, "vmhop_vh-1a2b3c4d",
					      &size, &e), 0);
	assert_int_equal(size, 12582912);
	assert_int_equal(vlvm_lvcreate_tagged(h, "vg", "lv1", 4096, 4194304, "a tag", NULL, &e),
			 -EINVAL);
	assert_int_equal(vlvm_lvcreate_tagged(h, "vg", "lv1", 4096, 4194304, "-x", NULL, &e), -EINVAL);
	done(h, &f);
}

static void create_refuses_existing_and_too_big(void **state)
{
	/* An existing LV is not looked for first: lvcreate's own refusal. */
	FAKE({ "vgs ", 1, "tests/data/lvm/vgs-vg.json", NULL, NULL },
	     { "lvcreate --yes --activate y -l 1 -n lv0 vg", LVM2_PROCESSING_FAILED, NULL, NULL,
	       "Logical Volume \"lv0\" already exists in volume group \"vg\"" },
	     { "vgs ", 1, "tests/data/lvm/vgs-vg.json", NULL, NULL });
	struct vlvm_create_result res;
	struct vh_error e = { 0 };
	struct vlvm *h;

	(void)state;
	h = open_fake(&f);
	assert_int_equal(vlvm_lv_create(h, "vg", "lv0", 4096, &res, &e), -EEXIST);
	assert_non_null(strstr(e.msg, "vg/lv0 already exists"));
	/* 509 extents, 508 free. */
	assert_int_equal(vlvm_lv_create(h, "vg", "big", 509ULL * 4194304, &res, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "508 free extents"));
	done(h, &f);
}

static void remove_refuses_open_lv(void **state)
{
	/* Not looked at first (an lvs is a device scan): LVM's own refusals. */
	FAKE({ "lvremove -f vg/lv0", LVM2_PROCESSING_FAILED, NULL, NULL,
	       "Logical volume vg/lv0 in use." },
	     { "lvremove -f vg/lv1", LVM2_PROCESSING_FAILED, NULL, NULL,
	       "Failed to find logical volume \"vg/lv1\"" },
	     { "lvremove -f vg/lv2", 1, NULL, "Logical volume \"lv2\" successfully removed.", NULL },
	     { "lvremove -f vg/lv3", LVM2_PROCESSING_FAILED, NULL, NULL,
	       "Logical volume vg/lv3 is used by another device." });
	struct vh_error e = { 0 };
	struct vlvm *h;

	(void)state;
	h = open_fake(&f);
	assert_int_equal(vlvm_lv_remove(h, "vg", "lv0", &e), -EBUSY);
	assert_int_equal(e.origin_code, LVM2_PROCESSING_FAILED);
	assert_non_null(strstr(e.msg, "vg/lv0 is in use"));
	assert_non_null(strstr(e.msg, "lv0 in use."));
	assert_int_equal(vlvm_lv_remove(h, "vg", "lv1", &e), -ENOENT);
	assert_int_equal(vlvm_lv_remove(h, "vg", "lv2", &e), 0);
	/* a dm holder (vmhop's own bridge, say): LVM's words say so */
	assert_int_equal(vlvm_lv_remove(h, "vg", "lv3", &e), -EBUSY);
	assert_non_null(strstr(e.msg, "vg/lv3 is in use"));
	assert_non_null(strstr(e.msg, "used by another device"));
	done(h, &f);
}

static void rc_mapping(void **state)
{
	(void)state;
	assert_int_equal(vlvm_map_rc(LVM2_COMMAND_SUCCEEDED, "whatever"), 0);
	assert_int_equal(vlvm_map_rc(LVM2_NO_SUCH_COMMAND, NULL), -ENOSYS);
	assert_int_equal(vlvm_map_rc(LVM2_INVALID_PARAMETERS, ""), -EINVAL);
	assert_int_equal(vlvm_map_rc(LVM2_INIT_FAILED, NULL), -ENODEV);
	assert_int_equal(vlvm_map_rc(LVM2_PROCESSING_FAILED, "something odd"), -EIO);
	assert_int_equal(vlvm_map_rc(LVM2_PROCESSING_FAILED,
				     "Volume group \"vg\" has insufficient free space (1 extents): 3 required."),
			 -ENOSPC);
	assert_int_equal(vlvm_map_rc(LVM2_PROCESSING_FAILED,
				     "Logical Volume \"lv\" already exists in volume group \"vg\""), -EEXIST);
	assert_int_equal(vlvm_map_rc(LVM2_PROCESSING_FAILED,
				     "Logical volume vg/lv0 is used by another device."), -EBUSY);
	assert_int_equal(vlvm_map_rc(LVM2_PROCESSING_FAILED,
				     "Logical volume vg/lv0 contains a filesystem in use."), -EBUSY);
	assert_int_equal(vlvm_map_rc(99, NULL), -EPROTO);
}

static void garbage_reports_are_ebadmsg(void **state)
{
	struct vlvm_lv_info li;
	struct vlvm_vg_info vi;
	struct vh_error e = { 0 };

	(void)state;
	assert_int_equal(vlvm_parse_lv_report("no json here", &li, &e), -EBADMSG);
	assert_int_equal(vlvm_parse_lv_report("{\"report\":[{\"lv\":[{\"lv_name\":", &li, &e), -EBADMSG);
	assert_int_equal(vlvm_parse_vg_report("{\"report\":[{\"vg\":[{\"vg_name\":\"vg\","
					      "\"vg_extent_size\":\"-1\"}]}]}", &vi, &e), -EBADMSG);
	assert_int_equal(vlvm_parse_vg_report("{\"report\":[{\"vg\":[{\"vg_name\":\"vg\","
					      "\"vg_extent_size\":\"12x\"}]}]}", &vi, &e), -EBADMSG);
	assert_int_equal(vlvm_parse_lv_report("{\"report\":[{\"vg\":[]}]}", &li, &e), -EBADMSG);
	assert_int_equal(vlvm_parse_lv_report("{\"report\":[{\"lv\":[]}]}", &li, &e), -ENOENT);
}

/* Runs last: under the hook, vlvm_* never loaded liblvm2cmd. */
static void hook_never_loads_liblvm2cmd(void **state)
{
	(void)state;
	assert_null(dlopen("liblvm2cmd.so.2.03", RTLD_NOW | RTLD_NOLOAD));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(host_filter_is_kept_after_ours),
		cmocka_unit_test(host_filter_with_space_is_refused),
		cmocka_unit_test(vg_info_parses_report),
		cmocka_unit_test(lv_info_skips_warning_and_reads_facts),
		cmocka_unit_test(missing_vg_is_enoent),
		cmocka_unit_test(bad_name_never_reaches_lvm),
		cmocka_unit_test(create_rounds_up_to_extents),
		cmocka_unit_test(create_refuses_existing_and_too_big),
		cmocka_unit_test(lvcreate_alone_asks_no_report),
		cmocka_unit_test(lvcreate_tagged_marks_the_lv),
		cmocka_unit_test(remove_refuses_open_lv),
		cmocka_unit_test(rc_mapping),
		cmocka_unit_test(garbage_reports_are_ebadmsg),
		cmocka_unit_test(hook_never_loads_liblvm2cmd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
