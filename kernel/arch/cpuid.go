package arch

// CPUID always exits to the hypervisor (about 1 µs under KVM, 0.2 ms in
// the nested lane), so the leaves the boot consults in several places are
// read once. They describe the virtual CPU, the same on every core.

var cpuidCache struct {
	leaf1ECX uint32 // CPUID 1: feature flags in ECX
	kvmFeat  uint32 // CPUID 0x40000001 EAX: KVM's paravirtual features
	have1    bool
	haveKVM  bool
}

// Features1 returns CPUID leaf 1's ECX. It is inlined: a caller after
// the first tests the cache in place, where a call would be a block of
// its own to translate under QEMU's TCG (the boot's callers run before
// and after the vector state's set-up, which QEMU translates apart).
func Features1() uint32 {
	if !cpuidCache.have1 {
		return features1()
	}
	return cpuidCache.leaf1ECX
}

// features1 reads CPUID leaf 1 into the cache (Features1's first call).
//
//go:nosplit
//go:noinline
func features1() uint32 {
	_, _, c, _ := CPUID(1, 0)
	cpuidCache.leaf1ECX, cpuidCache.have1 = c, true
	return c
}

// KVMFeatures returns CPUID 0x40000001's EAX (only meaningful when leaf
// 0x40000000 says KVM).
func KVMFeatures() uint32 {
	if !cpuidCache.haveKVM {
		a, _, _, _ := CPUID(0x40000001, 0)
		cpuidCache.kvmFeat, cpuidCache.haveKVM = a, true
	}
	return cpuidCache.kvmFeat
}
