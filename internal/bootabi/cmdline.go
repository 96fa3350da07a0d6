package bootabi

// The kernel command line carries everything the host tells the guest:
// space-separated key=value tokens whose values are percent-encoded, so that
// arguments and environment values may hold any byte. Keys:
//
//	arg=V      one argument, in order; the first is argv[0]
//	env=K=V    one environment variable
//	cwd=PATH   initial working directory (default "/")
//	rw=1       the packed tree is writable: a copy-up overlay in guest
//	           memory (gotoro test; default: read-only)
//	tsc_hz=N   TSC frequency measured by the host (decimal)
//	apic_hz=N  the local APIC timer's rate the kernel expects at
//	           divide-by-1, in ticks per second (default 1000000000, the
//	           rate of QEMU's and KVM's APICs); the kernel checks it against
//	           the TSC at boot and calibrates the timer when it is off; 0
//	           calibrates always
//	epoch_ns=N wall-clock time at launch, in ns since the Unix epoch
//	ktrace=N   kernel tracing: 1 boot facts and unimplemented system calls,
//	           2 also every system call
//	console=virtio  use the virtio console (default: serial)
//	virtio_poll=1   poll virtio devices instead of taking interrupts
//	fs=TAG:DIR[:ro] mount the virtio-fs device with TAG at DIR
//	stdin=serial    standard input arrives on the second UART (StdinPort)
//	xsave=off|avx   lower the vector state the kernel enables: FXSAVE of
//	           x87 and SSE only, or no AVX-512 (default: all the CPU offers
//	           of x87, SSE, AVX and AVX-512)
//	kvmclock=0      keep the TSC as the clock source where KVM offers kvmclock
//	x2apic=0        keep the local APIC in xAPIC mode where x2APIC is offered
//	cpus=N     the number of vCPUs the host gave the machine; with 1 the
//	           kernel does not walk the ACPI MADT for other processors
//	tscdeadline=0   use the one-shot timer where the TSC-deadline timer is offered
//
// Unknown keys (such as virtio_mmio.device=... added by the VMM) are kept for
// later consumers and ignored by the argument parser.

// Command-line keys.
const (
	KeyArg         = "arg"
	KeyEnv         = "env"
	KeyCwd         = "cwd"
	KeyTSCHz       = "tsc_hz"
	KeyAPICHz      = "apic_hz"
	KeyEpochNs     = "epoch_ns"
	KeyKtrace      = "ktrace"
	KeyConsole     = "console"
	KeyVirtioPoll  = "virtio_poll"
	KeyFS          = "fs"
	KeyStdin       = "stdin"
	KeyXsave       = "xsave"
	KeyKvmclock    = "kvmclock"
	KeyX2apic      = "x2apic"
	KeyTSCDeadline = "tscdeadline"
	KeyRW          = "rw"
	KeyIdlePoll    = "idlepoll"
	KeyCPUs        = "cpus"
	KeyVDSO        = "vdso" // vdso=0: no vDSO
)

// Param is one key and its (not yet decoded) value.
type Param struct{ Key, Value string }

// EncodeCmdline builds a kernel command line from params, percent-encoding
// every value.
func EncodeCmdline(params []Param) string {
	var b []byte
	for i, p := range params {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, p.Key...)
		b = append(b, '=')
		b = AppendEscaped(b, p.Value)
	}
	return string(b)
}

// AppendEscaped appends the percent-encoding of s to b.
func AppendEscaped(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreservedByte(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return b
}

func unreservedByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '_', '.', '/', ',', ':', '+', '=', '@':
		return true
	}
	return false
}

// NextParam splits the first token off s. It returns the key, the raw
// (still escaped) value, the rest of s and whether a token was found. It
// allocates nothing, so the guest kernel can use it. One pass over the
// token, its first '=' noted without a branch: the kernel's boot runs
// this once per token of its command line, and under TCG each branch of
// a byte loop is a translated block.
func NextParam(s string) (key, raw, rest string, ok bool) {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	if len(s) == 0 {
		return "", "", "", false
	}
	// eq is the first '=' (len(s) while there is none); end the token's
	// end.
	eq, end := len(s), 0
	for ; end < len(s) && s[end] != ' '; end++ {
		if s[end] == '=' {
			eq = min(eq, end)
		}
	}
	if eq >= end {
		return s[:end], "", s[end:], true
	}
	return s[:eq], s[eq+1 : end], s[end:], true
}

// Unescape decodes a percent-encoded value into dst, which must be at least
// len(raw) bytes long, and returns the number of bytes written. Malformed
// escapes are copied through unchanged.
func Unescape(dst []byte, raw string) int {
	n := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' && i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]) {
			c = unhex(raw[i+1])<<4 | unhex(raw[i+2])
			i += 2
		}
		dst[n] = c
		n++
	}
	return n
}

// UnescapedLen returns the number of bytes Unescape writes for raw, so
// that a decoded value's room can be set aside before it is decoded.
func UnescapedLen(raw string) int {
	n := len(raw)
	for i := 0; i+2 < len(raw); i++ {
		if raw[i] == '%' && isHex(raw[i+1]) && isHex(raw[i+2]) {
			n -= 2
			i += 2
		}
	}
	return n
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
