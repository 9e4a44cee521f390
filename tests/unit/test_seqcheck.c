/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lab's data checker: it must catch every lost, stale or corrupt write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#define SEQCHECK_NO_MAIN
#include "../../tools/lab/seqcheck.c"

#define SLOTS 16u

/* What busyvm writes for write number n. */
static void put_record(unsigned char *ring, uint32_t slots, uint32_t n)
{
	unsigned char *s = ring + (size_t)(n % slots) * SEQ_SECTOR;
	uint32_t v[3] = { n, ~n, n };
	unsigned off[3] = { 4, 8, 508 };

	memcpy(s, "VHSQ", 4);
	for (int k = 0; k < 3; k++)
		for (int b = 0; b < 4; b++)
			s[off[k] + b] = (unsigned char)(v[k] >> (8 * b));
	memset(s + 12, (int)((n & 0xff) ^ 0x5a), 496);
}

static unsigned char *ring_after(uint32_t writes)
{
	unsigned char *ring = calloc(SLOTS, SEQ_SECTOR);

	for (uint32_t n = 0; n < writes; n++)
		put_record(ring, SLOTS, n);
	return ring;
}

static void empty_ring_is_ok(void **state)
{
	unsigned char *ring = ring_after(0);
	struct seq_report r;

	(void)state;
	seq_check_ring(ring, SLOTS, &r);
	assert_true(r.ok);
	assert_int_equal(r.writes, 0);
	free(ring);
}

static void partial_and_wrapped_rings_are_ok(void **state)
{
	uint32_t cases[] = { 1, 5, SLOTS - 1, SLOTS, SLOTS + 1, 3 * SLOTS + 7, 1000 };
	struct seq_report r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned char *ring = ring_after(cases[i]);

		seq_check_ring(ring, SLOTS, &r);
		assert_true(r.ok);
		assert_int_equal(r.writes, cases[i]);
		free(ring);
	}
}

static void lost_write_in_the_middle_is_caught(void **state)
{
	unsigned char *ring = ring_after(3 * SLOTS + 7);
	struct seq_report r;

	(void)state;
	/* Write 3*SLOTS+2 never reached the disk: its slot still holds 2*SLOTS+2. */
	put_record(ring, SLOTS, 2 * SLOTS + 2);
	seq_check_ring(ring, SLOTS, &r);
	assert_false(r.ok);
	assert_int_equal(r.bad_slot, 2);
	assert_int_equal(r.bad_found, 2 * SLOTS + 2);
	assert_int_equal(r.bad_expected, 3 * SLOTS + 2);
	free(ring);
}

static void hole_before_wrap_is_caught(void **state)
{
	unsigned char *ring = ring_after(9);
	struct seq_report r;

	(void)state;
	memset(ring + 4 * SEQ_SECTOR, 0, SEQ_SECTOR);
	seq_check_ring(ring, SLOTS, &r);
	assert_false(r.ok);
	assert_int_equal(r.bad_slot, 4);
	assert_int_equal(r.bad_found, -1);
	assert_int_equal(r.bad_expected, 4);
	free(ring);
}

static void corrupt_sector_is_caught(void **state)
{
	unsigned char *ring = ring_after(2 * SLOTS);
	struct seq_report r;

	(void)state;
	ring[7 * SEQ_SECTOR + 100] ^= 1;
	seq_check_ring(ring, SLOTS, &r);
	assert_false(r.ok);
	assert_int_equal(r.bad_slot, 7);
	assert_int_equal(r.bad_found, -2);
	assert_int_equal(r.mismatches, 1);
	free(ring);
}

static void serial_scan_takes_last_count_and_errors(void **state)
{
	uint32_t count, errors;

	(void)state;
	seq_scan_serial("SeaBIOS\r\nBUSYVM\r\nSEQ 00000080\r\nSEQ 00000100\r\n", &count, &errors);
	assert_int_equal(count, 0x100);
	assert_int_equal(errors, 0);
	seq_scan_serial("SEQ 00000080\r\nERR 00000001\r\nSEQ 00000100\r\nHALT\r\n", &count, &errors);
	assert_int_equal(errors, 2);
	seq_scan_serial("", &count, &errors);
	assert_int_equal(count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_ring_is_ok),
		cmocka_unit_test(partial_and_wrapped_rings_are_ok),
		cmocka_unit_test(lost_write_in_the_middle_is_caught),
		cmocka_unit_test(hole_before_wrap_is_caught),
		cmocka_unit_test(corrupt_sector_is_caught),
		cmocka_unit_test(serial_scan_takes_last_count_and_errors),
	};

	return cmocka_run_group_tests_name("seqcheck", tests, NULL, NULL);
}
