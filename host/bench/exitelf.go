package bench

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
)

// exitProgramStatus is the status the exit program (exitProgram) exits
// with: not 0, so that a qemu-x86_64 that failed to run it cannot pass for
// it.
const exitProgramStatus = 42

// exitProgram returns a static linux/amd64 executable of three
// instructions, `mov edi, 42; mov eax, 60 (exit); syscall`: the floor of
// the user-mode peer, what qemu-x86_64 costs to start, load a program,
// translate one block and exit. It is written here, byte by byte, rather
// than assembled or compiled: a Go program would bring the runtime's start
// that the peer measures, and an assembler would be one more tool to
// install. One ELF header, one PT_LOAD program header mapping the whole
// file at 0x400000 (read and execute), the code right after them.
func exitProgram() []byte {
	const (
		base    = 0x400000
		ehsize  = 64
		phsize  = 56
		codeOff = ehsize + phsize
	)
	code := []byte{
		0xbf, exitProgramStatus, 0, 0, 0, // mov edi, 42
		0xb8, 60, 0, 0, 0, // mov eax, 60 (exit)
		0x0f, 0x05, // syscall
	}
	size := uint64(codeOff + len(code))
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	w(elf.Header64{
		Ident:     [elf.EI_NIDENT]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT), byte(elf.ELFOSABI_NONE)},
		Type:      uint16(elf.ET_EXEC),
		Machine:   uint16(elf.EM_X86_64),
		Version:   uint32(elf.EV_CURRENT),
		Entry:     base + codeOff,
		Phoff:     ehsize,
		Ehsize:    ehsize,
		Phentsize: phsize,
		Phnum:     1,
	})
	w(elf.Prog64{
		Type:   uint32(elf.PT_LOAD),
		Flags:  uint32(elf.PF_R | elf.PF_X),
		Vaddr:  base,
		Paddr:  base,
		Filesz: size,
		Memsz:  size,
		Align:  0x1000,
	})
	b.Write(code)
	return b.Bytes()
}
