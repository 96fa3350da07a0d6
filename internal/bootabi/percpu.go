package bootabi

// CPUIDOffset is the offset, in the kernel's per-core data that GS points
// at, of the core number. gotoro.CoreID reads it with one GS-relative load;
// the kernel's layout test and the gotoro package's test keep both sides
// in step with this value.
const CPUIDOffset = 72

// MaxCPUs is the most cores the kernel runs; extra vCPUs stay halted.
const MaxCPUs = 16
