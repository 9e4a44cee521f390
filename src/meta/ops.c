/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The meta-data operations on a device: create, wipe, apply-al, read.
 * Each opens the meta device itself and flushes before reporting success.
 * Write order is chosen so that a crash never leaves a valid superblock
 * pointing at stale data: create writes the superblock last; apply-al makes
 * the bitmap durable before it erases the activity log that justified it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "meta/dev.h"

#define BM_WINDOW	4096u		/* apply-al read-modify-write unit */
#define READ_CHUNK	(4u << 20)	/* dump: AL and bitmap read in 4 MiB pieces */

const char *vmeta_zero_method_name(enum vmeta_zero_method m)
{
	switch (m) {
	case VMETA_ZERO_BLKZEROOUT:
		return "blkzeroout";
	case VMETA_ZERO_FALLOCATE:
		return "fallocate-zero-range";
	case VMETA_ZERO_PUNCH:
		return "fallocate-punch-hole";
	case VMETA_ZERO_WRITE:
		return "write";
	case VMETA_ZERO_NONE:
	default:
		return "none";
	}
}

static void info_init(struct vmeta_info *info, const struct vmeta_dev *d)
{
	memset(info, 0, sizeof(*info));
	info->dev_bytes = d->bytes;
	info->block_device = d->blk;
	info->direct_io = d->direct;
}

/* Read the superblock at @index's place: raw decode into @sb. */
static int read_sb(struct vmeta_dev *d, int index, void *buf, struct vmeta_sb *sb,
		   struct vh_error *e)
{
	uint64_t off = vmeta_md_offset(index);
	int r;

	if (d->bytes < off + VMETA_SB_BYTES)
		return vh_err(e, -ENOSPC, "%s has %llu bytes: no room for meta-data index %d "
			      "(at byte %llu)", d->path, (unsigned long long)d->bytes, index,
			      (unsigned long long)off);
	r = vmeta_dev_read(d, buf, VMETA_SB_BYTES, off, e);
	if (r < 0)
		return r;
	vmeta_sb_decode(buf, sb);
	return 0;
}

/* Check @index, open @path, read the superblock at the index's place into
 * info->sb (its 4 KiB in *@ret_sbbuf, which the caller frees), and with
 * @check refuse what the kernel would refuse, filling info->layout.  On
 * failure nothing is left open. */
static int md_open(const char *path, int index, bool rw, bool check, struct vmeta_dev *d,
		   uint8_t **ret_sbbuf, struct vmeta_info *info, struct vh_error *e)
{
	uint8_t *buf;
	int r;

	r = vmeta_index_check(index, e);
	if (r < 0)
		return r;
	r = vmeta_dev_open(path, rw, d, e);
	if (r < 0)
		return r;
	info_init(info, d);
	buf = vmeta_dev_buf(VMETA_SB_BYTES);
	if (!buf) {
		r = vh_err(e, -ENOMEM, "out of memory");
		goto err_close;
	}
	r = read_sb(d, index, buf, &info->sb, e);
	if (r == 0 && check)
		r = vmeta_sb_check(&info->sb, index, d->bytes, &info->layout, e);
	if (r < 0)
		goto err_free;
	*ret_sbbuf = buf;
	return 0;
err_free:
	free(buf);
err_close:
	vmeta_dev_close(d);
	return r;
}

int vmeta_create(const char *path, const struct vmeta_create_opts *opts,
		 struct vmeta_info *ret_info, struct vh_error *e)
{
	struct vmeta_info info;
	struct vmeta_layout l;
	struct vmeta_dev d;
	struct vmeta_sb old;
	uint8_t *buf = NULL;
	int r;

