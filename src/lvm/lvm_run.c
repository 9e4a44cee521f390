/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one seam to liblvm2cmd: the process's single handle, the log callback
 * that captures LVM's output, the device filter every command carries, and
 * the one place lvm2_run()'s return codes become errnos.
 *
 * liblvm2cmd is loaded by the first vlvm_open() (dlopen, base/dl.h), not
 * linked: with its dependencies it is most of what a vmhop process would
 * otherwise load at start-up, and most commands do not use LVM.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <lvm2cmd.h>

#include "base/dl.h"
#include "lvm/lvm.h"

#define LVM2CMD_SONAME "liblvm2cmd.so.2.03"
#define LVM2CMD_PACKAGE "liblvm2cmd2.03"

VH_DL_NOTE(note_dlopen,
	   "[{\"feature\":\"lvm\",\"description\":\"logical volumes through liblvm2cmd "
	   "(vmhop lvm, the move)\",\"priority\":\"required\","
	   "\"soname\":[\"" LVM2CMD_SONAME "\"]}]");

struct lvm2cmd {
	void (*log_fn)(lvm2_log_fn_t fn);
	void *(*init)(void);
	void (*disable_monitoring)(void *handle);
	int (*run)(void *handle, const char *cmdline);
	void (*end)(void *handle);
};

/* liblvm2cmd's symbols carry no version: its soname is its ABI. */
#define LVM2CMD_SYMS(X, T)						\
	X(T, log_fn, lvm2_log_fn, NULL)					\
	X(T, init, lvm2_init, NULL)					\
	X(T, disable_monitoring, lvm2_disable_dmeventd_monitoring, NULL)	\
	X(T, run, lvm2_run, NULL)					\
	X(T, end, lvm2_exit, NULL)

LVM2CMD_SYMS(VH_DL_CHECK, struct lvm2cmd)

static const struct vh_dl_sym lvm2cmd_syms[] = { LVM2CMD_SYMS(VH_DL_SYM, struct lvm2cmd) };

static struct lvm2cmd lvm2;	/* loaded once, under lvm_lock */
static bool lvm2_loaded;

/* What LVM must never scan: DRBD devices (a Secondary cannot even be opened,
 * and a Primary shows the same PV signature as its backing device), and our
 * ".copy" devices (same table as the LV under DRBD, so a PV inside the VM's
 * disk would be seen twice).  LVM's regex filter rejects a device when one of
 * its names matches a reject pattern and none matches an accept pattern
 * (lib/filters/filter-regex.c), so rejecting /dev/drbdN, /dev/block/147:N and
 * any name ending in ".copy" is enough as long as the host's own patterns,
 * which we append, do not accept /dev/dm-N or /dev/block/253:N explicitly.
 * No white space and no backslash: lvm2_run() splits on white space. */
static const char *const our_rejects[] = {
	"r|^/dev/drbd[0-9]|",
	"r|^/dev/block/147:|",
	"r|^/dev/drbd/|",
	"r|[.]copy$|",
};

struct vlvm {
	void *lvm;		/* liblvm2cmd handle, NULL under a test hook */
	int refs;
	char filter[2048];	/* "devices{global_filter=[...]}" */
};

struct capture {
	char *out, *err, *rep;
	size_t out_len, out_cap, err_len, err_cap, rep_len, rep_cap;
	bool oom;
};

static pthread_mutex_t lvm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vlvm the_handle;
static struct capture *cur;	/* under lvm_lock while a command runs */
static vlvm_run_hook hook;
static void *hook_ud;

void vlvm_set_run_hook(vlvm_run_hook fn, void *ud)
{
	pthread_mutex_lock(&lvm_lock);
	hook = fn;
	hook_ud = ud;
	pthread_mutex_unlock(&lvm_lock);
}

static void cap_add(struct capture *c, char **buf, size_t *len, size_t *cap, const char *msg)
{
	size_t n = strlen(msg);

	if (c->oom)
		return;
	if (*len + n + 2 > *cap) {
		size_t ncap = (*cap ? *cap * 2 : 1024);
		char *nb;

		while (ncap < *len + n + 2)
			ncap *= 2;
		nb = realloc(*buf, ncap);
		if (!nb) {
			c->oom = true;
			return;
		}
		*buf = nb;
		*cap = ncap;
	}
	if (*len)
		(*buf)[(*len)++] = '\n';
	memcpy(*buf + *len, msg, n + 1);
	*len += n;
}

void vlvm_log_sink(int level, const char *file, int line, int dm_errno, const char *message)
{
	(void)dm_errno;
	if (!message)
		return;
	vh_trace("lvm", "%d %s:%d %s", level, file ? file : "?", line, message);
	/* Outside a command (init, exit) and verbose levels: the trace only. */
	if (level > LVM2_LOG_PRINT || !cur)
		return;
	if (level == LVM2_LOG_PRINT) {
		cap_add(cur, &cur->out, &cur->out_len, &cur->out_cap, message);
		if (file && strstr(file, "libdm-report"))
			cap_add(cur, &cur->rep, &cur->rep_len, &cur->rep_cap, message);
	} else
		cap_add(cur, &cur->err, &cur->err_len, &cur->err_cap, message);
}

