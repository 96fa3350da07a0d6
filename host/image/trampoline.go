package image

import "encoding/binary"

// trampolineParams are the absolute physical addresses the 32-bit PVH entry
// code needs. The builder knows them all at link time, so the code is emitted
// with them patched in and needs no position independence.
type trampolineParams struct {
	pageTables uint32 // 6 zeroed pages: PML4, PDPT, 4 PDs
	gdtr       uint32 // 6-byte GDT pseudo-descriptor
	bootBlock  uint32 // passed to the kernel in ESI
	entry64    uint32 // 64-bit kernel entry (ELF entry point)
}

// asm32 is a tiny emitter for the handful of 32-bit instructions the
// trampoline uses.
type asm32 struct{ b []byte }

func (a *asm32) bytes(bs ...byte) { a.b = append(a.b, bs...) }
func (a *asm32) imm32(v uint32)   { a.b = binary.LittleEndian.AppendUint32(a.b, v) }

// movEDI emits mov edi, imm32.
func (a *asm32) movEDI(v uint32) { a.bytes(0xBF); a.imm32(v) }

// movMem emits mov dword [addr], imm32.
func (a *asm32) movMem(addr, v uint32) { a.bytes(0xC7, 0x05); a.imm32(addr); a.imm32(v) }

// buildTrampoline returns the 32-bit code entered by the VMM through the PVH
// note: protected mode, paging off, EBX = hvm_start_info. It identity-maps the
// first 4 GiB with 2 MiB pages, enables long mode, SSE and write protection,
// loads a flat GDT and jumps to the 64-bit entry with EBX preserved and
// ESI = boot block.
func buildTrampoline(p trampolineParams) []byte {
	const (
		pte2M  = 0x83 // present | writable | page size
		ptePtr = 0x03 // present | writable
	)
	pml4, pdpt, pd := p.pageTables, p.pageTables+0x1000, p.pageTables+0x2000
	a := &asm32{}
	a.bytes(0xFC) // cld
	// Zero the six pages: rep stosd with ecx = 6*1024.
	a.movEDI(pml4)
	a.bytes(0xB9)
	a.imm32(6 * 1024)   // mov ecx, 6144
	a.bytes(0x31, 0xC0) // xor eax, eax
	a.bytes(0xF3, 0xAB) // rep stosd
	// Fill 2048 PD entries, 2 MiB each.
	a.movEDI(pd)
	a.bytes(0xB8)
	a.imm32(pte2M) // mov eax, 0x83
	a.bytes(0xB9)
	a.imm32(2048) // mov ecx, 2048
	// loop: mov [edi], eax; add eax, 2M; add edi, 8; dec ecx; jnz loop
	a.bytes(0x89, 0x07)
	a.bytes(0x05)
	a.imm32(0x200000)
	a.bytes(0x83, 0xC7, 0x08)
	a.bytes(0x49)       // dec ecx (one-byte form, 32-bit mode only)
	a.bytes(0x75, 0xF3) // jnz -13
	for i := uint32(0); i < 4; i++ {
		a.movMem(pdpt+8*i, pd+0x1000*i+ptePtr)
	}
	a.movMem(pml4, pdpt+ptePtr)
	// mov eax, pml4; mov cr3, eax
	a.bytes(0xB8)
	a.imm32(pml4)
	a.bytes(0x0F, 0x22, 0xD8)
	// cr4 |= PAE | PGE | OSFXSR | OSXMMEXCPT
	a.bytes(0x0F, 0x20, 0xE0)
	a.bytes(0x0D)
	a.imm32(0x20 | 0x80 | 0x200 | 0x400)
	a.bytes(0x0F, 0x22, 0xE0)
	// EFER |= SCE | LME | NXE
	a.bytes(0xB9)
	a.imm32(0xC0000080)
	a.bytes(0x0F, 0x32)
	a.bytes(0x0D)
	a.imm32(0x1 | 0x100 | 0x800)
	a.bytes(0x0F, 0x30)
	// cr0: clear EM|TS, set PE|MP|WP|PG
	a.bytes(0x0F, 0x20, 0xC0)
	a.bytes(0x25)
	a.imm32(^uint32(0xC))
	a.bytes(0x0D)
	a.imm32(0x80010003)
	a.bytes(0x0F, 0x22, 0xC0)
	// lgdt [gdtr]
	a.bytes(0x0F, 0x01, 0x15)
	a.imm32(p.gdtr)
	// mov esi, bootBlock
	a.bytes(0xBE)
	a.imm32(p.bootBlock)
	// jmp far 0x08:entry64
	a.bytes(0xEA)
	a.imm32(p.entry64)
	a.bytes(0x08, 0x00)
	return a.b
}

// bootGDT is the flat GDT the trampoline loads: null, 64-bit code (0x08),
// data (0x10). The kernel replaces it with its own per-CPU GDT.
var bootGDT = []uint64{0, 0x00AF9A000000FFFF, 0x00CF92000000FFFF}
