package qemu

// EmptyKernelImage returns the smallest PVH kernel there is: its first
// instructions write bootabi.ExitValue(0) (1) to the debug-exit port. Booting it measures what QEMU
// itself costs, the floor of every boot-time figure.
func EmptyKernelImage() []byte {
	return pvhImage(emptyExit)
}

// emptyExit writes bootabi.ExitValue(0) to the debug-exit port and halts.
var emptyExit = []byte{
	0x66, 0xBA, 0xF4, 0x00, // mov dx, 0xf4
	0x31, 0xC0, // xor eax, eax
	0x40,       // inc eax (exit status 0 is written as 1)
	0xEF,       // out dx, eax
	0xF4,       // hlt
	0xEB, 0xFD, // jmp hlt
}

// FloorProbeImage returns the empty kernel with one addition: its first
// instruction reads the time-stamp counter, whose 8 bytes (little-endian)
// it writes to COM1 before it exits. The guest's counter starts near 0
// when the machine starts, so the host can place that moment on its own
// clock (the first console byte's arrival − TSC / rate), which the empty
// kernel's exit alone cannot tell: `gotoro bench boot` prints the floor's
// QEMU start → machine runs from it.
func FloorProbeImage() []byte {
	code := []byte{
		0x0F, 0x31, // rdtsc (edx:eax)
		0x89, 0xC3, // mov ebx, eax
		0x89, 0xD1, // mov ecx, edx
		0x66, 0xBA, 0xF8, 0x03, // mov dx, 0x3f8
	}
	for _, reg := range []byte{0xD8, 0xC8} { // the low half (ebx), then the high (ecx)
		code = append(code,
			0xBE, 4, 0, 0, 0, // mov esi, 4
			0x88, reg, // 1: mov al, bl / cl
			0xEE,                      // out dx, al
			0xC1, 0xE8|reg>>3&7, 0x08, // shr ebx / ecx, 8
			0x4E,       // dec esi
			0x75, 0xF7, // jnz 1b
		)
	}
	return pvhImage(append(code, emptyExit...))
}
