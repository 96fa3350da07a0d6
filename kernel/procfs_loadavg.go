package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/ktime"
)

// The load average of /proc/loadavg. Linux samples the number of running
// and runnable threads every 5 seconds and keeps three exponentially
// damped averages (1, 5 and 15 minutes) in fixed point. The kernel here
// has no periodic tick, so the averages are brought up to date when the
// file is generated: each whole 5-second period since the last update is
// one sample, whose value is the average number of busy cores over the
// time since that update (the cores' busy time, procCoreTimes) plus the
// threads waiting in the run queues now. Guarded by the big kernel lock,
// under which /proc files are generated.

const (
	loadFreq   = 5_000_000_000 // ns between samples
	loadShift  = 11            // fixed point: 1.0 is 1<<loadShift
	loadFixed1 = 1 << loadShift
)

// loadExp are Linux's decay factors for 5-second samples: 1/exp(5s/1min),
// 1/exp(5s/5min), 1/exp(5s/15min) in fixed point.
var loadExp = [3]uint64{1884, 2014, 2037}

var loadavg struct {
	at   int64 // ns since boot of the last update
	busy int64 // the cores' busy ns at that update
	avg  [3]uint64
}

// loadBusyNs is the busy time of all cores at now.
func loadBusyNs(now int64) int64 {
	b := int64(0)
	for i := 0; i < ncpu; i++ {
		cb, _ := procCoreTimes(&cpus[i], now)
		b += cb
	}
	return b
}

// loadQueued counts the threads waiting in the cores' run queues (read
// without their owners' locks: a statistic).
func loadQueued() uint64 {
	q := 0
	for i := 0; i < ncpu; i++ {
		q += cpus[i].sched().runq.n
	}
	return uint64(max(q, 0))
}

// loadUpdate counts the whole periods since the last update.
func loadUpdate(now int64) {
	el := now - loadavg.at
	k := el / loadFreq
	if k <= 0 {
		return
	}
	busy := loadBusyNs(now)
	active := uint64(max(busy-loadavg.busy, 0))*loadFixed1/uint64(el) + loadQueued()*loadFixed1
	if k > 2000 {
		k = 2000 // every average has long converged to active
	}
	for ; k > 0; k-- {
		for i := range loadavg.avg {
			loadavg.avg[i] = calcLoad(loadavg.avg[i], loadExp[i], active)
		}
	}
	loadavg.at, loadavg.busy = now, busy
}

// calcLoad is one damping step of load toward active, rounded up while
// rising, as Linux's calc_load.
func calcLoad(load, exp, active uint64) uint64 {
	n := load*exp + active*(loadFixed1-exp)
	if active >= load {
		n += loadFixed1 - 1
	}
	return n / loadFixed1
}

// genLoadavg writes the three averages, running/total threads and the
// last thread id handed out, as Linux's "0.52 0.58 0.59 2/345 12345".
func genLoadavg(w *procWriter) {
	loadUpdate(ktime.Now())
	for _, a := range loadavg.avg {
		w.dec(a >> loadShift)
		w.byte('.')
		w.decPad(((a&(loadFixed1-1))*100)>>loadShift, 2, '0')
		w.byte(' ')
	}
	running := loadQueued()
	for i := 0; i < ncpu; i++ {
		if atomic.LoadUint32(&cpus[i].idle) == 0 {
			running++
		}
	}
	w.dec(running)
	w.byte('/')
	w.dec(uint64(atomic.LoadInt32(&nthreads)))
	w.byte(' ')
	w.dec(uint64(atomic.LoadInt32(&threadHigh)))
	w.byte('\n')
}
