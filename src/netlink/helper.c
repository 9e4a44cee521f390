/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The drbd module runs one host-wide user-mode helper (module parameter
 * usermode_helper, default /sbin/drbdadm) as "HELPER before-resync-target
 * minor-N" and for fence-peer, split-brain and the other handlers.  drbdadm
 * looks minor-N up in drbd.conf, does not find vmhop's resource (vmhop
 * configures DRBD by netlink), says "'minor-N' not defined in your config"
 * and exits 1; the kernel then drops the connection and the resync never
 * completes.
 *
 * Policy (docs/netlink.md, "The usermode helper"):
 *  - vmhop replaces drbdadm by /bin/true only while it holds a resource, and
 *    only if every DRBD resource on the host is one vmhop holds: the
 *    handlers of resources that drbd.conf manages are never switched off
 *    silently.  If the host has others, take() refuses (-EBUSY) unless the
 *    caller asks to override; keeping drbdadm is always possible.
 *  - what vmhop holds is recorded in DIR/helper.state (the original value,
 *    and one "held RESOURCE PID" line per resource), rewritten atomically
 *    (rename) under an flock on DIR/helper.lock, so concurrent vmhop
 *    processes see each other's resources.
 *  - a hold ends when its resource is gone from the kernel and it is
 *    released, or its process has died; the original helper is put back
 *    when the last hold ends, and only if the parameter still holds
 *    /bin/true (a later change by someone else is kept).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/num.h"
#include "netlink/internal.h"

#define STATE_MAGIC "vmhop-usermode-helper 1"
#define STATE_MAX 8192		/* bytes of helper.state we read */
#define LOCK_WAIT_MS 10000	/* default wait for another vmhop's lock */

struct hpaths {
	const char *param;
	char dir[200];
	char lock[256], state[256], tmp[256];
	int wait_ms;
};

/* What helper.state records. */
struct hstate {
	bool exists;
	char original[256];
	unsigned n;
	struct drbdnl_helper_hold held[DRBDNL_HELPER_MAX];
};

/* The resource names the kernel has now (deduplicated). */
struct kres {
	size_t n;
	char (*name)[DRBDNL_RES_NAME_MAX];
};

static int resolve(const struct drbdnl_helper_paths *p, struct hpaths *r, struct vh_error *e)
{
	const char *dir = p && p->dir ? p->dir : DRBDNL_HELPER_DIR;

	r->param = p && p->param ? p->param : DRBDNL_HELPER_PARAM;
	r->wait_ms = p && p->lock_wait_ms ? p->lock_wait_ms : LOCK_WAIT_MS;
	if (snprintf(r->dir, sizeof(r->dir), "%s", dir) >= (int)sizeof(r->dir))
		return vh_err(e, -ENAMETOOLONG, "helper directory name too long: %s", dir);
	snprintf(r->lock, sizeof(r->lock), "%s/helper.lock", r->dir);
	snprintf(r->state, sizeof(r->state), "%s/helper.state", r->dir);
	snprintf(r->tmp, sizeof(r->tmp), "%s/helper.state.new", r->dir);
	return 0;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int r = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (ferror(f))
		r = -EIO;
	fclose(f);
	return r;
}

static int read_param(const char *param, char *buf, size_t len, struct vh_error *e)
{
	int r = read_line(param, buf, len);

	if (r == -ENOENT)
		return vh_err(e, -ENOPKG, "%s does not exist: the drbd module is not loaded", param);
	if (r < 0)
		return vh_err(e, r, "cannot read %s: %s", param, strerror(-r));
	return 0;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Without a newline: the kernel would exec "/bin/true\n" (-ENOENT, seen in the lab). */
static int write_param(const char *param, const char *value, struct vh_error *e)
{
	int fd = open(param, O_WRONLY | O_TRUNC | O_CLOEXEC);
	int r;

	if (fd < 0)
		return vh_err(e, -errno, "cannot open %s: %s", param, strerror(errno));
	r = write_all(fd, value, strlen(value));
	if (close(fd) < 0 && !r)
		r = -errno;
	if (r < 0)
		return vh_err(e, r, "cannot write %s: %s", param, strerror(-r));
	return 0;
}

static bool is_drbdadm(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "drbdadm", 7);
}

/* A drbdadm that can run aborts vmhop's resyncs; one that cannot is harmless
 * (the kernel ignores exec errors). */
static bool helper_unsafe(const char *path)
{
	return is_drbdadm(path) && access(path, X_OK) == 0;
}

