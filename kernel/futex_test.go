package kernel

import "testing"

// Futex logic that needs no running kernel: FUTEX_WAKE_OP's encoding and
// arithmetic, and a bucket's chain of waiters. The operations themselves
// run in the futex boot case (internal/bootcase).

func TestFutexWakeOpDecode(t *testing.T) {
	enc := func(op, cmp uint32, oparg, cmparg int32) uint32 {
		return op<<28 | cmp<<24 | uint32(oparg)&0xFFF<<12 | uint32(cmparg)&0xFFF
	}
	for _, c := range []struct {
		val3          uint32
		op, cmp       uint32
		oparg, cmparg int32
		ok            bool
	}{
		{enc(futexOpAdd, futexCmpGt, 1, 0), futexOpAdd, futexCmpGt, 1, 0, true},
		{enc(futexOpSet, futexCmpEq, -1, -2048), futexOpSet, futexCmpEq, -1, -2048, true},
		{enc(futexOpOr|futexOpArgShift, futexCmpNe, 3, 2047), futexOpOr, futexCmpNe, 8, 2047, true},
		{enc(futexOpAndN|futexOpArgShift, futexCmpLe, 31, 0), futexOpAndN, futexCmpLe, -1 << 31, 0, true},
		{enc(futexOpXor|futexOpArgShift, futexCmpGe, 33, 0), futexOpXor, futexCmpGe, 2, 0, true}, // shift taken mod 32
		{enc(5, futexCmpEq, 0, 0), 5, futexCmpEq, 0, 0, false},
		{enc(futexOpSet, 6, 0, 0), futexOpSet, 6, 0, 0, false},
	} {
		op, cmp, oparg, cmparg, ok := futexWakeOpDecode(c.val3)
		if op != c.op || cmp != c.cmp || oparg != c.oparg || cmparg != c.cmparg || ok != c.ok {
			t.Errorf("decode(%#x) = %d %d %d %d %v, want %d %d %d %d %v", c.val3, op, cmp, oparg, cmparg, ok, c.op, c.cmp, c.oparg, c.cmparg, c.ok)
		}
	}
}

func TestFutexOpApplyAndCmp(t *testing.T) {
	for _, c := range []struct {
		op        uint32
		oparg     int32
		old, want uint32
	}{
		{futexOpSet, 7, 3, 7},
		{futexOpAdd, -1, 0, 0xFFFFFFFF},
		{futexOpOr, 8, 3, 11},
		{futexOpAndN, 1, 3, 2},
		{futexOpXor, 5, 6, 3},
	} {
		if got := futexOpApply(c.op, c.oparg, c.old); got != c.want {
			t.Errorf("apply(%d, %d, %d) = %d, want %d", c.op, c.oparg, c.old, got, c.want)
		}
	}
	for _, c := range []struct {
		cmp      uint32
		old, arg int32
		want     bool
	}{
		{futexCmpEq, 1, 1, true}, {futexCmpEq, 1, 2, false},
		{futexCmpNe, 1, 2, true}, {futexCmpLt, -1, 0, true},
		{futexCmpLe, 0, 0, true}, {futexCmpGt, 0, 0, false},
		{futexCmpGe, -5, -5, true}, {7, 0, 0, false},
	} {
		if got := futexCmpTrue(c.cmp, c.old, c.arg); got != c.want {
			t.Errorf("cmp(%d, %d, %d) = %v, want %v", c.cmp, c.old, c.arg, got, c.want)
		}
	}
}

// TestFutexBucketChain pushes and removes waiters in every order and
// checks the chain against a model.
func TestFutexBucketChain(t *testing.T) {
	saved := threads
	t.Cleanup(func() { threads = saved })
	var b futexBucket
	var model []int
	check := func() {
		t.Helper()
		var got []int
		for i := b.head; i != 0; i = threads[i-1].futexNext {
			got = append(got, int(i-1))
			if len(got) > len(model) {
				break
			}
		}
		if len(got) != len(model) {
			t.Fatalf("chain %v, want %v", got, model)
		}
		for k := range got {
			if got[k] != model[k] {
				t.Fatalf("chain %v, want %v", got, model)
			}
		}
		if len(model) == 0 && b.tail != 0 || len(model) > 0 && b.tail != int32(model[len(model)-1])+1 {
			t.Fatalf("tail %d with chain %v", b.tail, model)
		}
	}
	for _, i := range []int{3, 0, 7, 5} {
		b.push(&threads[i])
		model = append(model, i)
		check()
	}
	for _, i := range []int{7, 3, 5} { // middle, head, tail
		b.remove(&threads[i])
		for k, m := range model {
			if m == i {
				model = append(model[:k], model[k+1:]...)
				break
			}
		}
		check()
		if threads[i].futexQueued != 0 {
			t.Errorf("thread %d still marked queued", i)
		}
	}
	b.push(&threads[9])
	model = append(model, 9)
	check()
	b.remove(&threads[0])
	b.remove(&threads[9])
	model = nil
	check()
}
