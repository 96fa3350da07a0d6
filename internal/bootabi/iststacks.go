package bootabi

// The layout of the kernel's interrupt (IST) stacks, shared with the
// host's reading of a reset machine (internal/bootcase): the stacks of
// every core lie in the kernel's page-aligned area `istArea`, a core's
// ISTStacks stacks one after another, each ISTStackSize bytes above a
// guard page of its own.
const (
	ISTStacks    = 3
	ISTStackSize = 16384
	ISTGuard     = 4096
	ISTSlot      = ISTGuard + ISTStackSize
	ISTCoreSize  = ISTStacks * ISTSlot
)

// ISTBottom returns the lowest address of core's interrupt stack ist
// (1-based, as the TSS numbers them) in an area whose first page boundary
// is base.
func ISTBottom(base uint64, core, ist int) uint64 {
	return base + uint64(core)*ISTCoreSize + uint64(ist-1)*ISTSlot + ISTGuard
}