void vlvm_output_free(struct vlvm_output *o)
{
	if (!o)
		return;
	free(o->out);
	free(o->err);
	free(o->report);
	memset(o, 0, sizeof(*o));
}

int vlvm_map_rc(int rc, const char *err)
{
	if (rc == LVM2_COMMAND_SUCCEEDED)
		return 0;
	if (err && *err) {
		if (strstr(err, "already exists"))
			return -EEXIST;
		if (strstr(err, "not found") || strstr(err, "Failed to find") ||
		    strstr(err, "does not exist"))
			return -ENOENT;
		if (strstr(err, "insufficient free space") || strstr(err, "Insufficient free"))
			return -ENOSPC;
		/* lvremove of an open LV: "in use" (a process; after LVM's own
		 * retries, 25 x 0.2 s by default), "is used by another device" (a
		 * dm holder), "contains a filesystem in use" */
		if (strstr(err, "in use") || strstr(err, "is open") ||
		    strstr(err, "used by another device"))
			return -EBUSY;
		if (strstr(err, "Invalid") || strstr(err, "invalid"))
			return -EINVAL;
	}
	switch (rc) {
	case LVM2_NO_SUCH_COMMAND:
		return -ENOSYS;
	case LVM2_INVALID_PARAMETERS:
		return -EINVAL;
	case LVM2_INIT_FAILED:
		return -ENODEV;
	case LVM2_PROCESSING_FAILED:
		return -EIO;
	default:
		return -EPROTO;
	}
}

