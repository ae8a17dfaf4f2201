package demo

import (
	"math/bits"
	"math/rand/v2"
)

// rng is a PCG random source with fast helpers for the hot loop. The
// embedded *rand.Rand draws from the same source, for the rarer normal and
// exponential variates and shuffles.
type rng struct {
	src *rand.PCG
	*rand.Rand
}

func newRNG(seed1, seed2 uint64) *rng {
	src := rand.NewPCG(seed1, seed2)
	return &rng{src: src, Rand: rand.New(src)}
}

// Float64 returns a float64 in [0, 1).
func (r *rng) Float64() float64 { return float64(r.src.Uint64()>>11) / (1 << 53) }

// IntN returns an int in [0, n) by multiply-shift; its bias (at most n/2⁶⁴)
// does not matter here. n must be positive.
func (r *rng) IntN(n int) int {
	hi, _ := bits.Mul64(r.src.Uint64(), uint64(n))
	return int(hi)
}

// Int64N returns an int64 in [0, n). n must be positive.
func (r *rng) Int64N(n int64) int64 {
	hi, _ := bits.Mul64(r.src.Uint64(), uint64(n))
	return int64(hi)
}

// uniform returns a float64 in [lo, hi).
func (r *rng) uniform(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// pick returns a random element of ss.
func (r *rng) pick(ss []string) string { return ss[r.IntN(len(ss))] }

// dist is a discrete distribution sampled in constant expected time with a
// guide table over its cumulative shares.
type dist struct {
	cum   []float64 // normalised running sums; the last is 1
	guide []int32   // guide[j] is the first i with cum[i] > j/len(guide)
}

// newDist returns the distribution with the given (unnormalised) weights.
func newDist(weights []float64) *dist {
	d := &dist{cum: make([]float64, len(weights))}
	var sum float64
	for i, w := range weights {
		sum += w
		d.cum[i] = sum
	}
	last := 0 // the last index with a positive weight
	for i, w := range weights {
		d.cum[i] /= sum
		if w > 0 {
			last = i
		}
	}
	for i := last; i < len(d.cum); i++ {
		d.cum[i] = 1 // so rounding never picks a trailing zero weight
	}
	d.guide = make([]int32, 4*len(weights)+4)
	i := 0
	for j := range d.guide {
		u := float64(j) / float64(len(d.guide))
		for d.cum[i] <= u {
			i++
		}
		d.guide[j] = int32(i)
	}
	return d
}

// sample returns a random index, each with its weight's share.
func (d *dist) sample(r *rng) int {
	u := r.Float64()
	i := d.guide[int(u*float64(len(d.guide)))]
	for d.cum[i] <= u {
		i++
	}
	return int(i)
}

// counter is a fixed-width decimal number in ASCII, incremented in place,
// so that ids are written without formatting.
type counter []byte

func newCounter(v uint64) counter {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return counter(append([]byte(nil), b[i:]...))
}

// next adds one.
func (c counter) next() {
	for i := len(c) - 1; i >= 0; i-- {
		if c[i] < '9' {
			c[i]++
			return
		}
		c[i] = '0'
	}
}
