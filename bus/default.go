package bus

import (
	"fmt"
	"sync"

	"github.com/gotoro/gotoro"
)

var dflt struct {
	once sync.Once
	b    *Bus
}

// Default returns the process's bus: one endpoint per core, default
// geometry. The package-level functions use it.
func Default() *Bus {
	dflt.once.Do(func() {
		b, err := New(gotoro.Cores(), Options{})
		if err != nil {
			panic(err) // cannot happen: Cores() >= 1, default geometry
		}
		dflt.b = b
	})
	return dflt.b
}

// Here returns the default bus's endpoint of the calling thread's core.
// The thread must be pinned (gotoro.Go, gotoro.Pin), and only one thread
// per core may use the package-level functions.
func Here() (*Endpoint, error) {
	c := gotoro.CoreID()
	if c < 0 {
		return nil, fmt.Errorf("bus: %w", ErrNotPinned)
	}
	return Default().Endpoint(c), nil
}

// SendTo sends msg from the caller's core to core; see Endpoint.SendTo.
func SendTo(core int, msg []byte) error {
	e, err := Here()
	if err != nil {
		return err
	}
	return e.SendTo(core, msg)
}

// RecvFrom receives the oldest message from core; see Endpoint.RecvFrom.
func RecvFrom(core int, buf []byte) (int, error) {
	e, err := Here()
	if err != nil {
		return 0, err
	}
	return e.RecvFrom(core, buf)
}

// TrySendTo is the non-blocking SendTo; see Endpoint.TrySendTo.
func TrySendTo(core int, msg []byte) (bool, error) {
	e, err := Here()
	if err != nil {
		return false, err
	}
	return e.TrySendTo(core, msg)
}

// TryRecvFrom is the non-blocking RecvFrom; see Endpoint.TryRecvFrom.
func TryRecvFrom(core int, buf []byte) (int, bool, error) {
	e, err := Here()
	if err != nil {
		return 0, false, err
	}
	return e.TryRecvFrom(core, buf)
}

// RecvAny receives from whichever core has sent; see Endpoint.RecvAny.
func RecvAny(buf []byte) (core, n int, err error) {
	e, err := Here()
	if err != nil {
		return -1, 0, err
	}
	return e.RecvAny(buf)
}
