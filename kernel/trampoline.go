package kernel

import (
	"github.com/gotoro/gotoro/internal/byteorder"
	"github.com/gotoro/gotoro/kernel/desc"
)

// The application processors' start-up code. A SIPI starts an AP in real
// mode at vector<<12; the trampoline copied there switches to protected
// mode, enables PAE, the boot page tables, long mode and paging exactly as
// the PVH trampoline did for the boot CPU, and jumps to apEntry64 on the
// stack the boot CPU left for it.
//
// Page layout (offsets from the page base P):
//
//	0x000 code (16-bit, then 32-bit, then 64-bit)
//	0x0C0 GDT: null, 32-bit code 0x08, data 0x10, 64-bit code 0x18
//	0x0F0 GDTR (limit, 32-bit base)
//	0x100 CR3 (32 bits)
//	0x108 stack pointer for apEntry64
//	0x110 address of apEntry64
const (
	trampGDT   = 0x0C0
	trampGDTR  = 0x0F0
	trampCR3   = 0x100
	trampStack = 0x108
	trampEntry = 0x110
	trampSize  = 0x118
)

// trampEmitter writes instruction bytes into the trampoline page.
type trampEmitter struct {
	b []byte
	n int
}

func (e *trampEmitter) bytes(bs ...byte) {
	e.n += copy(e.b[e.n:], bs)
}

func (e *trampEmitter) u16(v uint16) {
	byteorder.LittleEndian.PutUint16(e.b[e.n:], v)
	e.n += 2
}

func (e *trampEmitter) u32(v uint32) {
	byteorder.LittleEndian.PutUint32(e.b[e.n:], v)
	e.n += 4
}

// writeTrampoline fills page (at physical address base, below 1 MiB) with
// the AP start-up code.
func writeTrampoline(page []byte, base uint32, cr3 uint32) {
	clear(page[:trampSize])
	e := &trampEmitter{b: page}
	// 16-bit real mode, CS = base>>4, IP = 0.
	e.bytes(0xFA)             // cli
	e.bytes(0x8C, 0xC8)       // mov ax, cs
	e.bytes(0x8E, 0xD8)       // mov ds, ax
	e.bytes(0x66, 0x0F, 0x01) // lgdt [trampGDTR] (32-bit base)
	e.bytes(0x16)
	e.u16(trampGDTR)
	e.bytes(0x0F, 0x20, 0xC0)       // mov eax, cr0
	e.bytes(0x66, 0x83, 0xC8, 0x01) // or eax, 1 (PE)
	e.bytes(0x0F, 0x22, 0xC0)       // mov cr0, eax
	e.bytes(0x66, 0xEA)             // jmp far 0x08:pm32
	pm32At := e.n
	e.u32(0)
	e.u16(0x08)

	// 32-bit protected mode.
	byteorder.LittleEndian.PutUint32(page[pm32At:], base+uint32(e.n))
	e.bytes(0xB8)
	e.u32(0x10)               // mov eax, 0x10
	e.bytes(0x8E, 0xD8)       // mov ds, ax
	e.bytes(0x8E, 0xC0)       // mov es, ax
	e.bytes(0x8E, 0xD0)       // mov ss, ax
	e.bytes(0x0F, 0x20, 0xE0) // mov eax, cr4
	e.bytes(0x0D)
	e.u32(0x20 | 0x80 | 0x200 | 0x400) // or eax, PAE|PGE|OSFXSR|OSXMMEXCPT
	e.bytes(0x0F, 0x22, 0xE0)          // mov cr4, eax
	e.bytes(0xA1)
	e.u32(base + trampCR3)    // mov eax, [cr3 slot]
	e.bytes(0x0F, 0x22, 0xD8) // mov cr3, eax
	e.bytes(0xB9)
	e.u32(desc.MSREFER) // mov ecx, EFER
	e.bytes(0x0F, 0x32) // rdmsr
	e.bytes(0x0D)
	e.u32(0x1 | 0x100 | 0x800) // or eax, SCE|LME|NXE
	e.bytes(0x0F, 0x30)        // wrmsr
	e.bytes(0x0F, 0x20, 0xC0)  // mov eax, cr0
	e.bytes(0x25)
	e.u32(^uint32(0x6000000C)) // and eax, ~(CD|NW|TS|EM)
	e.bytes(0x0D)
	e.u32(0x80010003)         // or eax, PG|WP|MP|PE
	e.bytes(0x0F, 0x22, 0xC0) // mov cr0, eax
	e.bytes(0xEA)             // jmp far 0x18:lm64
	lm64At := e.n
	e.u32(0)
	e.u16(0x18)

	// 64-bit mode.
	byteorder.LittleEndian.PutUint32(page[lm64At:], base+uint32(e.n))
	e.bytes(0x48, 0x8B, 0x24, 0x25) // mov rsp, [stack slot]
	e.u32(base + trampStack)
	e.bytes(0xFF, 0x24, 0x25) // jmp [entry slot]
	e.u32(base + trampEntry)
	if e.n > trampGDT {
		kpanic("AP trampoline code overflows its GDT")
	}

	gdt := [4]uint64{0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF, 0x00AF9A000000FFFF}
	for i, d := range gdt {
		byteorder.LittleEndian.PutUint64(page[trampGDT+8*i:], d)
	}
	byteorder.LittleEndian.PutUint16(page[trampGDTR:], uint16(len(gdt)*8-1))
	byteorder.LittleEndian.PutUint32(page[trampGDTR+2:], base+trampGDT)
	byteorder.LittleEndian.PutUint32(page[trampCR3:], cr3)
}