	r = vmeta_dev_open(path, true, &d, e);
	if (r < 0)
		return r;
	info_init(&info, &d);
	r = vmeta_layout_new(opts->index, d.bytes, &l, e);
	if (r < 0)
		goto out;
	if (opts->backing_bytes && opts->backing_bytes > l.max_data_bytes) {
		uint64_t need = 0;
		struct vh_error e2;

		r = vmeta_min_md_bytes(opts->index, opts->backing_bytes, &need, &e2);
		if (r < 0) {
			if (e)
				*e = e2;
			goto out;
		}
		r = vh_err(e, -ENOSPC, "%s (%llu bytes) is too small for a backing device of "
			   "%llu bytes: it needs at least %llu bytes", path,
			   (unsigned long long)d.bytes, (unsigned long long)opts->backing_bytes,
			   (unsigned long long)need);
		goto out;
	}
	buf = vmeta_dev_buf(VMETA_AL_BYTES);
	if (!buf) {
		r = vh_err(e, -ENOMEM, "out of memory");
		goto out;
	}
	r = read_sb(&d, opts->index, buf, &old, e);
	if (r < 0)
		goto out;
	if (vmeta_magic_is_drbd(old.magic) && !opts->force) {
		r = vh_err(e, -EEXIST, "%s already holds DRBD meta-data (magic 0x%08x) at byte "
			   "%llu; use --force to overwrite it", path, old.magic,
			   (unsigned long long)l.md_offset);
		goto out;
	}
	r = vmeta_dev_zero(&d, l.bm_offset, l.bm_bytes, true, &info.zero_method, e);
	if (r < 0)
		goto out;
	info.zeroed_bytes = l.bm_bytes;
	vmeta_al_init(buf, VMETA_AL_BLOCKS);
	r = vmeta_dev_write(&d, buf, VMETA_AL_BYTES, l.al_offset, e);
	if (r < 0)
		goto out;
	r = vmeta_dev_flush(&d, e);
	if (r < 0)
		goto out;
	vmeta_sb_init(&info.sb, &l);
	vmeta_sb_encode(&info.sb, buf);
	r = vmeta_dev_write(&d, buf, VMETA_SB_BYTES, l.md_offset, e);
	if (r < 0)
		goto out;
	r = vmeta_dev_flush(&d, e);
	if (r < 0)
		goto out;
	info.layout = l;
	if (ret_info)
		*ret_info = info;
out:
	free(buf);
	vmeta_dev_close(&d);
	return r;
}

int vmeta_wipe(const char *path, int index, bool force, struct vmeta_info *ret_info,
	       struct vh_error *e)
{
	struct vmeta_info info;
	struct vmeta_dev d;
	uint8_t *buf = NULL;
	int r;

	r = md_open(path, index, true, false, &d, &buf, &info, e);
	if (r < 0)
		return r;
	if (!vmeta_magic_is_drbd(info.sb.magic) && !force) {
		r = vh_err(e, -EBADMSG, "%s: no DRBD meta-data to wipe (magic 0x%08x at byte "
			   "%llu); use --force to zero it anyway", path, info.sb.magic,
			   (unsigned long long)vmeta_md_offset(index));
		goto out;
	}
	memset(buf, 0, VMETA_SB_BYTES);
	r = vmeta_dev_write(&d, buf, VMETA_SB_BYTES, vmeta_md_offset(index), e);
	if (r < 0)
		goto out;
	r = vmeta_dev_flush(&d, e);
	if (r < 0)
		goto out;
	info.layout.index = index;
	info.layout.md_offset = vmeta_md_offset(index);
	if (ret_info)
		*ret_info = info;
out:
	free(buf);
	vmeta_dev_close(&d);
	return r;
}

/* Bitmap bytes that cover the last agreed size: what apply-al may touch. */
static uint64_t bm_limit(const struct vmeta_sb *sb, const struct vmeta_layout *l)
{
	uint64_t lim = vmeta_bm_bytes(sb->la_size_sect);

	return lim < l->bm_bytes ? lim : l->bm_bytes;
}

/* Set the hot extents' bits, one 4 KiB bitmap window at a time (read,
 * modify, write), skipping windows with nothing to set. */
static int apply_hot(struct vmeta_dev *d, const struct vmeta_layout *l, uint64_t limit,
		     const uint32_t *hot, unsigned int n_hot, struct vmeta_info *info,
		     struct vh_error *e)
{
	uint8_t *win = vmeta_dev_buf(BM_WINDOW);
	unsigned int i = 0;
	int r = 0;

