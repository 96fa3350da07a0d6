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
	ld := kernelLDFlags
	var rest []string
	for i := 0; i < len(user); i++ {
		a := user[i]
		name, val, hasVal := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "ldflags" && name != "-ldflags" {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(user) {
				return nil, fmt.Errorf("flag %s needs a value", a)
			}
			i++
			val = user[i]
		}
		if val = strings.TrimSpace(val); val != "" {
			ld += " " + val
		}
	}
	return append([]string{"-ldflags=" + ld}, rest...), nil
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
	tags := ""
	var rest []string
	for i := 0; i < len(user); i++ {
		a := user[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "tags" {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(user) {
				return nil, fmt.Errorf("flag %s needs a value", a)
			}
			i++
			val = user[i]
		}
		tags = val
	}
	merged := GuestTag
	for _, t := range strings.FieldsFunc(tags, func(r rune) bool { return r == ',' || r == ' ' }) {
		if t != GuestTag {
			merged += "," + t
		}
	}
	return append([]string{"-tags=" + merged}, rest...), nil
}
