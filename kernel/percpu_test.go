package kernel

import "testing"

// TestSetCur: a core's running thread, as curThread reads it, follows
// setCur: the thread's slot for an index, none (nil) in the idle context.
func TestSetCur(t *testing.T) {
	var c cpu
	for _, i := range []int32{0, 1, maxThreads - 1} {
		c.setCur(i)
		if c.cur != i || (*thread)(ptr(c.curThread)) != &threads[i] {
			t.Errorf("setCur(%d): cur %d, thread %#x; want %d, &threads[%d] = %p", i, c.cur, c.curThread, i, i, &threads[i])
		}
	}
	c.setCur(-1)
	if c.cur != -1 || c.curThread != 0 {
		t.Errorf("setCur(-1): cur %d, thread %#x; want -1 and none", c.cur, c.curThread)
	}
}