	if (!win)
		return vh_err(e, -ENOMEM, "out of memory");
	while (i < n_hot) {
		uint64_t start = (uint64_t)hot[i] * VMETA_EXTENT_BM_BYTES;
		uint64_t woff = start - start % BM_WINDOW, wlen;
		unsigned int j = i;

		if (start + VMETA_EXTENT_BM_BYTES > limit) {
			/* Sorted: every further extent lies beyond the bitmap too. */
			info->extents_skipped += n_hot - i;
			break;
		}
		wlen = limit - woff < BM_WINDOW ? limit - woff : BM_WINDOW;
		while (j < n_hot && (uint64_t)hot[j] * VMETA_EXTENT_BM_BYTES < woff + wlen)
			j++;
		r = vmeta_dev_read(d, win, wlen, l->bm_offset + woff, e);
		if (r < 0)
			break;
		info->bits_set += vmeta_bm_set_extents(win, woff, wlen, hot + i, j - i,
							&info->extents_applied);
		r = vmeta_dev_write(d, win, wlen, l->bm_offset + woff, e);
		if (r < 0)
			break;
		i = j;
	}
	free(win);
	return r;
}

static bool al_has_84_magic(const uint8_t *al)
{
	struct vmeta_al_tr tr;

	for (int b = 0; b < 2; b++) {
		vmeta_al_decode(al + b * VMETA_AL_BLOCK_BYTES, &tr);
		if (tr.magic == VMETA_AL_MAGIC)
			return true;
	}
	return false;
}

int vmeta_apply_al(const char *path, int index, struct vmeta_info *ret_info,
		   struct vh_error *e)
{
	uint32_t stripes, stripe_4k;
	struct vmeta_al_replay rp = { 0 };
	struct vmeta_info info;
	struct vmeta_dev d;
	uint8_t *sb = NULL, *al = NULL;
	bool reinit = false;
	int r;

	r = md_open(path, index, true, true, &d, &sb, &info, e);
	if (r < 0)
		return r;
	stripes = info.sb.al_stripes ? info.sb.al_stripes : 1;
	stripe_4k = info.sb.al_stripe_size_4k ? info.sb.al_stripe_size_4k : 8;
	info.was_primary = info.sb.flags & VMETA_MDF_PRIMARY_IND;
	info.was_clean = info.sb.magic == VMETA_MAGIC_08 && (info.sb.flags & VMETA_MDF_AL_CLEAN);
	/* The replay needs the whole log; vmeta_sb_check() bounded it to
	 * VMETA_AL_4K_MAX blocks, inside the device. */
	al = vmeta_dev_buf(info.layout.al_bytes);
	rp.hot = calloc(VMETA_AL_SLOTS_MAX, sizeof(*rp.hot));
	if (!al || !rp.hot) {
		r = vh_err(e, -ENOMEM, "out of memory");
		goto out;
	}
	r = vmeta_dev_read(&d, al, info.layout.al_bytes, info.layout.al_offset, e);
	if (r < 0)
		goto out;

	if (info.sb.magic != VMETA_MAGIC_84_UNCLEAN && !al_has_84_magic(al) &&
	    stripes == 1 && stripe_4k == 8) {
		/* Clean v08 superblock over a log not in 8.4 format: DRBD 8.3's. */
		if (info.was_primary) {
			r = vh_err(e, -EOPNOTSUPP, "%s: activity log in DRBD 8.3 format on a "
				   "Primary's meta-data; vmhop replays only 8.4 logs", path);
			goto out;
		}
		info.replay_rc = -ENODATA;
		reinit = true;
	} else {
		info.replay_rc = vmeta_al_replay(al, info.layout.al_bytes, stripes, stripe_4k, &rp);
		if (info.replay_rc == -ENOMEM || info.replay_rc == -EINVAL) {
			r = info.replay_rc == -ENOMEM ? vh_err(e, -ENOMEM, "out of memory") :
			    vh_err(e, -EBADMSG, "%s: activity log of %u x %u blocks cannot be "
				   "replayed", path, stripes, stripe_4k);
			goto out;
		}
		info.al_valid = rp.valid;
		info.al_updates = rp.updates;
		info.n_hot = rp.n_hot;
		if (info.replay_rc < 0) {
			if (info.was_primary) {
				r = vh_err(e, -EBADMSG, "%s: activity log unusable (%u of %u "
					   "transactions valid, %s) and the node was Primary: cannot "
					   "tell which blocks may differ", path, rp.valid, rp.blocks,
					   info.replay_rc == -ENODATA ? "none valid" :
					   "no update transaction");
				goto out;
			}
			/* A Secondary wrote nothing the peer lacks: nothing to replay. */
			reinit = true;
		} else if (info.replay_rc > 0) {
			reinit = true;
		}
	}
	if (info.replay_rc > 0 && info.was_primary && rp.n_hot) {
		r = apply_hot(&d, &info.layout, bm_limit(&info.sb, &info.layout), rp.hot,
			      rp.n_hot, &info, e);
		if (r < 0)
			goto out;
		/* The bitmap must be on disk before the log that justified it goes. */
		r = vmeta_dev_flush(&d, e);
		if (r < 0)
			goto out;
	}
	if (reinit) {
		vmeta_al_init(al, (unsigned int)(info.layout.al_bytes / VMETA_AL_BLOCK_BYTES));
		r = vmeta_dev_write(&d, al, info.layout.al_bytes, info.layout.al_offset, e);
		if (r < 0)
			goto out;
		info.al_reinitialized = true;
	}
	if (!info.was_clean) {
		/* MDF_PRIMARY_IND stays: the kernel uses it for degr-wfc-timeout. */
		info.sb.flags |= VMETA_MDF_AL_CLEAN;
		info.sb.magic = VMETA_MAGIC_08;
		vmeta_sb_encode(&info.sb, sb);
		r = vmeta_dev_write(&d, sb, VMETA_SB_BYTES, info.layout.md_offset, e);
		if (r < 0)
			goto out;
		info.sb_written = true;
	}
	if (info.al_reinitialized || info.sb_written) {
		r = vmeta_dev_flush(&d, e);
		if (r < 0)
			goto out;
	}
	if (ret_info)
		*ret_info = info;
out:
	free(rp.hot);
	free(al);
	free(sb);
	vmeta_dev_close(&d);
	return r;
}

