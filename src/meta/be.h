/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Big-endian fields at byte offsets: every on-disk DRBD v08 structure is big-endian. */
#ifndef VMHOP_META_BE_H
#define VMHOP_META_BE_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void vmeta_put16(uint8_t *b, size_t off, uint16_t v)
{
	v = htobe16(v);
	memcpy(b + off, &v, sizeof(v));
}

static inline void vmeta_put32(uint8_t *b, size_t off, uint32_t v)
{
	v = htobe32(v);
	memcpy(b + off, &v, sizeof(v));
}

static inline void vmeta_put64(uint8_t *b, size_t off, uint64_t v)
{
	v = htobe64(v);
	memcpy(b + off, &v, sizeof(v));
}

static inline uint16_t vmeta_get16(const uint8_t *b, size_t off)
{
	uint16_t v;

	memcpy(&v, b + off, sizeof(v));
	return be16toh(v);
}

static inline uint32_t vmeta_get32(const uint8_t *b, size_t off)
{
	uint32_t v;

	memcpy(&v, b + off, sizeof(v));
	return be32toh(v);
}

static inline uint64_t vmeta_get64(const uint8_t *b, size_t off)
{
	uint64_t v;

	memcpy(&v, b + off, sizeof(v));
	return be64toh(v);
}

#endif
