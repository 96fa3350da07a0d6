package qemu

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
)

// The SSE probe is a minimal PVH kernel, written here byte by byte so that
// the KVM self-test needs nothing but QEMU: one PT_LOAD segment at 1 MiB
// holding the ELF header, the program headers, the Xen PVH note, 32 bytes of
// data and 32-bit code; and a PT_NOTE segment that points QEMU at the code.
//
// The code enables SSE (CR4.OSFXSR, CR0.MP, CR0.EM and CR0.TS clear), moves
// probeMagic through two XMM registers (movaps load, xorps, orps, movaps
// store) and writes the result to the debug-exit port. QEMU then exits with
// status probeMagic<<1|1, which no other outcome produces: a faulting SSE
// instruction resets the machine (status 0 with -no-reboot), an ignored one
// writes 0.

// probeMagic is the value the probe sends to the debug-exit port.
const probeMagic = 0x5a

// probeExitStatus is QEMU's exit status when the probe succeeds.
const probeExitStatus = probeMagic<<1 | 1

// Probe image layout (file offsets; the image loads at probeBase).
const (
	probeBase    = 0x100000
	probeEhdrLen = 64
	probePhdrLen = 56
	probeNoteOff = probeEhdrLen + 2*probePhdrLen // 176
	probeNoteLen = 12 + 4 + 4                    // header, "Xen\0", entry
	probeDataOff = 208                           // 16-byte aligned, after the note and 4 zero bytes
	probeOutOff  = probeDataOff + 16
	probeCodeOff = probeOutOff + 16
)

// xenElfnotePhys32Entry is the Xen note type holding the PVH 32-bit entry.
const xenElfnotePhys32Entry = 18

// probeCode returns the probe's 32-bit code.
func probeCode() []byte {
	data, out := uint32(probeBase+probeDataOff), uint32(probeBase+probeOutOff)
	le := binary.LittleEndian
	var c []byte
	c = append(c, 0x0F, 0x20, 0xE0)                        // mov eax, cr4
	c = append(c, 0x0D, 0x00, 0x06, 0x00, 0x00)            // or eax, OSFXSR|OSXMMEXCPT
	c = append(c, 0x0F, 0x22, 0xE0)                        // mov cr4, eax
	c = append(c, 0x0F, 0x20, 0xC0)                        // mov eax, cr0
	c = append(c, 0x25, 0xF3, 0xFF, 0xFF, 0xFF)            // and eax, ~(EM|TS)
	c = append(c, 0x83, 0xC8, 0x02)                        // or eax, MP
	c = append(c, 0x0F, 0x22, 0xC0)                        // mov cr0, eax
	c = append(c, 0x0F, 0x57, 0xC9)                        // xorps xmm1, xmm1
	c = le.AppendUint32(append(c, 0x0F, 0x28, 0x05), data) // movaps xmm0, [data]
	c = append(c, 0x0F, 0x56, 0xC8)                        // orps xmm1, xmm0
	c = le.AppendUint32(append(c, 0x0F, 0x29, 0x0D), out)  // movaps [out], xmm1
	c = le.AppendUint32(append(c, 0xA1), out)              // mov eax, [out]
	c = append(c, 0x66, 0xBA, 0xF4, 0x00)                  // mov dx, 0xf4
	c = append(c, 0xEF)                                    // out dx, eax
	c = append(c, 0xF4, 0xEB, 0xFD)                        // 1: hlt; jmp 1b
	return c
}

// sseProbeImage returns the probe as an ELF file.
func sseProbeImage() []byte { return pvhImage(probeCode()) }

// pvhImage returns an ELF file with the probe's layout and the given 32-bit
// code at the PVH entry point.
func pvhImage(code []byte) []byte {
	entry := uint64(probeBase + probeCodeOff)
	size := uint64(probeCodeOff + len(code))

	var b bytes.Buffer
	hdr := elf.Header64{
		Type:      uint16(elf.ET_EXEC),
		Machine:   uint16(elf.EM_X86_64),
		Version:   uint32(elf.EV_CURRENT),
		Entry:     entry,
		Phoff:     probeEhdrLen,
		Ehsize:    probeEhdrLen,
		Phentsize: probePhdrLen,
		Phnum:     2,
	}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	hdr.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	hdr.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	load := elf.Prog64{
		Type:   uint32(elf.PT_LOAD),
		Flags:  uint32(elf.PF_R | elf.PF_W | elf.PF_X),
		Vaddr:  probeBase,
		Paddr:  probeBase,
		Filesz: size,
		Memsz:  size,
		Align:  0x1000,
	}
	note := elf.Prog64{
		Type:   uint32(elf.PT_NOTE),
		Flags:  uint32(elf.PF_R),
		Off:    probeNoteOff,
		Vaddr:  probeBase + probeNoteOff,
		Paddr:  probeBase + probeNoteOff,
		Filesz: probeNoteLen,
		Memsz:  probeNoteLen,
		Align:  4,
	}
	le := binary.LittleEndian
	binary.Write(&b, le, hdr) // writes to a bytes.Buffer cannot fail
	binary.Write(&b, le, load)
	binary.Write(&b, le, note)

	img := b.Bytes()
	img = le.AppendUint32(img, 4) // namesz
	img = le.AppendUint32(img, 4) // descsz
	img = le.AppendUint32(img, xenElfnotePhys32Entry)
	img = append(img, "Xen\x00"...)
	img = le.AppendUint32(img, uint32(entry))
	// QEMU 7.2 reads the entry as 8 bytes: the padding must be zero.
	img = append(img, make([]byte, probeDataOff-len(img))...)
	for range 4 {
		img = le.AppendUint32(img, probeMagic)
	}
	img = append(img, make([]byte, probeCodeOff-len(img))...)
	return append(img, code...)
}