/* Read [@off, @off + @len) of the device through @buf (@buf_len bytes),
 * handing each piece to @fn.  vmeta_read() makes @buf_len 4 MiB or at least
 * the AL's size, so that no AL block straddles two pieces. */
static int read_pieces(struct vmeta_dev *d, uint64_t off, uint64_t len, uint8_t *buf,
		       size_t buf_len, void (*fn)(const uint8_t *p, size_t n, void *ud), void *ud,
		       struct vh_error *e)
{
	for (uint64_t done = 0; done < len;) {
		size_t n = len - done < buf_len ? (size_t)(len - done) : buf_len;
		int r = vmeta_dev_read(d, buf, n, off + done, e);

		if (r < 0)
			return r;
		fn(buf, n, ud);
		done += n;
	}
	return 0;
}

/* Pieces are multiples of 4 KiB (the AL is), so no block straddles two. */
static void count_al_blocks(const uint8_t *p, size_t n, void *ud)
{
	struct vmeta_al_tr tr;
	unsigned int *valid = ud;

	for (size_t b = 0; b + VMETA_AL_BLOCK_BYTES <= n; b += VMETA_AL_BLOCK_BYTES)
		*valid += vmeta_al_decode(p + b, &tr);
}

static void count_bits(const uint8_t *p, size_t n, void *ud)
{
	uint64_t *bits = ud;

	for (size_t k = 0; k < n; k++)
		*bits += (uint64_t)__builtin_popcount(p[k]);
}

int vmeta_read(const char *path, int index, struct vmeta_info *ret_info, struct vh_error *e)
{
	struct vmeta_info info;
	struct vmeta_dev d;
	uint8_t *sb = NULL, *buf = NULL;
	uint64_t bm_len;
	size_t len;
	int r;

	r = md_open(path, index, false, true, &d, &sb, &info, e);
	if (r < 0)
		return r;
	/* One buffer for both, no larger than the larger of them needs. */
	bm_len = bm_limit(&info.sb, &info.layout);
	len = READ_CHUNK;
	if (info.layout.al_bytes < len && bm_len < len)
		len = (size_t)(info.layout.al_bytes > bm_len ? info.layout.al_bytes : bm_len);
	buf = vmeta_dev_buf(len);
	if (!buf) {
		r = vh_err(e, -ENOMEM, "out of memory");
		goto out;
	}
	r = read_pieces(&d, info.layout.al_offset, info.layout.al_bytes, buf, len,
			count_al_blocks, &info.al_valid_blocks, e);
	if (r < 0)
		goto out;
	r = read_pieces(&d, info.layout.bm_offset, bm_len, buf, len, count_bits,
			&info.bm_bits_set, e);
	if (r < 0)
		goto out;
	if (ret_info)
		*ret_info = info;
out:
	free(buf);
	free(sb);
	vmeta_dev_close(&d);
	return r;
}
