/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Boot path of the test guest: multiboot (v1) entry in 32-bit protected
 * mode, straight into long mode, then iretq to ring 3 for good.
 *
 * Theory of operation. On the nested KVM hosts this guest is meant for, only
 * 64-bit code in ring 3 runs at native speed; ring-0 code is emulated about
 * a thousand times slower, and 32-bit paging, ltr and syscall reset the VM.
 * Hence, in order:
 *   1. 32-bit stub (ring 0, emulated): remember the multiboot registers,
 *      build identity-mapped PAE tables for the low 4 GiB with 2 MiB pages,
 *      all user-accessible; set CR4.PAE and EFER.LME *before* CR0.PG so that
 *      paging comes up as long-mode paging and 32-bit paging never exists.
 *   2. 64-bit ring 0 (emulated): load an IDT and iretq to ring 3 with IOPL 3
 *      and IF 0. Nothing here ever returns to ring 0: there is no TSS (ltr
 *      would reset the VM), so an exception cannot switch stacks; instead
 *      the IDT points at a conforming code segment, through which the CPU
 *      delivers an exception without a privilege change, on the current
 *      ring-3 stack, and guest_fault() reports it on the serial port. (The
 *      nested hosts reset the VM on any exception anyway; QEMU runs with
 *      -no-reboot so that the reset ends it visibly.) No interrupt is
 *      ever enabled.
 *   3. 64-bit ring 3 (native): clear .bss and call guest_main(), which
 *      never returns.
 * QEMU's multiboot loader refuses ELF64, so the linked image is converted
 * with objcopy -O elf32-i386; its segments are loaded at 1 MiB as they are.
 */

#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003	/* page-aligned modules, memory info */

#define SEL_KCODE	0x08
#define SEL_KDATA	0x10
#define SEL_UDATA	(0x18 | 3)
#define SEL_UCODE	(0x20 | 3)
#define SEL_FAULT	0x28

#define PTE_PWU		0x007		/* present, writable, user */
#define PDE_2M		0x087		/* ... and a 2 MiB page */
#define RFLAGS_USER	0x3002		/* IOPL 3, IF 0, bit 1 reserved */
#define FAULT_VECTORS	32

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.section .boot, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	mov %eax, boot_magic
	mov %ebx, boot_info

	/* six tables: PML4, PDPT and four page directories */
	mov $pml4, %edi
	mov $(6 * 4096 / 4), %ecx
	xor %eax, %eax
	rep stosl
	movl $(pdpt + PTE_PWU), pml4
	mov $pdpt, %edi
	mov $(pd + PTE_PWU), %eax
	mov $4, %ecx
1:	mov %eax, (%edi)
	add $4096, %eax
	add $8, %edi
	loop 1b
	mov $pd, %edi
	mov $PDE_2M, %eax
	mov $2048, %ecx
1:	mov %eax, (%edi)
	add $0x200000, %eax
	add $8, %edi
	loop 1b

	mov %cr4, %eax
	or $0x20, %eax			/* PAE */
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx		/* EFER */
	rdmsr
	or $0x100, %eax			/* LME */
	wrmsr
	lgdt gdt_ptr
	mov %cr0, %eax
	or $0x80000001, %eax		/* PG, PE */
	mov %eax, %cr0
	ljmp $SEL_KCODE, $long_entry

	.code64
long_entry:
	mov $SEL_KDATA, %ax
	mov %ax, %ss
	mov $boot_stack_top, %esp

	/* gates: 16 bytes each, stubs 16 bytes apart, all below 4 GiB */
	mov $idt, %edi
	mov $fault_stubs, %edx
	mov $FAULT_VECTORS, %ecx
1:	mov %edx, %eax
	and $0xffff, %eax
	or $(SEL_FAULT << 16), %eax
	mov %eax, (%rdi)
	mov %edx, %eax
	and $0xffff0000, %eax
	or $0x8e00, %eax		/* present interrupt gate */
	mov %eax, 4(%rdi)
	movq $0, 8(%rdi)
	add $16, %edi
	add $16, %edx
	loop 1b
	lidt idt_ptr

	mov $SEL_UDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	pushq $SEL_UDATA
	pushq $user_stack_top
	pushq $RFLAGS_USER
	pushq $SEL_UCODE
	pushq $user_entry
	iretq

	/* ring 3 from here on */
user_entry:
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	shr $3, %ecx
	xor %eax, %eax
	rep stosq
	mov boot_magic, %edi
	mov boot_info, %esi
	call guest_main
1:	pause
	jmp 1b

	/*
	 * One stub per vector, 16 bytes apart so the gate loop above can
	 * compute them. Vectors 8, 10-14, 17, 21, 29 and 30 push an error
	 * code; the others get a zero so the frame looks the same.
	 */
	.align 16
fault_stubs:
	.irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.align 16
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	pushq $\vec
	.else
	pushq $0
	pushq $\vec
	.endif
	jmp fault_common
	.endr

fault_common:
	mov (%rsp), %rdi		/* vector */
	mov 8(%rsp), %rsi		/* error code */
	mov 16(%rsp), %rdx		/* faulting rip */
	and $-16, %rsp
	call guest_fault
1:	pause
	jmp 1b

	.data
	.align 16
gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08 ring-0 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10 ring-0 data, flat in 32-bit too */
	.quad 0x00cff2000000ffff	/* 0x18 ring-3 data */
	.quad 0x00affa000000ffff	/* 0x20 ring-3 64-bit code */
	.quad 0x00af9e000000ffff	/* 0x28 conforming 64-bit code: faults */
gdt_end:
	.align 4
	.word 0
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt
	.align 4
	.word 0
idt_ptr:
	.word FAULT_VECTORS * 16 - 1
	.quad idt

	.align 4
boot_magic:
	.long 0
boot_info:
	.long 0

	/* outside __bss_start..__bss_end: ring 3 clears .bss while these live */
	.section .boot_bss, "aw", @nobits
	.align 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4 * 4096
idt:	.skip FAULT_VECTORS * 16
	.align 16
	.skip 4096
boot_stack_top:
	.skip 64 * 1024
user_stack_top:

	.section .note.GNU-stack, "", @progbits