/* mkdir -p @dir, mode 0700 */
static int mkdir_p(const char *dir)
{
	char d[200];

	if (snprintf(d, sizeof(d), "%s", dir) >= (int)sizeof(d))
		return -ENAMETOOLONG;
	for (char *p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(d, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(d, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* ---- the lock ---------------------------------------------------------- */

static int lock_take(const struct hpaths *p, int *ret_fd, struct vh_error *e)
{
	int fd, r, waited = 0, step = 10;

	r = mkdir_p(p->dir);
	if (r < 0)
		return vh_err(e, r, "cannot create %s: %s", p->dir, strerror(-r));
	fd = open(p->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return vh_err(e, -errno, "cannot open %s: %s", p->lock, strerror(errno));
	/* Bounded: the holder only reads two files and sends one status dump. */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec ts;

		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			r = vh_err(e, -errno, "cannot lock %s: %s", p->lock, strerror(errno));
			close(fd);
			return r;
		}
		if (p->wait_ms < 0 || waited >= p->wait_ms) {
			close(fd);
			return vh_err(e, -EBUSY, "another vmhop holds %s (waited %d ms)", p->lock,
				      waited);
		}
		ts.tv_sec = 0;
		ts.tv_nsec = (long)step * 1000000L;
		nanosleep(&ts, NULL);
		waited += step;
		if (step < 200)
			step *= 2;
	}
	*ret_fd = fd;
	return 0;
}

static void lock_drop(int fd)
{
	if (fd >= 0)
		close(fd);	/* releases the flock */
}

/* ---- helper.state ------------------------------------------------------ */

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= DRBDNL_RES_NAME_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

static int parse_held(char *line, struct hstate *s)
{
	char *name = line, *pid;
	uint64_t v;

	pid = strchr(line, ' ');
	if (!pid)
		return -EBADMSG;
	*pid++ = '\0';
	if (vnum_u64(pid, VNUM_ZEROS, INT32_MAX, &v) < 0 || v == 0 || !valid_name(name))
		return -EBADMSG;
	if (s->n >= DRBDNL_HELPER_MAX)
		return -EBADMSG;
	snprintf(s->held[s->n].res, sizeof(s->held[s->n].res), "%s", name);
	s->held[s->n].pid = (int32_t)v;
	s->n++;
	return 0;
}

/* Parse @len bytes of @buf (NUL-terminated by the caller). */
static int state_parse(char *buf, size_t len, struct hstate *s)
{
	char *line = buf, *nl;
	bool magic = false, orig = false;

	if (strlen(buf) != len)
		return -EBADMSG;	/* a NUL inside */
	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			return -EBADMSG;	/* every line ends with \n: a cut file is garbage */
		*nl = '\0';
		if (!magic) {
			if (strcmp(line, STATE_MAGIC))
				return -EBADMSG;
			magic = true;
		} else if (!strncmp(line, "original ", 9)) {
			if (orig || strlen(line + 9) >= sizeof(s->original))
				return -EBADMSG;
			strcpy(s->original, line + 9);
			orig = true;
		} else if (!strncmp(line, "held ", 5)) {
			if (parse_held(line + 5, s) < 0)
				return -EBADMSG;
		} else {
			return -EBADMSG;
		}
	}
	return magic && orig ? 0 : -EBADMSG;
}

static int state_load(const struct hpaths *p, struct hstate *s, struct vh_error *e)
{
	char buf[STATE_MAX + 1];
	size_t len = 0;
	int fd, r = 0;

	memset(s, 0, sizeof(*s));
	fd = open(p->state, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return vh_err(e, -errno, "cannot open %s: %s", p->state, strerror(errno));
	}
	while (len < STATE_MAX) {
		ssize_t n = read(fd, buf + len, STATE_MAX - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (r < 0)
		return vh_err(e, r, "cannot read %s: %s", p->state, strerror(-r));
	buf[len] = '\0';
	if (len == STATE_MAX || state_parse(buf, len, s) < 0) {
		memset(s, 0, sizeof(*s));
		return vh_err(e, -EBADMSG, "%s is not vmhop's helper record: check %s and remove it",
			      p->state, p->param);
	}
	s->exists = true;
	return 0;
}

/* Write the record to a new file and rename it over the old: readers see one or the other. */
static int state_store(const struct hpaths *p, const struct hstate *s, struct vh_error *e)
{
	char buf[STATE_MAX];
	size_t len;
	int fd, r, n;

	n = snprintf(buf, sizeof(buf), "%s\noriginal %s\n", STATE_MAGIC, s->original);
	for (unsigned i = 0; i < s->n && n > 0 && (size_t)n < sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "held %s %d\n", s->held[i].res,
			      (int)s->held[i].pid);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return vh_err(e, -ENOSPC, "helper record too large");
	len = (size_t)n;
	fd = open(p->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return vh_err(e, -errno, "cannot create %s: %s", p->tmp, strerror(errno));
	r = write_all(fd, buf, len);
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(p->tmp, p->state) < 0)
		r = -errno;
	if (r < 0) {
		unlink(p->tmp);
		return vh_err(e, r, "cannot write %s: %s", p->state, strerror(-r));
	}
	return 0;
}

static int state_remove(const struct hpaths *p, struct vh_error *e)
{
	if (unlink(p->state) < 0 && errno != ENOENT)
		return vh_err(e, -errno, "cannot remove %s: %s", p->state, strerror(errno));
	return 0;
}

/* ---- what the kernel has ------------------------------------------------ */

static bool kres_has(const struct kres *k, const char *name)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->name[i], name))
			return true;
	return false;
}

static int kres_list(struct drbdnl *h, struct kres *ret, struct vh_error *e)
{
	struct drbdnl_status *v = NULL;
	size_t n = 0;
	int r;

	ret->n = 0;
	ret->name = NULL;
	r = drbdnl_get_status_all(h, NULL, &v, &n, e);
	if (r < 0)
		return vh_err_prefix(e, r, "listing the host's DRBD resources");
	if (n) {
		ret->name = calloc(n, sizeof(*ret->name));
		if (!ret->name) {
			free(v);
			return vh_err(e, -ENOMEM, "out of memory");
		}
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].resource[0] && !kres_has(ret, v[i].resource))
			snprintf(ret->name[ret->n++], DRBDNL_RES_NAME_MAX, "%s", v[i].resource);
	free(v);
	return 0;
}