/* First error line, else first output line, for a one-line message. */
static const char *first_line(const char *s, char *buf, size_t len)
{
	size_t n;

	if (!s)
		return "";
	while (*s == ' ')
		s++;
	n = strcspn(s, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

/* Runs @cmdline exactly as given, lock held by the caller. */
static int run_locked(struct vlvm *h, const char *cmdline, struct vlvm_output *ret_out,
		      struct vh_error *e)
{
	struct capture c = { 0 };
	char line[400];
	int rc, r;

	vh_trace("lvm", "run: %s", cmdline);
	cur = &c;
	if (hook)
		rc = hook(cmdline, hook_ud);
	else
		rc = lvm2.run(h->lvm, cmdline);
	cur = NULL;
	if (c.oom) {
		free(c.out);
		free(c.err);
		free(c.rep);
		return vh_err(e, -ENOMEM, "out of memory capturing LVM output");
	}
	r = vlvm_map_rc(rc, c.err);
	if (r < 0) {
		const char *why = c.err_len ? first_line(c.err, line, sizeof(line))
					    : first_line(c.out, line, sizeof(line));
		char cmd[64];

		/* Name the command (first word) without the long --config. */
		first_line(cmdline, cmd, sizeof(cmd));
		cmd[strcspn(cmd, " ")] = '\0';
		vh_err_origin(e, r, rc, "%s failed (lvm2_run code %d)%s%s", cmd, rc,
			      *why ? ": " : "", why);
	}
	if (ret_out) {
		ret_out->out = c.out;
		ret_out->out_len = c.out_len;
		ret_out->err = c.err;
		ret_out->err_len = c.err_len;
		ret_out->report = c.rep;
		ret_out->report_len = c.rep_len;
		ret_out->rc = rc;
	} else {
		free(c.out);
		free(c.err);
		free(c.rep);
	}
	return r;
}

int vlvm_run(struct vlvm *h, const char *cmdline, struct vlvm_output *ret_out,
	     struct vh_error *e)
{
	char full[4096];
	const char *sp;
	int n, r;

	if (!h || !cmdline)
		return vh_err(e, -EINVAL, "vlvm_run: no handle or command");
	/* "cmd args" -> "cmd --config FILTER args" */
	sp = strchr(cmdline, ' ');
	if (sp)
		n = snprintf(full, sizeof(full), "%.*s --config %s%s", (int)(sp - cmdline), cmdline,
			     h->filter, sp);
	else
		n = snprintf(full, sizeof(full), "%s --config %s", cmdline, h->filter);
	if (n < 0 || (size_t)n >= sizeof(full))
		return vh_err(e, -E2BIG, "LVM command line too long");
	pthread_mutex_lock(&lvm_lock);
	r = run_locked(h, full, ret_out, e);
	pthread_mutex_unlock(&lvm_lock);
	return r;
}

/* Append the quoted strings of `global_filter=...` (a string or a list) to
 * @f.  Refuses a host pattern we cannot carry through lvm2_run(). */
static int add_host_filter(char *f, size_t len, const char *text, struct vh_error *e)
{
	const char *p = strstr(text ? text : "", "global_filter=");

	if (!p)
		return 0;
	p += strlen("global_filter=");
	for (;;) {
		const char *q, *end;

		q = strchr(p, '"');
		if (!q)
			break;
		end = q + 1;
		while (*end && *end != '"') {
			if (*end == '\\' || *end == ' ' || *end == '\t')
				return vh_err(e, -EINVAL,
					      "the host's devices/global_filter has a pattern with "
					      "white space or a backslash; vmhop cannot pass it to "
					      "liblvm2cmd");
			end++;
		}
		if (!*end)
			break;
		if (strlen(f) + (size_t)(end - q) + 3 >= len)
			return vh_err(e, -E2BIG, "the host's devices/global_filter is too long");
		strcat(f, ",");
		strncat(f, q, (size_t)(end - q) + 1);
		p = end + 1;
	}
	return 0;
}

/* The host's own devices/global_filter as lvmconfig writes it.  lvmconfig
 * prints straight to stdout, not through the log callback, so it writes into
 * a memfd through its --file option instead.  NUL-terminated into @buf;
 * empty when the host sets none. */
static int host_filter(struct vlvm *h, char *buf, size_t len)
{
	struct vlvm_output o = { 0 };
	struct vh_error ignore;
	char cmd[128];
	ssize_t n;
	int fd, r;

	buf[0] = '\0';
	fd = memfd_create("vmhop-lvmconfig", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(cmd, sizeof(cmd), "lvmconfig --file /proc/self/fd/%d devices/global_filter", fd);
	r = run_locked(h, cmd, &o, &ignore);
	vlvm_output_free(&o);
	if (r == 0) {
		n = pread(fd, buf, len - 1, 0);
		if (n < 0)
			r = -errno;
		else if ((size_t)n == len - 1)
			r = -E2BIG;
		else
			buf[n] = '\0';
	} else {
		r = 0;	/* "Configuration node devices/global_filter not found" */
	}
	close(fd);
	return r;
}

static int build_filter(struct vlvm *h, struct vh_error *e)
{
	char f[sizeof(h->filter)] = "devices{global_filter=[";
	char host[sizeof(h->filter)];
	int r;

	for (size_t i = 0; i < sizeof(our_rejects) / sizeof(our_rejects[0]); i++) {
		if (i)
			strcat(f, ",");
		strcat(f, "\"");
		strcat(f, our_rejects[i]);
		strcat(f, "\"");
	}
	r = host_filter(h, host, sizeof(host));
	if (r < 0)
		return vh_err(e, r, "cannot read the host's devices/global_filter: %s",
			      strerror(-r));
	r = add_host_filter(f, sizeof(f) - 3, host, e);
	if (r < 0)
		return r;
	strcat(f, "]}");
	memcpy(h->filter, f, sizeof(f));
	vh_trace("lvm", "filter: %s", h->filter);
	return 0;
}

int vlvm_open(struct vlvm **ret, struct vh_error *e)
{
	struct vlvm *h = &the_handle;
	int r = 0;

	pthread_mutex_lock(&lvm_lock);
	if (h->refs) {
		h->refs++;
		goto out;
	}
	if (!hook) {
		if (!lvm2_loaded) {
			struct lvm2cmd l;

			r = vh_dl_open(LVM2CMD_SONAME, LVM2CMD_PACKAGE, lvm2cmd_syms,
				       sizeof(lvm2cmd_syms) / sizeof(lvm2cmd_syms[0]), &l, NULL, e);
			if (r < 0)
				goto out;
			lvm2 = l;
			lvm2_loaded = true;
		}
		/* Global in liblvm2cmd: install before init so nothing reaches stdout. */
		lvm2.log_fn(vlvm_log_sink);
		h->lvm = lvm2.init();
		if (!h->lvm) {
			r = vh_err(e, -ENODEV, "liblvm2cmd failed to initialise");
			goto out;
		}
		/* Linear LVs need no monitoring; do not talk to dmeventd. */
		lvm2.disable_monitoring(h->lvm);
	}
	r = build_filter(h, e);
	if (r < 0) {
		if (h->lvm)
			lvm2.end(h->lvm);
		h->lvm = NULL;
		goto out;
	}
	h->refs = 1;
out:
	pthread_mutex_unlock(&lvm_lock);
	if (r == 0)
		*ret = h;
	return r;
}

void vlvm_close(struct vlvm *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&lvm_lock);
	if (h->refs > 0 && --h->refs == 0) {
		if (h->lvm)
			lvm2.end(h->lvm);
		h->lvm = NULL;
	}
	pthread_mutex_unlock(&lvm_lock);
}

const char *vlvm_filter_config(const struct vlvm *h)
{
	return h ? h->filter : "";
}
