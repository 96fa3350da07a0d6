// Command tripfault resets the machine the way only a broken kernel
// would: it loads an empty interrupt descriptor table and executes an
// undefined instruction, so the exception cannot be delivered, nor the
// double fault that follows (a triple fault). Go code runs in ring 0 under
// gotoro, so a program can do this. The boot tests use it to check that a
// reset is caught and described (bootcase.ResetState).
package main

import "fmt"

// tripleFault loads a zero-limit IDT and executes UD2 (tripfault_amd64.s).
func tripleFault()

func main() {
	fmt.Println("about to reset the machine")
	tripleFault()
	fmt.Println("FAIL: still running")
}
