/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * busyvm: a 512-byte boot sector that keeps a disk busy with verifiable writes.
 *
 * Booted by SeaBIOS from the VM's disk (LBA 0), it writes sector after sector
 * through BIOS extended disk services (INT 13h AH=43h) into a ring of
 * RING sectors starting at LBA 1.  Write number n goes to LBA 1 + (n mod RING)
 * and holds:
 *     0..3    "VHSQ"
 *     4..7    n        (little endian)
 *     8..11   ~n
 *     12..507 (n & 0xff) ^ 0x5a, repeated
 *     508..511 n
 * Every 128 completed writes it prints "SEQ xxxxxxxx" (hex count of completed
 * writes) on COM1; an I/O error prints "ERR xxxxxxxx" (AH in the low byte)
 * and the write is retried, up to 16 errors, then "HALT".
 * tools/lab/seqcheck.c reads the ring back and proves that no completed write
 * is missing.  Assemble: as --32; ld -m elf_i386 -Ttext 0x7c00 --oformat binary.
 */
	.code16
	.text
	.globl _start
	.set RING, 8192
	.set BUF, 0x1000
	.set COM1, 0x3f8

_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $0x7c00, %sp
	sti
	ljmp $0, $main

main:
	cld
	movb %dl, drive
	movw $msg_boot, %si
	call puts

next:
	/* Build the sector for write number `seq`. */
	movl seq, %eax
	movw $BUF, %di
	movl $0x51534856, (%di)		/* "VHSQ" */
	movl %eax, 4(%di)
	movl %eax, 508(%di)
	notl %eax
	movl %eax, 8(%di)
	notl %eax
	xorb $0x5a, %al
	addw $12, %di
	movw $496, %cx
	rep stosb
	/* Disk address packet: 1 sector from 0:BUF to LBA 1 + seq % RING. */
	movl seq, %eax
	andl $(RING - 1), %eax
	incl %eax
	movl %eax, dap_lba
	movw $1, dap_count
	movw $0x4300, %ax
	movb drive, %dl
	movw $dap, %si
	int $0x13
	jc ioerr
	incl seq
	testb $0x7f, seq
	jnz next
	movw $msg_seq, %si
	call puts
	movl seq, %eax
	call puthex
	jmp next

ioerr:
	movzbl %ah, %eax
	pushl %eax
	movw $msg_err, %si
	call puts
	popl %eax
	call puthex
	incb errs
	cmpb $16, errs
	jb next
	movw $msg_halt, %si
	call puts
1:	hlt
	jmp 1b

/* puthex: %eax as 8 hex digits, then CR LF. */
puthex:
	movw $8, %cx
1:	roll $4, %eax
	pushl %eax
	andb $0x0f, %al
	addb $'0', %al
	cmpb $'9', %al
	jbe 2f
	addb $7, %al
2:	call putc
	popl %eax
	loop 1b
	movb $'\r', %al
	call putc
	movb $'\n', %al
	jmp putc

/* puts: NUL-terminated string at %si. */
puts:
	lodsb
	testb %al, %al
	jz 1f
	call putc
	jmp puts
1:	ret

/* putc: %al to COM1 once the transmitter is empty. */
putc:
	pushw %ax
	movw $(COM1 + 5), %dx
1:	inb %dx, %al
	testb $0x20, %al
	jz 1b
	popw %ax
	movw $COM1, %dx
	outb %al, %dx
	ret

msg_boot: .asciz "BUSYVM\r\n"
msg_seq:  .asciz "SEQ "
msg_err:  .asciz "ERR "
msg_halt: .asciz "HALT\r\n"

	.balign 4
dap:	.byte 16, 0
dap_count:
	.word 1
	.word BUF, 0
dap_lba:
	.long 0, 0
seq:	.long 0
drive:	.byte 0
errs:	.byte 0

	.org 510
	.word 0xaa55
