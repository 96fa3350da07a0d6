package build

import (
	"fmt"
	"strings"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// kernelLDFlags links the program for the gotoro image layout: the kernel's
// PVH entry as the ELF entry point, text at bootabi.TextAddr.
var kernelLDFlags = fmt.Sprintf("-E %s.entry64 -T %#x", KernelPackage, bootabi.TextAddr)

// goBuildFlags returns the flags for go build / go test -c: the user's
// flags with any -ldflags value merged into gotoro's own -ldflags.
func goBuildFlags(user []string) ([]string, error) {
	vals, rest, err := splitFlag(user, "ldflags")
	if err != nil {
		return nil, err
	}
	ld := kernelLDFlags
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			ld += " " + v
		}
	}
	return append([]string{"-ldflags=" + ld}, rest...), nil
}

// splitFlag takes every occurrence of the go command flag name (-name v,
// -name=v, --name v, --name=v) out of args and returns its values in order
// and the other arguments.
func splitFlag(args []string, name string) (vals, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		n, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || n != name {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, nil, fmt.Errorf("flag %s needs a value", a)
			}
			i++
			val = args[i]
		}
		vals = append(vals, val)
	}
	return vals, rest, nil
}

// loadFlags returns the flags among the go build flags user that change
// how packages load (-tags), for go list.
func loadFlags(user []string) []string {
	var out []string
	for i := 0; i < len(user); i++ {
		name, _, hasVal := strings.Cut(strings.TrimLeft(user[i], "-"), "=")
		if !strings.HasPrefix(user[i], "-") || name != "tags" {
			continue
		}
		out = append(out, user[i])
		if !hasVal && i+1 < len(user) {
			i++
			out = append(out, user[i])
		}
	}
	return out
}

// GuestTag is the build tag every guest build sets, so that a package can
// hold a guest-only implementation (files with //go:build gotoro) beside a
// hosted one.
const GuestTag = "gotoro"

// withGuestTag returns the go build flags user with GuestTag added to the
// build tags: every -tags flag is folded into one, first. The go command
// keeps the last -tags it sees, so the user's last value is the one kept.
func withGuestTag(user []string) ([]string, error) {
	vals, rest, err := splitFlag(user, "tags")
	if err != nil {
		return nil, err
	}
	merged := GuestTag
	if len(vals) > 0 {
		for _, t := range strings.FieldsFunc(vals[len(vals)-1], func(r rune) bool { return r == ',' || r == ' ' }) {
			if t != GuestTag {
				merged += "," + t
			}
		}
	}
	return append([]string{"-tags=" + merged}, rest...), nil
}
