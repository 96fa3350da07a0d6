package qemu

import (
	"errors"
	"fmt"
	"os/exec"
)

// Binary is the name of the QEMU emulator gotoro drives.
const Binary = "qemu-system-x86_64"

// ErrNoQEMU is returned (wrapped, with installation advice) when the QEMU
// binary cannot be found, so that callers such as tests can tell a missing
// emulator from a failing guest.
var ErrNoQEMU = errors.New(Binary + " not found")

// Find returns the path of the QEMU binary: bin if not empty (a path or a
// name looked up on PATH), else qemu-system-x86_64 on PATH. The error wraps
// ErrNoQEMU.
func Find(bin string) (string, error) {
	if bin == "" {
		bin = Binary
	}
	p, err := exec.LookPath(bin)
	if err != nil {
		if bin == Binary {
			return "", fmt.Errorf("%w: install it with `sudo apt-get install qemu-system-x86` (or run scripts/setup.sh)", ErrNoQEMU)
		}
		return "", fmt.Errorf("%w: %v", ErrNoQEMU, err)
	}
	return p, nil
}
