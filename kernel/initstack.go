package kernel

import (
	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/ktime"
	"github.com/gotoro/gotoro/kernel/mm"
)

// The initial thread's stack, laid out as Linux lays it out for a static
// executable: argc, argv, envp, the auxiliary vector, then the strings.

const (
	userStackTop  = 0x7FFF_FFF0_0000
	userStackSize = 8 << 20
)

// Auxiliary vector keys.
const (
	atNull        = 0
	atPagesz      = 6
	atClktck      = 17
	atSecure      = 23
	atRandom      = 25
	atExecfn      = 31
	atSysinfoEhdr = 33
)

// vdsoEnabled says whether the auxiliary vector offers the vDSO
// (ktime.VDSO); vdso=0 on the command line turns it off, for measuring.
var vdsoEnabled = true

// defaultEnv is added unless the host sets the same variable; so is the
// default GOMEMLIMIT (memlimit.go).
var defaultEnv = [...]string{envHome, envPath, envTerm}

const (
	envHome, envPath, envTerm = "HOME=/", "PATH=/bin", "TERM=dumb"
	// defaultEnvStrings is defaultEnv's strings with a NUL each, as the
	// initial stack holds them: copied in one piece when the host sets
	// none of them (the usual case).
	defaultEnvStrings = envHome + "\x00" + envPath + "\x00" + envTerm + "\x00"
	// defaultEnvBytes is their length.
	defaultEnvBytes = len(defaultEnvStrings)
)

// initArgs is what the initial stack needs of the command line's arg= and
// env= tokens, noted by parseParams in its pass over the line, so that
// buildInitialStack reads the line once more, to copy the strings.
type initArgs struct {
	argc, envc int // arg= and env= tokens
	// argBytes and envBytes: their decoded strings with a NUL each.
	argBytes, envBytes int
	// hostSets: the host sets default variable i (envDefault).
	hostSets [len(defaultEnv) + 1]bool
	// hostDefaults and hostDefaultBytes: the defaultEnv entries the host
	// sets, and their strings' bytes with a NUL each (what the initial
	// stack leaves out of defaultEnvBytes).
	hostDefaults, hostDefaultBytes int
}

// arg notes an arg= token's raw value.
func (a *initArgs) arg(raw string) {
	a.argc++
	a.argBytes += bootabi.UnescapedLen(raw) + 1
}

// env notes an env= token's raw value.
func (a *initArgs) env(raw string) {
	a.envc++
	a.envBytes += bootabi.UnescapedLen(raw) + 1
	for i := range a.hostSets {
		if !a.hostSets[i] && envKeyIs(raw, envDefault(i)) {
			a.hostSets[i] = true
			if i < len(defaultEnv) {
				a.hostDefaults++
				a.hostDefaultBytes += len(defaultEnv[i]) + 1
			}
		}
	}
}

