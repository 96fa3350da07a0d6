//go:build gotoro

package gotoro

// CoreID returns the core the calling thread runs on. In the guest it is a
// single load from the core's kernel data through the GS segment (the
// kernel keeps GS based at the running core's data at all times); the
// answer can be stale as soon as it is returned unless the thread is pinned
// (Go, Pin).
func CoreID() int
