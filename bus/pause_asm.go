//go:build amd64 || arm64

package bus

// pause tells the CPU that the thread is in a spin loop (PAUSE on x86-64,
// YIELD on arm64): it saves power and leaves the pipeline, or the sibling
// hyperthread, to useful work.
func pause()
