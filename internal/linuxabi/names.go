package linuxabi

// SyscallName returns the Linux name of system call nr ("rt_sigaction"),
// or "" for a number Linux does not define.
func SyscallName(nr uint64) string {
	if nr >= NumSyscalls {
		return ""
	}
	return syscallNames[nr]
}

// ErrnoName returns the name of errno value e ("EBADF"), or "" for a value
// Linux does not define.
func ErrnoName(e uint64) string {
	if e >= NumErrno {
		return ""
	}
	return errnoNames[e]
}
