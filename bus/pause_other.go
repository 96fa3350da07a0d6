//go:build !amd64 && !arm64

package bus

import "runtime"

// pause gives other goroutines a chance where no spin hint exists.
func pause() { runtime.Gosched() }
