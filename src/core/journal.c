/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The journal: one JSON file per VM and host, rewritten atomically; see journal.h. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/jsonx.h"
#include "core/journal.h"

struct vjournal {
	char path[PATH_MAX];		/* "" for a parsed-only journal */
	int lock_fd;
	enum vplan_role role;
	struct vplan plan;
	size_t n_steps;
	struct vjournal_step *steps;	/* VJOURNAL_MAX_STEPS, allocated once */
	unsigned held;			/* vjournal_hold() depth: writes wait for the commit */
	bool dirty;			/* changed in memory since the last write */
	unsigned long writes;		/* files written (vjournal_writes) */
};

const char *vjournal_state_name(enum vjournal_state s)
{
	switch (s) {
	case VJ_STARTED: return "started";
	case VJ_DONE: return "done";
	case VJ_UNDONE: return "undone";
	}
	return "?";
}

const char *vjournal_dir(void)
{
	const char *d = getenv(VJOURNAL_DIR_ENV);

	return d && *d ? d : VJOURNAL_DIR_DEFAULT;
}

static struct vjournal *jnew(void)
{
	struct vjournal *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->lock_fd = -1;
	j->steps = calloc(VJOURNAL_MAX_STEPS, sizeof(*j->steps));
	if (!j->steps) {
		free(j);
		return NULL;
	}
	return j;
}

static void step_clear(struct vjournal_step *s)
{
	for (size_t i = 0; i < s->n_data; i++)
		free(s->data[i].value);
	s->n_data = 0;
}

void vjournal_close(struct vjournal *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n_steps; i++)
		step_clear(&j->steps[i]);
	free(j->steps);
	vfile_unlock(j->lock_fd);
	/* The plan holds the secret. */
	memset(&j->plan, 0, sizeof(j->plan));
	free(j);
}

const struct vplan *vjournal_plan(const struct vjournal *j) { return &j->plan; }
enum vplan_role vjournal_role(const struct vjournal *j) { return j->role; }
const char *vjournal_path(const struct vjournal *j) { return j->path; }
size_t vjournal_count(const struct vjournal *j) { return j->n_steps; }

const struct vjournal_step *vjournal_step_at(const struct vjournal *j, size_t i)
{
	return i < j->n_steps ? &j->steps[i] : NULL;
}

static struct vjournal_step *find(const struct vjournal *j, const char *id)
{
	for (size_t i = 0; i < j->n_steps; i++)
		if (!strcmp(j->steps[i].id, id))
			return &j->steps[i];
	return NULL;
}

const struct vjournal_step *vjournal_find(const struct vjournal *j, const char *id)
{
	return find(j, id);
}

const char *vjournal_get(const struct vjournal_step *s, const char *key)
{
	for (size_t i = 0; s && i < s->n_data; i++)
		if (!strcmp(s->data[i].key, key))
			return s->data[i].value;
	return NULL;
}

/* ---- checks shared by the API and the parser --------------------------- */

static int check_id(const char *id, struct vh_error *e)
{
	size_t n = id ? strnlen(id, VJOURNAL_ID_MAX + 1) : 0;

	if (n == 0 || n > VJOURNAL_ID_MAX)
		return vh_err(e, -EINVAL, "step id must be 1..%d characters", VJOURNAL_ID_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  (i > 0 && (c == '.' || c == '_' || c == ':' || c == '-'));

		if (!ok)
			return vh_err(e, -EINVAL, "step id '%.64s': only a-z 0-9 and (after the "
				      "first) . _ : -", id);
	}
	return 0;
}

static int check_key(const char *k, struct vh_error *e)
{
	size_t n = k ? strnlen(k, VJOURNAL_KEY_MAX + 1) : 0;

	if (n == 0 || n > VJOURNAL_KEY_MAX)
		return vh_err(e, -EINVAL, "step data key must be 1..%d characters", VJOURNAL_KEY_MAX);
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return vh_err(e, -EINVAL, "step data key '%.32s': only a-z 0-9 _", k);
	return 0;
}

static int check_value(const char *v, struct vh_error *e)
{
	if (!v || strnlen(v, VJOURNAL_VALUE_MAX + 1) > VJOURNAL_VALUE_MAX)
		return vh_err(e, -EINVAL, "step data value: at most %u bytes", VJOURNAL_VALUE_MAX);
	return 0;
}

/* ---- text -------------------------------------------------------------- */

