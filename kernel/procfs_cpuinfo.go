package kernel

import (
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/ktime"
)

// /proc/cpuinfo from CPUID, one block per core, with Linux's names for
// the feature flags.

// Flag names by bit: CPUID 1 EDX and ECX, 0x80000001 EDX and ECX, 7.0 EBX,
// ECX and EDX (Linux's arch/x86/include/asm/cpufeatures.h names).
var (
	flags1EDX = [32]string{"fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "",
		"sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36", "pn", "clflush", "", "dts", "acpi", "mmx",
		"fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe"}
	flags1ECX = [32]string{"pni", "pclmulqdq", "dtes64", "monitor", "ds_cpl", "vmx", "smx", "est",
		"tm2", "ssse3", "cid", "sdbg", "fma", "cx16", "xtpr", "pdcm", "", "pcid", "dca", "sse4_1",
		"sse4_2", "x2apic", "movbe", "popcnt", "tsc_deadline_timer", "aes", "xsave", "", "avx",
		"f16c", "rdrand", "hypervisor"}
	flagsExtEDX = [32]string{11: "syscall", 19: "mp", 20: "nx", 22: "mmxext", 25: "fxsr_opt",
		26: "pdpe1gb", 27: "rdtscp", 29: "lm", 30: "3dnowext", 31: "3dnow"}
	flagsExtECX = [32]string{"lahf_lm", "cmp_legacy", "svm", "extapic", "cr8_legacy", "abm",
		"sse4a", "misalignsse", "3dnowprefetch", "osvw", "ibs", "xop", "skinit", "wdt", "",
		"lwp", "fma4", "tce", "", "nodeid_msr", "", "tbm", "topoext", "perfctr_core", "perfctr_nb"}
	flags7EBX = [32]string{"fsgsbase", "tsc_adjust", "sgx", "bmi1", "hle", "avx2", "", "smep",
		"bmi2", "erms", "invpcid", "rtm", "cqm", "", "mpx", "rdt_a", "avx512f", "avx512dq",
		"rdseed", "adx", "smap", "avx512ifma", "", "clflushopt", "clwb", "intel_pt", "avx512pf",
		"avx512er", "avx512cd", "sha_ni", "avx512bw", "avx512vl"}
	flags7ECX = [32]string{"", "avx512vbmi", "umip", "pku", "ospke", "waitpkg", "avx512_vbmi2",
		"", "gfni", "vaes", "vpclmulqdq", "avx512_vnni", "avx512_bitalg", "", "avx512_vpopcntdq",
		"", "la57", "", "", "", "", "", "rdpid", "", "", "cldemote", "", "movdiri", "movdir64b"}
	flags7EDX = [32]string{4: "fsrm", 8: "avx512_vp2intersect", 10: "md_clear", 14: "serialize",
		18: "pconfig", 26: "spec_ctrl", 27: "intel_stibp", 28: "flush_l1d", 29: "arch_capabilities",
		31: "spec_ctrl_ssbd"}
)

func genCPUInfo(w *procWriter) {
	maxLeaf, vb, vc, vd := arch.CPUID(0, 0)
	var vendor [12]byte
	for i := 0; i < 4; i++ {
		vendor[i], vendor[4+i], vendor[8+i] = byte(vb>>(8*i)), byte(vd>>(8*i)), byte(vc>>(8*i))
	}
	sig, _, ecx1, edx1 := arch.CPUID(1, 0)
	family := sig >> 8 & 0xf
	model := sig >> 4 & 0xf
	if family == 0xf {
		family += sig >> 20 & 0xff
	}
	if family >= 6 {
		model |= sig >> 12 & 0xf0
	}
	maxExt, _, _, _ := arch.CPUID(0x80000000, 0)
	var brand [48]byte
	if maxExt >= 0x80000004 {
		for l := uint32(0); l < 3; l++ {
			a, b, c, d := arch.CPUID(0x80000002+l, 0)
			for i, r := range [4]uint32{a, b, c, d} {
				for j := 0; j < 4; j++ {
					brand[l*16+uint32(i)*4+uint32(j)] = byte(r >> (8 * j))
				}
			}
		}
	}
	bn := 0
	for bn < len(brand) && brand[bn] != 0 {
		bn++
	}
	mhz := ktime.Hz() / 1000 // kHz
	physBits, virtBits := uint32(36), uint32(48)
	if maxExt >= 0x80000008 {
		a, _, _, _ := arch.CPUID(0x80000008, 0)
		physBits, virtBits = a&0xff, a>>8&0xff
	}
	for i := 0; i < ncpu; i++ {
		field := func(name string) {
			w.str(name)
			w.str("\t: ")
		}
		field("processor")
		w.dec(uint64(i))
		w.str("\n")
		field("vendor_id")
		w.str(unsafeString(vendor[:]))
		w.str("\n")
		field("cpu family")
		w.dec(uint64(family))
		w.str("\n")
		field("model\t")
		w.dec(uint64(model))
		w.str("\n")
		field("model name")
		w.str(trimSpaces(unsafeString(brand[:bn])))
		w.str("\n")
		field("stepping")
		w.dec(uint64(sig & 0xf))
		w.str("\n")
		field("cpu MHz\t")
		w.dec(mhz / 1000)
		w.byte('.')
		w.decPad(mhz%1000, 3, '0')
		w.str("\n")
		field("physical id")
		w.str("0\n")
		field("siblings")
		w.dec(uint64(ncpu))
		w.str("\n")
		field("core id\t")
		w.dec(uint64(i))
		w.str("\n")
		field("cpu cores")
		w.dec(uint64(ncpu))
		w.str("\n")
		field("apicid\t")
		w.dec(uint64(cpus[i].apicID))
		w.str("\n")
		field("initial apicid")
		w.dec(uint64(cpus[i].apicID))
		w.str("\nfpu\t\t: yes\nfpu_exception\t: yes\n")
		field("cpuid level")
		w.dec(uint64(maxLeaf))
		w.str("\nwp\t\t: yes\n")
		field("flags\t")
		sep := false
		put := func(names *[32]string, bits uint32) {
			for b := 0; b < 32; b++ {
				if bits&(1<<b) != 0 && names[b] != "" {
					if sep {
						w.byte(' ')
					}
					w.str(names[b])
					sep = true
				}
			}
		}
		put(&flags1EDX, edx1)
		if maxExt >= 0x80000001 {
			_, _, c, d := arch.CPUID(0x80000001, 0)
			put(&flagsExtEDX, d)
			put(&flagsExtECX, c)
		}
		put(&flags1ECX, ecx1)
		if maxLeaf >= 7 {
			_, b, c, d := arch.CPUID(7, 0)
			put(&flags7EBX, b)
			put(&flags7ECX, c)
			put(&flags7EDX, d)
		}
		w.str("\n")
		field("bogomips")
		w.dec(2 * mhz / 1000)
		w.byte('.')
		w.decPad(2*mhz%1000/10, 2, '0')
		w.str("\nclflush size\t: 64\ncache_alignment\t: 64\n")
		field("address sizes")
		w.dec(uint64(physBits))
		w.str(" bits physical, ")
		w.dec(uint64(virtBits))
		w.str(" bits virtual\npower management:\n\n")
	}
}

func trimSpaces(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}
