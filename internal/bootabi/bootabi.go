// Package bootabi holds the layout shared by the image builder (host) and the
// guest kernel: the boot block the 32-bit trampoline hands to the kernel, the
// fixed addresses of an image, and the exit codes the kernel reports through
// QEMU's isa-debug-exit device.
//
// Everything here is plain constants and fixed-size structs so that the guest
// kernel can read it without allocating.
package bootabi

// ImageBase is the physical (and virtual) address of the ELF header of every
// gotoro image; the Go text segment starts one page above it.
const ImageBase = 0x100000

// TextAddr is passed to the Go linker as -T.
const TextAddr = ImageBase + 0x1000

// BootBlockMagic starts the boot block ("GOTOROB2", little endian). The
// first layout ("GOTOROBB", OldBootBlockMagic) ended at PclntabLen.
const BootBlockMagic = 0x3242_4f52_4f54_4f47

// OldBootBlockMagic starts the boot block of images made before the boot
// block had Flags, RuntimeMain and MainMain. The host still boots them; it
// cannot tell what they link (see Flags).
const OldBootBlockMagic = 0x4242_4f52_4f54_4f47

// BootBlock is written by the image builder into the padding after the ELF
// program and section headers (inside the first loaded page). The trampoline
// passes its physical address to the kernel in ESI.
type BootBlock struct {
	Magic      uint64
	ImageEnd   uint64 // end of the highest PT_LOAD segment (page aligned)
	PageTables uint64 // first byte of the trampoline's boot page tables
	ReservedTo uint64 // first free physical byte after everything the image occupies
	FilesAddr  uint64 // physical address of the packed file tree, 0 if none
	FilesSize  uint64
	Pclntab    uint64 // address of the Go pcln table (.gopclntab), for symbolizing stacks
	PclntabLen uint64
	Flags      uint64 // what the program links (Flag* bits)
	// RuntimeMain and MainMain are the entry addresses of runtime.main
	// and main.main (0 if absent), where boot tracing puts its
	// breakpoints.
	RuntimeMain uint64
	MainMain    uint64
	// ReadOnlyEnd ends the read-only segments (no PF_W) that start at
	// ImageBase, page-aligned: the headers, text and read-only data,
	// which the kernel maps read-only from ImageBase up to it.
	ReadOnlyEnd uint64
}

// BootBlockSize is the encoded size of BootBlock.
const BootBlockSize = 12 * 8

// Flags of BootBlock.Flags.
const (
	// FlagNetwork: the program links the network service (package
	// netsvc), so a network device is worth attaching.
	FlagNetwork = 1 << 0
)

// BootPageTablePages is how many pages the trampoline uses for its identity
// map of the first 4 GiB: PML4, PDPT and four page directories of 2 MiB pages.
const BootPageTablePages = 6

// Debug-exit I/O port. QEMU exits with status (v<<1)|1 when v is written.
const DebugExitPort = 0xf4

// Values written to the debug-exit port. The guest never writes 0: QEMU's
// own failures (no memory, a locked disk, a missing module) exit with
// status 1, which is what writing 0 would give, and a machine reset under
// -no-reboot exits with 0. So every exit status QEMU can produce by failing
// is even or 1, and every value the guest writes gives an odd status of 3
// or more.
const (
	// ExitStatusBase is added to a guest exit status 0..ExitDirectMax to
	// form the value written.
	ExitStatusBase = 1
	// ExitDirectMax is the highest guest exit status written directly.
	ExitDirectMax = ExitFault - ExitStatusBase - 1
	// ExitFault: the kernel stopped on a fault the Go runtime could not handle.
	ExitFault = 124
	// ExitHigh: the guest exited with a status above ExitDirectMax (or a
	// negative one); the real status is in the ExitMarker line before it.
	ExitHigh = 125
)

// ExitValue returns the value the kernel writes to the debug-exit port for
// a guest exit status. For ExitHigh the kernel prints an ExitMarker line
// with the status first, from which the host takes it; for the others it
// prints nothing (the port carries the status).
func ExitValue(status int) uint32 {
	if status < 0 || status > ExitDirectMax {
		return ExitHigh
	}
	return uint32(status + ExitStatusBase)
}

// ExitMarker precedes the decimal exit status on the console, in the line
// the kernel prints before it writes to the debug-exit port.
const ExitMarker = "\x00gotoro-exit-status:"

// Standard input: the host's standard input reaches the guest program's
// descriptor 0 through a second 16550 UART (COM2), when the command line
// has stdin=serial. The host sends nothing before the kernel has set the
// UART up and written StdinReady to it (bytes arriving earlier would be
// lost when the kernel turns the FIFOs on). A UART has no end of input, so
// the host escapes: the byte StdinEscape is followed by StdinEscape for
// itself, or by StdinEOF when the host's input has ended.
const (
	StdinPort   = 0x2f8
	StdinIRQ    = 3
	StdinReady  = 'R'
	StdinEscape = 0x00
	StdinEOF    = 'E'
)

// FaultMarker starts the kernel's fault report on the console.
const FaultMarker = "gotoro: fatal fault"