// buildInitialStack maps the stack and fills it from the command line,
// whose arg= and env= tokens a describes; it returns the initial stack
// pointer.
func buildInitialStack(cmdline string, a *initArgs) uintptr {
	if !vmaAdd(userStackTop-userStackSize, userStackTop, protRead|protWrite) {
		kpanic("cannot map the initial stack")
	}
	argc, envc := a.argc, a.envc
	argBytes, envBytes := a.argBytes, a.envBytes
	if argc == 0 {
		argc = 1
		argBytes = len("gotoro") + 1
	}
	// The defaults counted without a loop (under TCG a loop's test and
	// its branches are blocks; env noted which the host sets).
	envc += len(defaultEnv) - a.hostDefaults
	envBytes += defaultEnvBytes - a.hostDefaultBytes
	memLimit := ""
	if !a.hostSets[len(defaultEnv)] {
		memLimit = memLimitEnv(&memLimitBuf, memLimitMiB(mm.FreePages()))
		envc++
		envBytes += len(memLimit) + 1
	}
	// Strings and 16 random bytes at the top: the arguments' strings,
	// then the environment's (/proc/self/cmdline and environ are the two
	// runs, procArgs).
	strBytes := argBytes + envBytes
	strs := (uintptr(userStackTop) - uintptr(strBytes) - 16) &^ 15
	random := strs + uintptr(strBytes)
	nwords := 1 + argc + 1 + envc + 1 + 2*7
	sp := (strs - uintptr(nwords)*8) &^ 15
	// The pages the kernel writes now are mapped now; the rest of the
	// stack as the program touches it (demandFault), as on Linux. Mapping
	// a fixed 64 KiB allocated and cleared pages a hello never touches.
	for p := sp &^ (pageSize - 1); p < userStackTop; p += pageSize {
		if !mapPage(p, protRead|protWrite) {
			kpanic("out of memory for the initial stack")
		}
	}
	*(*uint64)(ptr(random)) = random64()
	*(*uint64)(ptr(random + 8)) = random64()
	*(*uintptr)(ptr(sp)) = uintptr(argc)
	// argv and envp are filled in one pass over the line, each from its
	// own cursors: a pointer slot and a string.
	argv, envp := sp+8, sp+8+uintptr(argc+1)*8
	argS, envS := strs, strs+uintptr(argBytes)
	procArgs.argStart, procArgs.argEnd = argS, envS
	if a.argc == 0 {
		*(*uintptr)(ptr(argv)) = argS
		argv += 8
		argS = putString(argS, "gotoro")
	}
	for rest := cmdline; ; {
		k, raw, r, ok := bootabi.NextParam(rest)
		if !ok {
			break
		}
		rest = r
		switch k {
		case bootabi.KeyArg:
			*(*uintptr)(ptr(argv)) = argS
			argv += 8
			argS += uintptr(bootabi.Unescape(unsafeSlice(argS, uintptr(len(raw))), raw))
			*(*byte)(ptr(argS)) = 0
			argS++
		case bootabi.KeyEnv:
			*(*uintptr)(ptr(envp)) = envS
			envp += 8
			envS += uintptr(bootabi.Unescape(unsafeSlice(envS, uintptr(len(raw))), raw))
			*(*byte)(ptr(envS)) = 0
			envS++
		}
	}
	*(*uintptr)(ptr(argv)) = 0
	if a.hostDefaults == 0 {
		// All three, without a loop (under TCG its test and branches are
		// blocks to translate).
		copy(unsafeSlice(envS, uintptr(defaultEnvBytes)), defaultEnvStrings)
		*(*[len(defaultEnv)]uintptr)(ptr(envp)) = [...]uintptr{
			envS,
			envS + uintptr(len(envHome)+1),
			envS + uintptr(len(envHome)+1+len(envPath)+1),
		}
		envp += uintptr(len(defaultEnv)) * 8
		envS += uintptr(defaultEnvBytes)
	} else {
		for i, e := range defaultEnv {
			if !a.hostSets[i] {
				*(*uintptr)(ptr(envp)) = envS
				envp += 8
				envS = putString(envS, e)
			}
		}
	}
	if memLimit != "" {
		*(*uintptr)(ptr(envp)) = envS
		envp += 8
		envS = putString(envS, memLimit)
	}
	procArgs.envEnd = envS
	// The fixed part copied once, then the three values of this run: a
	// composite literal with them is built in a temporary on the stack
	// and copied again (under TCG, 30 more instructions to translate).
	aux := (*[len(auxvTemplate)]uintptr)(ptr(envp))
	*aux = auxvTemplate
	aux[auxRandom], aux[auxExecfn], aux[auxSysinfoEhdr] = random, *(*uintptr)(ptr(sp + 8)), ktime.VDSO()
	if !vdsoEnabled {
		aux[11], aux[12] = atNull, 0
	}
	return sp
}

// auxvTemplate is the end of envp and the auxiliary vector the initial
// stack holds, without the values buildInitialStack fills in at the
// indexes auxRandom, auxExecfn and auxSysinfoEhdr (static data: the
// kernel has no package initialization).
var auxvTemplate = [2*7 + 1]uintptr{
	0, // envp's end
	atPagesz, pageSize,
	atClktck, 100,
	atRandom, 0,
	atSecure, 0,
	atExecfn, 0,
	atSysinfoEhdr, 0,
	atNull, 0,
}

// Indexes of auxvTemplate's values that buildInitialStack fills in.
const (
	auxRandom      = 6
	auxExecfn      = 10
	auxSysinfoEhdr = 12
)

// putString copies s and a NUL to the user string at p and returns the
// address after them.
func putString(p uintptr, s string) uintptr {
	copy(unsafeSlice(p, uintptr(len(s))), s)
	*(*byte)(ptr(p + uintptr(len(s)))) = 0
	return p + uintptr(len(s)) + 1
}

// envDefault returns the KEY= prefix of default variable i: defaultEnv's,
// then GOMEMLIMIT's.
func envDefault(i int) string {
	if i == len(defaultEnv) {
		return memLimitKey
	}
	e := defaultEnv[i]
	for j := 0; j < len(e); j++ {
		if e[j] == '=' {
			return e[:j+1]
		}
	}
	return e
}

// envKeyIs reports whether the escaped KEY=VALUE string raw sets the
// variable of key (KEY=).
func envKeyIs(raw, key string) bool {
	return len(raw) >= len(key) && raw[:len(key)] == key
}
