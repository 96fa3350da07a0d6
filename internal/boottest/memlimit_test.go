package boottest

import (
	"math"
	"regexp"
	"strconv"
	"testing"
)

// TestMemoryLimit checks the program's default soft memory limit: the
// kernel puts GOMEMLIMIT in the environment, below the guest's RAM, the Go
// runtime takes it; a GOMEMLIMIT the user sets (also "off") wins.
func TestMemoryLimit(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`GOMEMLIMIT="([^"]*)" memlimit=(\d+)`)
	ram := regexp.MustCompile(`totalram_mib=(\d+)`)
	for _, c := range []struct {
		name  string
		mem   uint64
		env   []string
		value string // GOMEMLIMIT as the program sees it; "" for the default
		limit int64  // the runtime's limit; 0 for the default
	}{
		{name: "default 256M", mem: 256 << 20},
		{name: "default 1G", mem: 1 << 30},
		{name: "user value", mem: 256 << 20, env: []string{"GOMEMLIMIT=100MiB"}, value: "100MiB", limit: 100 << 20},
		{name: "user off", mem: 256 << 20, env: []string{"GOMEMLIMIT=off"}, value: "off", limit: math.MaxInt64},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, res := boot(t, "args", bootOpts{mem: c.mem, env: c.env})
			wantExit(t, out, res, 0)
			m := re.FindStringSubmatch(out)
			r := ram.FindStringSubmatch(out)
			if m == nil || r == nil {
				t.Fatalf("no memory limit or RAM size in:\n%s", out)
			}
			limit, _ := strconv.ParseInt(m[2], 10, 64)
			if c.value != "" {
				if m[1] != c.value || limit != c.limit {
					t.Errorf("GOMEMLIMIT=%q limit %d, want %q and %d", m[1], limit, c.value, c.limit)
				}
				return
			}
			mib, err := strconv.ParseInt(m[1][:max(len(m[1])-3, 0)], 10, 64)
			if err != nil || m[1][len(m[1])-3:] != "MiB" || limit != mib<<20 {
				t.Fatalf("GOMEMLIMIT=%q, runtime limit %d: want N MiB, taken by the runtime", m[1], limit)
			}
			total, _ := strconv.ParseInt(r[1], 10, 64)
			// Seven eighths of the RAM free at the program's start: below
			// the RAM the kernel manages, and not far below.
			if mib >= total || mib < total*3/4 {
				t.Errorf("default limit %d MiB for %d MiB of RAM, want from 3/4 to below all of it", mib, total)
			}
			if uint64(mib) >= c.mem>>20 {
				t.Errorf("default limit %d MiB for a %d MiB guest", mib, c.mem>>20)
			}
		})
	}
}
