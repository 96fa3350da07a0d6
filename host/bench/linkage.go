package bench

import (
	"debug/elf"
	"fmt"
)

// DynamicLoader returns the program interpreter (the dynamic loader) that
// the executable exe names, or "" when exe is statically linked. A gotoro
// built with cgo (the go command's default when a C compiler is found: the
// standard library's net package then links the C resolver) is
// dynamically linked, and every `gotoro run` pays the dynamic loader and
// the cgo runtime's start before its main: about 0.5 ms on this project's
// machines (docs/benchmarks.md). CGO_ENABLED=0 builds it static.
func DynamicLoader(exe string) (string, error) {
	f, err := elf.Open(exe)
	if err != nil {
		return "", fmt.Errorf("reading the executable %s: %w", exe, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			return "", fmt.Errorf("reading %s's program interpreter: %w", exe, err)
		}
		for len(b) > 0 && b[len(b)-1] == 0 {
			b = b[:len(b)-1]
		}
		return string(b), nil
	}
	return "", nil
}
