// Command args prints its arguments, selected environment variables and
// working directory, its whole environment as laid out on its initial stack
// (/proc/self/environ, one "environ" line each), its arguments as laid out
// there (/proc/self/cmdline, one "cmdline" line), how much memory the kernel manages and the Go
// runtime's memory limit.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"syscall"
)

func main() {
	for i, a := range os.Args {
		fmt.Printf("arg[%d]=%q\n", i, a)
	}
	fmt.Printf("GREETING=%q\n", os.Getenv("GREETING"))
	wd, err := os.Getwd()
	fmt.Printf("wd=%q err=%v\n", wd, err)
	host, _ := os.Hostname()
	fmt.Printf("hostname=%q pid=%d\n", host, os.Getpid())
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err == nil {
		fmt.Printf("totalram_mib=%d\n", uint64(si.Totalram)*uint64(si.Unit)>>20)
	}
	fmt.Printf("GOMEMLIMIT=%q memlimit=%d\n", os.Getenv("GOMEMLIMIT"), debug.SetMemoryLimit(-1))
	// The environment as the kernel laid it out: os.Environ drops
	// repeated keys, /proc/self/environ shows them.
	raw, err := os.ReadFile("/proc/self/environ")
	if err != nil {
		fmt.Printf("environ: %v\n", err)
	}
	for _, e := range strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00") {
		fmt.Printf("environ %q\n", e)
	}
	// The environment as the runtime read it through envp's pointers.
	for _, e := range os.Environ() {
		fmt.Printf("goenv %q\n", e)
	}
	raw, err = os.ReadFile("/proc/self/cmdline")
	if err != nil {
		fmt.Printf("cmdline: %v\n", err)
	}
	fmt.Printf("cmdline %q\n", raw)
}