static json_object *step_json(const struct vjournal_step *s)
{
	json_object *o = json_object_new_object(), *d = json_object_new_object();

	if (!o || !d || vjson_add_str(o, "id", s->id) ||
	    vjson_add_str(o, "state", vjournal_state_name(s->state))) {
		json_object_put(d);
		json_object_put(o);
		return NULL;
	}
	if (json_object_object_add(o, "data", d) < 0) {
		json_object_put(d);
		json_object_put(o);
		return NULL;
	}
	for (size_t i = 0; i < s->n_data; i++)
		if (vjson_add_str(d, s->data[i].key, s->data[i].value)) {
			json_object_put(o);
			return NULL;
		}
	return o;
}

static json_object *to_json(const struct vjournal *j)
{
	json_object *o = json_object_new_object(), *plan = vplan_to_json(&j->plan),
		    *steps = json_object_new_array();

	if (!o || !plan || !steps || vjson_add_u64(o, "vmhop_journal", VJOURNAL_VERSION) ||
	    vjson_add_str(o, "role", vplan_role_name(j->role))) {
		json_object_put(o);
		json_object_put(plan);
		json_object_put(steps);
		return NULL;
	}
	json_object_object_add(o, "plan", plan);
	json_object_object_add(o, "steps", steps);
	for (size_t i = 0; i < j->n_steps; i++) {
		json_object *s = step_json(&j->steps[i]);

		if (!s || json_object_array_add(steps, s) < 0) {
			json_object_put(s);
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

int vjournal_format(const struct vjournal *j, char **ret, struct vh_error *e)
{
	json_object *o = to_json(j);
	const char *text;
	size_t len;
	char *buf;

	if (!o)
		return vh_err(e, -ENOMEM, "out of memory");
	text = json_object_to_json_string_length(o, VJSON_PRETTY, &len);
	buf = text ? malloc(len + 2) : NULL;
	if (!buf) {
		json_object_put(o);
		return vh_err(e, -ENOMEM, "out of memory");
	}
	memcpy(buf, text, len);
	buf[len] = '\n';
	buf[len + 1] = '\0';
	json_object_put(o);
	if (len + 1 > VJOURNAL_FILE_MAX) {
		free(buf);
		return vh_err(e, -EFBIG, "the journal would exceed %u bytes", VJOURNAL_FILE_MAX);
	}
	*ret = buf;
	return 0;
}

#define KEYS(...) (const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *)

static int step_from(json_object *o, size_t i, struct vjournal_step *s, struct vh_error *e)
{
	char path[32], state[16];
	json_object *d;
	int r;

	snprintf(path, sizeof(path), "steps[%zu]", i);
	if (!json_object_is_type(o, json_type_object))
		return vh_err(e, -EINVAL, "%s must be an object", path);
	if ((r = vjson_exact_keys(o, KEYS("id", "state", "data"), path, e)) < 0 ||
	    (r = vjson_str(o, "id", s->id, sizeof(s->id), false, path, e)) < 0 ||
	    (r = vjson_str(o, "state", state, sizeof(state), false, path, e)) < 0 ||
	    (r = vjson_member(o, "data", json_type_object, path, &d, e)) < 0)
		return r;
	if ((r = check_id(s->id, e)) < 0)
		return vh_err_prefix(e, r, "%s", path);
	if (!strcmp(state, "started"))
		s->state = VJ_STARTED;
	else if (!strcmp(state, "done"))
		s->state = VJ_DONE;
	else if (!strcmp(state, "undone"))
		s->state = VJ_UNDONE;
	else
		return vh_err(e, -EINVAL, "%s.state must be started, done or undone", path);
	if (json_object_object_length(d) > VJOURNAL_MAX_DATA)
		return vh_err(e, -EINVAL, "%s.data: at most %d keys", path, VJOURNAL_MAX_DATA);
	json_object_object_foreach(d, key, val) {
		struct vjournal_kv *kv = &s->data[s->n_data];
		size_t n;

		if ((r = check_key(key, e)) < 0)
			return vh_err_prefix(e, r, "%s.data", path);
		if (!json_object_is_type(val, json_type_string))
			return vh_err(e, -EINVAL, "%s.data.%s must be a string", path, key);
		n = (size_t)json_object_get_string_len(val);
		if (n > VJOURNAL_VALUE_MAX || memchr(json_object_get_string(val), '\0', n))
			return vh_err(e, -EINVAL, "%s.data.%s: at most %u bytes, no NUL", path, key,
				      VJOURNAL_VALUE_MAX);
		kv->value = strdup(json_object_get_string(val));
		if (!kv->value)
			return vh_err(e, -ENOMEM, "out of memory");
		memcpy(kv->key, key, strlen(key) + 1);
		s->n_data++;
	}
	return 0;
}

static int from_json(json_object *root, struct vjournal *j, struct vh_error *e)
{
	json_object *ver, *plan, *steps;
	char role[16];
	size_t n;
	int r;

	if (!json_object_object_get_ex(root, "vmhop_journal", &ver) ||
	    !json_object_is_type(ver, json_type_int))
		return vh_err(e, -EBADMSG, "not a vmhop journal: no integer field vmhop_journal");
	if (json_object_get_int64(ver) != VJOURNAL_VERSION)
		return vh_err(e, -EPROTONOSUPPORT, "journal version %lld: this vmhop reads version %d",
			      (long long)json_object_get_int64(ver), VJOURNAL_VERSION);
	if ((r = vjson_exact_keys(root, KEYS("vmhop_journal", "role", "plan", "steps"), "", e)) < 0 ||
	    (r = vjson_str(root, "role", role, sizeof(role), false, "", e)) < 0 ||
	    (r = vjson_member(root, "plan", json_type_object, "", &plan, e)) < 0 ||
	    (r = vjson_member(root, "steps", json_type_array, "", &steps, e)) < 0)
		return r;
	if (!strcmp(role, "source"))
		j->role = VPLAN_ROLE_SOURCE;
	else if (!strcmp(role, "dest"))
		j->role = VPLAN_ROLE_DEST;
	else
		return vh_err(e, -EINVAL, "role must be source or dest");
	if ((r = vplan_from_json(plan, &j->plan, e)) < 0)
		return vh_err_prefix(e, r, "plan");
	n = json_object_array_length(steps);
	if (n > VJOURNAL_MAX_STEPS)
		return vh_err(e, -EINVAL, "steps: at most %d", VJOURNAL_MAX_STEPS);
	for (size_t i = 0; i < n; i++) {
		/* Counted first so that a half-read step is freed with the rest. */
		j->n_steps = i + 1;
		if ((r = step_from(json_object_array_get_idx(steps, i), i, &j->steps[i], e)) < 0)
			return r;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(j->steps[k].id, j->steps[i].id))
				return vh_err(e, -EINVAL, "steps[%zu] and steps[%zu] have the same id "
					      "'%s'", k, i, j->steps[i].id);
	}
	return 0;
}

int vjournal_parse(const char *text, size_t len, struct vjournal **ret, struct vh_error *e)
{
	struct vjournal *j;
	json_object *o;
	int r;

	if (len > VJOURNAL_FILE_MAX)
		return vh_err(e, -EFBIG, "journal is larger than %u bytes", VJOURNAL_FILE_MAX);
	if ((r = vjson_parse(text, len, "journal", &o, e)) < 0)
		return r;
	if (!(j = jnew())) {
		json_object_put(o);
		return vh_err(e, -ENOMEM, "out of memory");
	}
	r = from_json(o, j, e);
	json_object_put(o);
	if (r < 0) {
		vjournal_close(j);
		return r;
	}
	*ret = j;
	return 0;
}

/* ---- files and locks --------------------------------------------------- */

static int paths(const char *dir, const char *uuid, char *journal, char *lock, struct vh_error *e)
{
	int r;

	if ((r = vname_check_uuid(uuid, e)) < 0)
		return r;
	if (snprintf(journal, PATH_MAX, "%s/%s.journal", dir, uuid) >= PATH_MAX ||
	    snprintf(lock, PATH_MAX, "%s/%s.lock", dir, uuid) >= PATH_MAX)
		return vh_err(e, -ENAMETOOLONG, "state directory path too long: %s", dir);
	return 0;
}

static int write_file(struct vjournal *j, struct vh_error *e)
{
	char *text;
	int r;

	if (!j->path[0])
		return vh_err(e, -EINVAL, "this journal was parsed, not opened: it has no file");
	if ((r = vjournal_format(j, &text, e)) < 0)
		return r;
	r = vfile_write_atomic(j->path, text, strlen(text), 0600, false, e);
	free(text);
	if (r < 0)
		return r;
	j->writes++;
	j->dirty = false;
	return 0;
}

/* Every change ends here: written now, or at the commit of a hold. */
static int save(struct vjournal *j, struct vh_error *e)
{
	j->dirty = true;
	if (j->held)
		return 0;
	return write_file(j, e);
}

void vjournal_hold(struct vjournal *j)
{
	j->held++;
}

int vjournal_commit(struct vjournal *j, struct vh_error *e)
{
	if (!j->held)
		return vh_err(e, -EINVAL, "journal: a commit without a hold");
	if (--j->held || !j->dirty)
		return 0;
	return write_file(j, e);
}

unsigned long vjournal_writes(const struct vjournal *j)
{
	return j->writes;
}

/* Read and validate @path: -ENOENT when absent (no message), -EBADMSG (or
 * the parser's code) naming the file when it cannot be used. */
static int read_parse(const char *path, struct vjournal **ret, struct vh_error *e)
{
	struct vh_error sub = { 0 };
	char *text = NULL;
	size_t len;
	int r;

	r = vfile_read(path, VJOURNAL_FILE_MAX, &text, &len, &sub);
	if (r == -ENOENT)
		return r;
	if (r < 0) {
		*e = sub;
		return r;
	}
	r = vjournal_parse(text, len, ret, e);
	free(text);
	if (r < 0)
		return vh_err_prefix(e, r, "journal %s is corrupt or truncated; it is kept as it is "
				     "for inspection", path);
	return 0;
}

int vjournal_read(const char *path, struct vjournal **ret, struct vh_error *e)
{
	int r = read_parse(path, ret, e);

	if (r == -ENOENT)
		return vh_err(e, r, "no journal %s", path);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void vjournal_list_free(char **paths, size_t n)
{
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
}

int vjournal_list(const char *dir, char ***ret, size_t *ret_n, struct vh_error *e)
{
	static const char suffix[] = ".journal";
	char **v = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (!dir)
		dir = vjournal_dir();
	*ret = NULL;
	*ret_n = 0;
	if (!(d = opendir(dir))) {
		if (errno == ENOENT)
			return 0;
		return vh_err(e, -errno, "cannot read %s: %s", dir, strerror(errno));
	}
	while ((errno = 0, de = readdir(d))) {
		size_t l = strlen(de->d_name), sl = sizeof(suffix) - 1;
		char **nv, *path;

		/* "<uuid>.journal" only: not the temporary files of an atomic write */
		if (l <= sl || strcmp(de->d_name + l - sl, suffix) || de->d_name[0] == '.')
			continue;
		if (n >= VJOURNAL_MAX_LIST) {
			r = vh_err(e, -E2BIG, "%s holds more than %u journals", dir, VJOURNAL_MAX_LIST);
			break;
		}
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv || asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			if (nv)
				v = nv;
			r = vh_err(e, -ENOMEM, "out of memory");
			break;
		}
		v = nv;
		v[n++] = path;
	}
	if (r == 0 && errno)
		r = vh_err(e, -errno, "cannot read %s: %s", dir, strerror(errno));
	closedir(d);
	if (r < 0) {
		vjournal_list_free(v, n);
		return r;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* Lock and load "<dir>/<uuid>.journal"; *ret has no steps and no plan when
 * there is no file (return 0 with *ret_found false). */
static int open_locked(const char *dir, const char *uuid, struct vjournal **ret, bool *ret_found,
		       struct vh_error *e)
{
	char jpath[PATH_MAX], lpath[PATH_MAX];
	struct vjournal *j = NULL, *parsed = NULL;
	int fd, r;

	if (!dir)
		dir = vjournal_dir();
	if ((r = paths(dir, uuid, jpath, lpath, e)) < 0)
		return r;
	if ((r = vfile_mkdir_p(dir, 0700, e)) < 0)
		return r;
	fd = vfile_lock(lpath, 0, e);
	if (fd == -EBUSY)
		return vh_err(e, -EBUSY, "another vmhop is working on VM %s on this host (%s is "
			      "locked)", uuid, lpath);
	if (fd < 0)
		return fd;
	r = read_parse(jpath, &parsed, e);
	if (r == -ENOENT) {
		*ret_found = false;
		if (!(j = jnew())) {
			r = vh_err(e, -ENOMEM, "out of memory");
			goto err;
		}
	} else if (r < 0) {
		goto err;
	} else {
		*ret_found = true;
		j = parsed;
		if (strcmp(j->plan.vm_uuid, uuid)) {
			r = vh_err(e, -EBADMSG, "journal %s is for VM %s, not %s", jpath,
				   j->plan.vm_uuid, uuid);
			vjournal_close(j);
			goto err;
		}
	}
	snprintf(j->path, sizeof(j->path), "%s", jpath);
	j->lock_fd = fd;
	*ret = j;
	return 0;
err:
	vfile_unlock(fd);
	return r;
}

static bool same_plan(const struct vplan *a, const struct vplan *b)
{
	json_object *ja = vplan_to_json(a), *jb = vplan_to_json(b);
	bool same = ja && jb && !strcmp(json_object_to_json_string(ja), json_object_to_json_string(jb));

	json_object_put(ja);
	json_object_put(jb);
	return same;
}

/* The move this journal records has ended on this host: the engine's last
 * step, "done" (cleanup finished) or "aborted" (abort finished), is done. */
static bool ended(const struct vjournal *j)
{
	for (size_t i = 0; i < j->n_steps; i++)
		if (j->steps[i].state == VJ_DONE &&
		    (!strcmp(j->steps[i].id, "done") || !strcmp(j->steps[i].id, "aborted")))
			return true;
	return false;
}

int vjournal_open(const char *dir, const struct vplan *plan, enum vplan_role role,
		  struct vjournal **ret, struct vh_error *e)
{
	struct vjournal *j;
	bool found;
	int r;

	if (role != VPLAN_ROLE_SOURCE && role != VPLAN_ROLE_DEST)
		return vh_err(e, -EINVAL, "a journal is for the source or the destination");
	if ((r = vplan_validate(plan, e)) < 0)
		return r;
	if ((r = open_locked(dir, plan->vm_uuid, &j, &found, e)) < 0)
		return r;
	if (!found) {
		j->plan = *plan;
		j->role = role;
	} else if ((j->role != role || !same_plan(&j->plan, plan)) && ended(j)) {
		/* A later move of the same VM (a retry after an abort, or back the
		 * other way): the ended one is kept as <uuid>.journal.prev, and the
		 * new one starts empty, under the lock already held. */
		struct vjournal *fresh = jnew();
		char prev[PATH_MAX + 8];

		if (!fresh) {
			vjournal_close(j);
			return vh_err(e, -ENOMEM, "out of memory");
		}
		snprintf(prev, sizeof(prev), "%s.prev", j->path);
		if (rename(j->path, prev) < 0) {
			r = vh_err(e, -errno, "rename %s to %s: %s", j->path, prev, strerror(errno));
			vjournal_close(fresh);
			vjournal_close(j);
			return r;
		}
		snprintf(fresh->path, sizeof(fresh->path), "%s", j->path);
		fresh->lock_fd = j->lock_fd;
		j->lock_fd = -1;
		vjournal_close(j);
		j = fresh;
		j->plan = *plan;
		j->role = role;
	} else if (j->role == role && !same_plan(&j->plan, plan) && j->n_steps == 1 &&
		   !strcmp(j->steps[0].id, "planned") && !strcmp(j->plan.resource, plan->resource)) {
		/* Only vmhop plan's claim (core/reserve.h), and the plan of the
		 * same move (its resource) changed by hand since (a rate, a
		 * timeout): nothing was done yet, the plan as it is now counts. */
		j->plan = *plan;
	} else if (j->role != role || !same_plan(&j->plan, plan)) {
		r = vh_err(e, -EEXIST, "%s holds another move of VM %s (%s, a different plan) that "
			   "has not ended here: finish or abort it first", j->path, plan->vm_name,
			   vplan_role_name(j->role));
		vjournal_close(j);
		return r;
	}
	*ret = j;
	return 0;
}

int vjournal_open_vm(const char *dir, const char *uuid, struct vjournal **ret, struct vh_error *e)
{
	struct vjournal *j;
	bool found;
	int r;

	if ((r = open_locked(dir, uuid, &j, &found, e)) < 0)
		return r;
	if (!found) {
		r = vh_err(e, -ENOENT, "no journal for VM %s on this host (%s)", uuid, j->path);
		vjournal_close(j);
		return r;
	}
	*ret = j;
	return 0;
}

/* ---- steps ------------------------------------------------------------- */

static int set_kv(struct vjournal_step *s, const char *key, const char *value, struct vh_error *e)
{
	struct vjournal_kv *kv = NULL;
	char *v;
	int r;

	if ((r = check_key(key, e)) < 0 || (r = check_value(value, e)) < 0)
		return r;
	for (size_t i = 0; i < s->n_data; i++)
		if (!strcmp(s->data[i].key, key))
			kv = &s->data[i];
	if (!kv && s->n_data == VJOURNAL_MAX_DATA)
		return vh_err(e, -E2BIG, "step %s: at most %d data keys", s->id, VJOURNAL_MAX_DATA);
	if (!(v = strdup(value)))
		return vh_err(e, -ENOMEM, "out of memory");
	if (!kv) {
		kv = &s->data[s->n_data++];
		memcpy(kv->key, key, strlen(key) + 1);
	} else {
		free(kv->value);
	}
	kv->value = v;
	return 0;
}

int vjournal_begin(struct vjournal *j, const char *id, const struct vjournal_kv *data, size_t n,
		   struct vh_error *e)
{
	struct vjournal_step *s;
	struct vjournal_step fresh = { 0 };
	int r;

	if ((r = check_id(id, e)) < 0)
		return r;
	s = find(j, id);
	if (s && s->state != VJ_UNDONE)
		return vh_err(e, -EEXIST, "step %s is already %s", id, vjournal_state_name(s->state));
	if (!s && j->n_steps == VJOURNAL_MAX_STEPS)
		return vh_err(e, -E2BIG, "the journal holds %d steps already", VJOURNAL_MAX_STEPS);
	if (n > VJOURNAL_MAX_DATA)
		return vh_err(e, -E2BIG, "step %s: at most %d data keys", id, VJOURNAL_MAX_DATA);
	memcpy(fresh.id, id, strlen(id) + 1);
	fresh.state = VJ_STARTED;
	for (size_t i = 0; i < n; i++)
		if ((r = set_kv(&fresh, data[i].key, data[i].value, e)) < 0) {
			step_clear(&fresh);
			return r;
		}
	if (s) {
		step_clear(s);
		*s = fresh;
	} else {
		j->steps[j->n_steps++] = fresh;
	}
	return save(j, e);
}

int vjournal_set(struct vjournal *j, const char *id, const char *key, const char *value,
		 struct vh_error *e)
{
	struct vjournal_step *s = find(j, id);
	int r;

	if (!s)
		return vh_err(e, -ENOENT, "no step %s in the journal", id);
	if ((r = set_kv(s, key, value, e)) < 0)
		return r;
	return save(j, e);
}

static int transition(struct vjournal *j, const char *id, enum vjournal_state to,
		      struct vh_error *e)
{
	struct vjournal_step *s = find(j, id);

	if (!s)
		return vh_err(e, -ENOENT, "no step %s in the journal", id);
	if (s->state == VJ_UNDONE || (to == VJ_DONE && s->state != VJ_STARTED))
		return vh_err(e, -EINVAL, "step %s is %s: it cannot become %s", id,
			      vjournal_state_name(s->state), vjournal_state_name(to));
	s->state = to;
	return save(j, e);
}

int vjournal_done(struct vjournal *j, const char *id, struct vh_error *e)
{
	return transition(j, id, VJ_DONE, e);
}

int vjournal_undone(struct vjournal *j, const char *id, struct vh_error *e)
{
	return transition(j, id, VJ_UNDONE, e);
}

int vjournal_remove(struct vjournal *j, struct vh_error *e)
{
	for (size_t i = 0; i < j->n_steps; i++)
		if (j->steps[i].state == VJ_STARTED)
			return vh_err(e, -EBUSY, "step %s is still started: it may or may not have "
				      "happened; the journal is kept", j->steps[i].id);
	if (!j->path[0])
		return vh_err(e, -EINVAL, "this journal has no file");
	return vfile_remove(j->path, e);
}

int vjournal_host_lock(const char *dir, int timeout_ms, struct vh_error *e)
{
	char path[PATH_MAX];
	int r;

	if (!dir)
		dir = vjournal_dir();
	if (snprintf(path, sizeof(path), "%s/host.lock", dir) >= (int)sizeof(path))
		return vh_err(e, -ENAMETOOLONG, "state directory path too long: %s", dir);
	if ((r = vfile_mkdir_p(dir, 0700, e)) < 0)
		return r;
	r = vfile_lock(path, timeout_ms, e);
	if (r == -EBUSY)
		return vh_err(e, -EBUSY, "another vmhop holds the host lock (%s)", path);
	return r;
}

void vjournal_host_unlock(int fd)
{
	vfile_unlock(fd);
}
