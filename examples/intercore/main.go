// Command intercore sends messages between cores over VirtIOBus: core 0
// sends "ping" to every other core and each answers "pong". It exits 0 if
// every answer came back right.
package main

import (
	"fmt"
	"os"
	"sync"

	"github.com/gotoro/gotoro"
	"github.com/gotoro/gotoro/bus"
)

func main() {
	n := gotoro.Cores()
	fmt.Printf("intercore: %d cores\n", n)
	if n == 1 {
		fmt.Println("Core[0]: no other core to talk to")
		return
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for c := 0; c < n; c++ {
		wg.Add(1)
		gotoro.Go(c, func() {
			defer wg.Done()
			if c == 0 {
				errs[c] = pingAll(n)
			} else {
				errs[c] = answer()
			}
		})
	}
	wg.Wait()
	for c, err := range errs {
		if err != nil {
			fmt.Fprintf(os.Stderr, "intercore: core %d: %v\n", c, err)
			os.Exit(1)
		}
	}
}

// pingAll runs on core 0: one ping and its pong per other core, in order.
func pingAll(n int) error {
	buf := make([]byte, 16)
	for c := 1; c < n; c++ {
		if err := bus.SendTo(c, []byte("ping")); err != nil {
			return err
		}
		fmt.Printf("Core[0] -> Core[%d]: ping\n", c)
		m, err := bus.RecvFrom(c, buf)
		if err != nil {
			return err
		}
		if string(buf[:m]) != "pong" {
			return fmt.Errorf("core %d answered %q", c, buf[:m])
		}
		fmt.Printf("Core[%d] -> Core[0]: %s\n", c, buf[:m])
	}
	return nil
}

// answer runs on every other core: it answers core 0's ping.
func answer() error {
	buf := make([]byte, 16)
	m, err := bus.RecvFrom(0, buf)
	if err != nil {
		return err
	}
	if string(buf[:m]) != "ping" {
		return fmt.Errorf("core 0 sent %q", buf[:m])
	}
	return bus.SendTo(0, []byte("pong"))
}
