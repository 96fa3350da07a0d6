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
var defaultEnv = [...]string{"HOME=/", "PATH=/bin", "TERM=dumb"}

// buildInitialStack maps the stack and fills it from the command line; it
// returns the initial stack pointer.
func buildInitialStack(cmdline string) uintptr {
	if !vmaAdd(userStackTop-userStackSize, userStackTop, protRead|protWrite) {
		kpanic("cannot map the initial stack")
	}
	for p := uintptr(userStackTop - 64<<10); p < userStackTop; p += pageSize {
		if !mapPage(p, protRead|protWrite) {
			kpanic("out of memory for the initial stack")
		}
	}
	// Count arguments, environment entries and string bytes, and note
	// which of the default variables the host sets (one pass).
	var argc, envc, strBytes int
	var hostSets [len(defaultEnv) + 1]bool // the defaults, then GOMEMLIMIT
	for rest := cmdline; ; {
		k, raw, r, ok := bootabi.NextParam(rest)
		if !ok {
			break
		}
		rest = r
		switch k {
		case bootabi.KeyArg:
			argc++
			strBytes += len(raw) + 1
		case bootabi.KeyEnv:
			envc++
			strBytes += len(raw) + 1
			for i := range hostSets {
				if envKeyIs(raw, envDefault(i)) {
					hostSets[i] = true
				}
			}
		}
	}
	for i, e := range defaultEnv {
		if !hostSets[i] {
			envc++
			strBytes += len(e) + 1
		}
	}
	memLimit := ""
	if !hostSets[len(defaultEnv)] {
		memLimit = memLimitEnv(memLimitBuf[:], memLimitMiB(mm.FreePages()))
		envc++
		strBytes += len(memLimit) + 1
	}
	if argc == 0 {
		argc = 1
		strBytes += len("gotoro") + 1
	}
	// Strings and 16 random bytes at the top.
	strs := (uintptr(userStackTop) - uintptr(strBytes) - 16) &^ 15
	random := strs + uintptr(strBytes)
	for i := uintptr(0); i < 16; i += 8 {
		*(*uint64)(ptr(random + i)) = random64()
	}
	nwords := 1 + argc + 1 + envc + 1 + 2*7
	sp := (strs - uintptr(nwords)*8) &^ 15
	w := sp
	put := func(v uintptr) {
		*(*uintptr)(ptr(w)) = v
		w += 8
	}
	s := strs
	putStr := func(raw string, escaped bool) uintptr {
		start := s
		n := len(raw)
		if escaped {
			n = bootabi.Unescape(unsafeSlice(s, uintptr(len(raw))+1), raw)
		} else {
			copy(unsafeSlice(s, uintptr(n)), raw)
		}
		*(*byte)(ptr(s + uintptr(n))) = 0
		s += uintptr(n) + 1
		return start
	}
	// putParams stores every command-line value of key and counts them.
	putParams := func(key string) int {
		n := 0
		for rest := cmdline; ; {
			k, raw, r, ok := bootabi.NextParam(rest)
			if !ok {
				return n
			}
			rest = r
			if k == key {
				put(putStr(raw, true))
				n++
			}
		}
	}
	put(uintptr(argc))
	procArgs.argStart = s
	if putParams(bootabi.KeyArg) == 0 {
		put(putStr("gotoro", false))
	}
	put(0)
	procArgs.argEnd = s
	putParams(bootabi.KeyEnv)
	for i, e := range defaultEnv {
		if !hostSets[i] {
			put(putStr(e, false))
		}
	}
	if memLimit != "" {
		put(putStr(memLimit, false))
	}
	put(0)
	procArgs.envEnd = s
	put(atPagesz)
	put(pageSize)
	put(atClktck)
	put(100)
	put(atRandom)
	put(random)
	put(atSecure)
	put(0)
	put(atExecfn)
	put(*(*uintptr)(ptr(sp + 8)))
	if vdsoEnabled {
		put(atSysinfoEhdr)
		put(ktime.VDSO())
	} else {
		put(atNull)
		put(0)
	}
	put(atNull)
	put(0)
	return sp
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
