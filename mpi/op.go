package mpi

import "fmt"

// Number is an element type the reductions combine.
type Number interface {
	~int32 | ~int64 | ~float32 | ~float64
}

// Op is a reduction operation.
type Op int

// The reduction operations.
const (
	Sum Op = iota + 1
	Min
	Max
	Prod
)

func (op Op) String() string {
	switch op {
	case Sum:
		return "SUM"
	case Min:
		return "MIN"
	case Max:
		return "MAX"
	case Prod:
		return "PROD"
	}
	return fmt.Sprintf("Op(%d)", int(op))
}

func (op Op) valid() bool { return op >= Sum && op <= Prod }

// combine sets acc[i] = acc[i] op x[i].
func combine[T Number](op Op, acc, x []T) {
	x = x[:len(acc)]
	switch op {
	case Sum:
		for i := range acc {
			acc[i] += x[i]
		}
	case Prod:
		for i := range acc {
			acc[i] *= x[i]
		}
	case Min:
		for i := range acc {
			acc[i] = min(acc[i], x[i])
		}
	case Max:
		for i := range acc {
			acc[i] = max(acc[i], x[i])
		}
	}
}
