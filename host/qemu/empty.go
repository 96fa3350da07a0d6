package qemu

// EmptyKernelImage returns the smallest PVH kernel there is: its first
// instructions write bootabi.ExitValue(0) (1) to the debug-exit port. Booting it measures what QEMU
// itself costs, the floor of every boot-time figure.
func EmptyKernelImage() []byte {
	return pvhImage([]byte{
		0x66, 0xBA, 0xF4, 0x00, // mov dx, 0xf4
		0x31, 0xC0, // xor eax, eax
		0x40,       // inc eax (exit status 0 is written as 1)
		0xEF,       // out dx, eax
		0xF4,       // hlt
		0xEB, 0xFD, // jmp hlt
	})
}
