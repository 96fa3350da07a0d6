package qemu

import (
	"fmt"
	"strconv"
	"strings"
)

// Size units.
const (
	KiB = 1 << 10
	MiB = 1 << 20
	GiB = 1 << 30
)

// ParseSize parses a memory size: a decimal number of bytes, optionally
// followed by one of the binary suffixes K, M or G (case-insensitive, an
// optional trailing "B" or "iB" is accepted: 512K, 256M, 256MiB, 1G, 4096).
func ParseSize(s string) (uint64, error) {
	orig := s
	s = strings.TrimSpace(s)
	upper := strings.ToUpper(s)
	mult := uint64(1)
	for _, u := range []struct {
		suffix string
		mult   uint64
	}{{"KIB", KiB}, {"MIB", MiB}, {"GIB", GiB}, {"KB", KiB}, {"MB", MiB}, {"GB", GiB}, {"K", KiB}, {"M", MiB}, {"G", GiB}, {"B", 1}} {
		if strings.HasSuffix(upper, u.suffix) {
			mult = u.mult
			s = s[:len(s)-len(u.suffix)]
			break
		}
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes with an optional K, M or G suffix (e.g. 256M)", orig)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes with an optional K, M or G suffix (e.g. 256M)", orig)
	}
	if n == 0 {
		return 0, fmt.Errorf("invalid size %q: must not be zero", orig)
	}
	if n > ^uint64(0)/mult {
		return 0, fmt.Errorf("invalid size %q: too large", orig)
	}
	return n * mult, nil
}

// FormatSize formats a byte count with the largest binary suffix that
// divides it exactly (256M, 1G, 1536K, 1000), which is also the syntax QEMU's
// -m option accepts (a plain number there would mean MiB, so byte counts
// that are not a multiple of 1 KiB get a "B" suffix).
func FormatSize(n uint64) string {
	switch {
	case n == 0:
		return "0"
	case n%GiB == 0:
		return strconv.FormatUint(n/GiB, 10) + "G"
	case n%MiB == 0:
		return strconv.FormatUint(n/MiB, 10) + "M"
	case n%KiB == 0:
		return strconv.FormatUint(n/KiB, 10) + "K"
	}
	return strconv.FormatUint(n, 10) + "B"
}