static bool held_by(const struct hstate *s, const char *name)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->held[i].res, name))
			return true;
	return false;
}

static bool pid_alive(int32_t pid)
{
	if (pid <= 0)
		return false;
	if (pid == getpid())
		return true;
	return kill(pid, 0) == 0 || errno == EPERM;
}

/*
 * A hold ends when its resource is no longer in the kernel and either it is
 * the one being released or its process has died.  A live process keeps its
 * hold before its resource exists (take() comes before new-resource), and a
 * resource that exists keeps it after its process has exited.
 */
static void prune(struct hstate *s, const struct kres *k, const char *released)
{
	unsigned j = 0;

	for (unsigned i = 0; i < s->n; i++) {
		const struct drbdnl_helper_hold *x = &s->held[i];
		bool gone = !kres_has(k, x->res) &&
			    ((released && !strcmp(x->res, released)) || !pid_alive(x->pid));

		if (gone) {
			vh_trace("netlink", "usermode_helper: hold of %s (pid %d) ends", x->res,
				 (int)x->pid);
			continue;
		}
		s->held[j++] = *x;
	}
	s->n = j;
}

/* The resources in the kernel that vmhop does not hold (nor is about to: @res). */
static void foreign_list(const struct kres *k, const struct hstate *s, const char *res,
			 struct drbdnl_helper *ret)
{
	ret->nforeign = 0;
	for (size_t i = 0; i < k->n; i++) {
		if (held_by(s, k->name[i]) || (res && !strcmp(k->name[i], res)))
			continue;
		if (ret->nforeign < DRBDNL_HELPER_MAX)
			snprintf(ret->foreign[ret->nforeign], DRBDNL_RES_NAME_MAX, "%s", k->name[i]);
		ret->nforeign++;
	}
}

static void foreign_text(const struct drbdnl_helper *hi, char *buf, size_t len)
{
	size_t at = 0;
	unsigned shown = hi->nforeign < DRBDNL_HELPER_MAX ? hi->nforeign : DRBDNL_HELPER_MAX;

	buf[0] = '\0';
	for (unsigned i = 0; i < shown && at < len; i++) {
		int n = snprintf(buf + at, len - at, "%s%s", i ? "," : "", hi->foreign[i]);

		if (n < 0 || (size_t)n >= len - at) {
			snprintf(buf + (len > 4 ? len - 4 : 0), len > 4 ? 4 : len, "...");
			return;
		}
		at += (size_t)n;
	}
}

