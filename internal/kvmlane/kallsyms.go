package main

import (
	"fmt"
	"strconv"
	"strings"
)

// kallsym is a text symbol of a /proc/kallsyms line.
type kallsym struct {
	addr   uint64
	name   string
	module string // "[kvm_amd]"; "" for the kernel's own
}

// kallsymsText parses one line of /proc/kallsyms ("ADDR TYPE NAME
// [MODULE]"): ok is false for a line that names no text symbol (type t or
// T), err set for a text symbol whose address is not hexadecimal.
func kallsymsText(line string) (s kallsym, ok bool, err error) {
	f := strings.Fields(line)
	if len(f) < 3 || (f[1] != "t" && f[1] != "T") {
		return kallsym{}, false, nil
	}
	a, err := strconv.ParseUint(f[0], 16, 64)
	if err != nil {
		return kallsym{}, false, fmt.Errorf("%q: %w", line, err)
	}
	s = kallsym{addr: a, name: f[2]}
	if len(f) > 3 {
		s.module = f[3]
	}
	return s, true, nil
}
