package bootcase

import (
	"fmt"
	"strconv"
	"time"
)

// wakeStress runs the cross-core wake-up stress on n cores: futex and
// polling-hint ping-pong between every pair of cores in both directions,
// 2000 rounds each on two cores and 1000 on four (two pairs at a time:
// 12000 hand-offs per mechanism), then a mixed load of goroutines with
// timers. A lost
// wake-up interrupt hangs it; the stall check ends the run with the
// machine state. Under nested KVM it is the regression case of the lost
// wake-up (docs/kvm.md): without the idle loop's fix it hangs within the
// first few hundred rounds.
func wakeStress(n int) func(t TB, e *Env) {
	return func(t TB, e *Env) {
		rounds := 2000
		if n > 2 {
			rounds = 1000
		}
		out, res := e.Boot(t, Spec{Prog: progWake, CPUs: n, Args: []string{"-rounds", strconv.Itoa(rounds), "all"},
			Timeout: 10 * time.Minute, Stall: time.Minute})
		WantExit(t, out, res, 0)
		Contains(t, out, "wake ok")
		want := []string{`(?m)^mixed: `}
		for a := 0; a < n; a++ {
			for b := 0; b < n; b++ {
				if a != b {
					want = append(want, fmt.Sprintf(`(?m)^futex %d->%d: %d rounds`, a, b, rounds), fmt.Sprintf(`(?m)^poll %d->%d: %d rounds`, a, b, rounds))
				}
			}
		}
		Matches(t, out, want...)
	}
}

// intercore boots the intercore example: every core answers core 0.
func intercore(cpus int) func(t TB, e *Env) {
	return func(t TB, e *Env) {
		out, res := e.Boot(t, Spec{Prog: progIntercore, CPUs: cpus})
		WantExit(t, out, res, 0)
		want := fmt.Sprintf("intercore: %d cores\n", cpus)
		if cpus == 1 {
			want += "Core[0]: no other core to talk to\n"
		}
		for c := 1; c < cpus; c++ {
			want += fmt.Sprintf("Core[0] -> Core[%d]: ping\nCore[%d] -> Core[0]: pong\n", c, c)
		}
		if out != want {
			t.Errorf("console:\n%s\nwant:\n%s", out, want)
		}
	}
}

type mpiCase struct {
	name string
	cpus int
	args []string
	sum  int
}

var mpiReduceCases = []mpiCase{
	{"cpus=1", 1, nil, 0},
	{"cpus=1-ranks=3", 1, []string{"-ranks", "3"}, 3}, // ranks share the one core
	{"cpus=2", 2, nil, 1},
	{"cpus=4", 4, nil, 6},
}

// mpiReduce boots the mpi-reduce example: the sum of the ranks.
func mpiReduce(c mpiCase) func(t TB, e *Env) {
	return func(t TB, e *Env) {
		out, res := e.Boot(t, Spec{Prog: progMPIReduce, CPUs: c.cpus, Args: c.args})
		WantExit(t, out, res, 0)
		if want := fmt.Sprintf("success! value: %d\n", c.sum); out != want {
			t.Errorf("console %q, want %q", out, want)
		}
	}
}