/* The caller's view: the parameter as it is now and what the record says. */
static void fill_view(const char *cur, const struct hstate *s, struct drbdnl_helper *ret)
{
	snprintf(ret->current, sizeof(ret->current), "%s", cur);
	ret->unsafe = helper_unsafe(cur);
	ret->overridden = s->exists;
	snprintf(ret->saved, sizeof(ret->saved), "%s", s->exists ? s->original : "");
	ret->nheld = s->n;
	memcpy(ret->held, s->held, sizeof(s->held[0]) * s->n);
}

/* ---- the policy --------------------------------------------------------- */

/* Take the lock, then read the parameter and the record; *fd is -1 unless locked. */
static int begin(const struct drbdnl_helper_paths *paths, struct hpaths *p, int *fd, char *cur,
		 size_t len, struct hstate *s, struct vh_error *e)
{
	int r;

	*fd = -1;
	if ((r = resolve(paths, p, e)) < 0 || (r = lock_take(p, fd, e)) < 0)
		return r;
	if ((r = read_param(p->param, cur, len, e)) < 0 || (r = state_load(p, s, e)) < 0)
		return r;
	return 0;
}

int drbdnl_helper_inspect(struct drbdnl *h, const struct drbdnl_helper_paths *paths,
			  struct drbdnl_helper *ret, struct vh_error *e)
{
	struct hpaths p;
	struct hstate s;
	struct kres k = { 0 };
	char cur[256];
	int r;

	memset(ret, 0, sizeof(*ret));
	if ((r = resolve(paths, &p, e)) < 0 || (r = read_param(p.param, cur, sizeof(cur), e)) < 0 ||
	    (r = state_load(&p, &s, e)) < 0)
		return r;
	fill_view(cur, &s, ret);
	if (!h)
		return 0;
	r = kres_list(h, &k, e);
	if (r < 0)
		return r;
	foreign_list(&k, &s, NULL, ret);
	free(k.name);
	return 0;
}

int drbdnl_helper_take(struct drbdnl *h, const struct drbdnl_helper_paths *paths, const char *res,
		       enum drbdnl_helper_mode mode, struct drbdnl_helper *ret, struct vh_error *e)
{
	struct drbdnl_helper view;
	struct hpaths p;
	struct hstate s, before;
	struct kres k = { 0 };
	char cur[256], names[200];
	bool ours;
	int fd = -1, r;

	if (!ret)
		ret = &view;
	memset(ret, 0, sizeof(*ret));
	if (!res || !valid_name(res))
		return vh_err(e, -EINVAL, "'%s' is not a DRBD resource name (1 to %d characters, "
			      "no blanks)", res ? res : "", DRBDNL_RES_NAME_MAX - 1);
	if (mode == DRBDNL_HELPER_KEEP)
		return drbdnl_helper_inspect(NULL, paths, ret, e);
	if ((r = begin(paths, &p, &fd, cur, sizeof(cur), &s, e)) < 0 ||
	    (r = kres_list(h, &k, e)) < 0)
		goto out;
	before = s;
	prune(&s, &k, NULL);
	/* Our /bin/true is in place: this resource joins the others vmhop holds. */
	ours = s.exists && !strcmp(cur, DRBDNL_HELPER_SAFE);
	if (!ours) {
		if (!helper_unsafe(cur)) {
			/* The administrator's helper (or a harmless one): not ours to change.
			 * A record left from before it was set describes nothing now. */
			if (s.exists) {
				vh_trace("netlink", "usermode_helper is %s now: dropping %s", cur,
					 p.state);
				s.exists = false;
				s.n = 0;
				if ((r = state_remove(&p, e)) < 0)
					goto out;
			}
			fill_view(cur, &s, ret);
			foreign_list(&k, &s, res, ret);
			r = 0;
			goto out;
		}
		snprintf(s.original, sizeof(s.original), "%s", cur);
	}
	fill_view(cur, &s, ret);
	foreign_list(&k, &s, res, ret);
	if (ret->nforeign && mode != DRBDNL_HELPER_OVERRIDE) {
		foreign_text(ret, names, sizeof(names));
		r = vh_err(e, -EBUSY, "usermode_helper is %s and this host has DRBD resources vmhop "
			   "does not hold (%s): their fence-peer and split-brain handlers need "
			   "drbdadm, which would abort the resync of '%s'", s.original, names, res);
		goto out;
	}
	if (!held_by(&s, res)) {
		if (s.n >= DRBDNL_HELPER_MAX) {
			r = vh_err(e, -ENOSPC, "vmhop holds %u DRBD resources on this host already, "
				   "the most it records", s.n);
			goto out;
		}
		snprintf(s.held[s.n].res, sizeof(s.held[s.n].res), "%s", res);
		s.n++;
	}
	for (unsigned i = 0; i < s.n; i++)
		if (!strcmp(s.held[i].res, res))
			s.held[i].pid = (int32_t)getpid();
	s.exists = true;
	/* The record first: a crash before the parameter is written leaves a record
	 * that the next take() repairs, never a /bin/true nobody would restore. */
	if ((r = state_store(&p, &s, e)) < 0)
		goto out;
	if (!ours) {
		r = write_param(p.param, DRBDNL_HELPER_SAFE, e);
		if (r < 0) {
			struct vh_error e2 = { 0 };

			if (before.exists ? state_store(&p, &before, &e2) : state_remove(&p, &e2))
				vh_err_prefix(e, r, "(and %s could not be put back: %s)", p.state,
					      e2.msg);
			goto out;
		}
		vh_trace("netlink", "usermode_helper %s replaced by %s for %s (original in %s)",
			 s.original, DRBDNL_HELPER_SAFE, res, p.state);
		ret->changed = true;
	}
	fill_view(ours ? cur : DRBDNL_HELPER_SAFE, &s, ret);
	r = ret->changed;
out:
	free(k.name);
	lock_drop(fd);
	return r;
}

/* Put the original back and forget the record; 1 if the parameter was written. */
static int put_back(const struct hpaths *p, const struct hstate *s, char *cur, size_t len,
		    struct vh_error *e)
{
	bool wrote = false;
	int r;

	if ((r = read_param(p->param, cur, len, e)) < 0)
		return r;
	/* Only undo our own change: if someone set another helper since, keep theirs. */
	if (!strcmp(cur, DRBDNL_HELPER_SAFE) && s->original[0]) {
		if ((r = write_param(p->param, s->original, e)) < 0)
			return r;
		vh_trace("netlink", "usermode_helper %s put back", s->original);
		snprintf(cur, len, "%s", s->original);
		wrote = true;
	}
	if ((r = state_remove(p, e)) < 0)
		return r;
	return wrote;
}

int drbdnl_helper_release(struct drbdnl *h, const struct drbdnl_helper_paths *paths,
			  const char *res, struct drbdnl_helper *ret, struct vh_error *e)
{
	struct drbdnl_helper view;
	struct hpaths p;
	struct hstate s;
	struct kres k = { 0 };
	char cur[256];
	int fd = -1, r;

	if (!ret)
		ret = &view;
	memset(ret, 0, sizeof(*ret));
	if ((r = begin(paths, &p, &fd, cur, sizeof(cur), &s, e)) < 0)
		goto out;
	if (!s.exists) {
		fill_view(cur, &s, ret);
		r = 0;
		goto out;
	}
	if ((r = kres_list(h, &k, e)) < 0)
		goto out;
	prune(&s, &k, res);
	if (s.n) {
		r = state_store(&p, &s, e);
		fill_view(cur, &s, ret);
		foreign_list(&k, &s, NULL, ret);
		goto out;
	}
	r = put_back(&p, &s, cur, sizeof(cur), e);
	if (r < 0)
		goto out;
	ret->changed = r > 0;
	s.exists = false;
	fill_view(cur, &s, ret);
	foreign_list(&k, &s, NULL, ret);
out:
	free(k.name);
	lock_drop(fd);
	return r;
}

int drbdnl_helper_restore(const struct drbdnl_helper_paths *paths, struct drbdnl_helper *ret,
			  struct vh_error *e)
{
	struct drbdnl_helper view;
	struct hpaths p;
	struct hstate s;
	char cur[256];
	int fd = -1, r;

	if (!ret)
		ret = &view;
	memset(ret, 0, sizeof(*ret));
	if ((r = begin(paths, &p, &fd, cur, sizeof(cur), &s, e)) < 0)
		goto out;
	if (s.exists) {
		r = put_back(&p, &s, cur, sizeof(cur), e);
		if (r < 0)
			goto out;
		ret->changed = r > 0;
		memset(&s, 0, sizeof(s));
	}
	fill_view(cur, &s, ret);
	r = ret->changed;
out:
	lock_drop(fd);
	return r;
}
